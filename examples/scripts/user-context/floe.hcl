client {
  endpoints       = "tcp -h 127.0.0.1 -p 4063"
  forward_context = false # the client's own context stays; the script's entries are forwarded all the same
}

auth {
  allow_all = true # development only
}

script "user-context" {
  file    = "user_context.lua"
  timeout = "5ms"
}
