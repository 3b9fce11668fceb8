case "the user id is added" {
  identity  = "hello"
  operation = "sayHello"
  session {
    id   = "s-42"
    user = "alice"
  }
  expect {
    verdict = "allow"
    context = { "floe.user" = "alice", "floe.session" = "s-42" }
  }
}

case "a client cannot claim to be someone else" {
  identity  = "hello"
  operation = "sayHello"
  context   = { "floe.user" = "root", "lang" = "en" }
  session {
    id   = "s-43"
    user = "mallory"
  }
  expect {
    verdict = "allow"
    context = { "floe.user" = "mallory", "lang" = "en" }
  }
}
