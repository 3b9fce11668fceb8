client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

server {
  endpoints = "tcp -h 127.0.0.1"
}

auth {
  allow_all = true # development only
}

script "callbacks" {
  file    = "callbacks.lua"
  timeout = "5ms"
}
