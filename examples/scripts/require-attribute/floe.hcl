client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

auth {
  allow_all = true # development only
}

script "require-admin" {
  file     = "require_admin.lua"
  timeout  = "5ms"
  on_error = "deny"
}
