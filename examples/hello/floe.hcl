# floe configuration for the hello demo: clients on 4063, callbacks from
# the server on 4064, and every user accepted (a demo, not production).
instance_name = "DemoGlacier2"

client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

server {
  endpoints = "tcp -h 127.0.0.1 -p 4064"
}

session {
  timeout = "30s"
}

auth {
  allow_all = true
}
