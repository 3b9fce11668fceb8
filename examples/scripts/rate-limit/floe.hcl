client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

auth {
  allow_all = true # development only
}

script "rate-limit" {
  file     = "rate_limit.lua"
  timeout  = "5ms"
  on_error = "allow" # a failing limiter lets traffic through rather than stop everyone
  deny_as  = "unknown" # the client sees UnknownException with the reason
}
