case "a callback in the category passes" {
  point     = "callback"
  identity  = "events/ticker"
  operation = "tick"
  session {
    user = "alice"
  }
  expect {
    verdict = "allow"
  }
}

case "any other category is refused" {
  point     = "callback"
  identity  = "admin/console"
  operation = "run"
  session {
    user = "alice"
  }
  expect {
    verdict = "deny"
    reason  = "callbacks are accepted only for category events"
  }
}

case "requests from clients are not this script's business" {
  point     = "request"
  identity  = "admin/console"
  operation = "run"
  expect {
    verdict = "allow"
  }
}
