case "alice's session gets the admin role" {
  point = "session_created"
  session {
    id   = "s-1"
    user = "alice"
  }
  expect {
    verdict    = "allow"
    attributes = { role = "admin" }
  }
}

case "an admin may delete" {
  identity  = "files/report"
  operation = "delete"
  session {
    user       = "alice"
    attributes = { role = "admin" }
  }
  expect {
    verdict = "allow"
  }
}

case "anyone else may not" {
  identity  = "files/report"
  operation = "delete"
  session {
    user = "bob"
  }
  expect {
    verdict = "deny"
    reason  = "delete requires the admin role"
    hook    = "require-admin"
    deny_as = "not_exist"
  }
}

case "other operations are for everyone" {
  identity  = "files/report"
  operation = "read"
  session {
    user = "bob"
  }
  expect {
    verdict = "allow"
  }
}
