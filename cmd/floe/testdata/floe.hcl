client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

auth {
  allow_all = true
}

log {
  level = "debug"
}
