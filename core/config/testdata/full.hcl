# Every setting this version of floe supports.
instance_name = "DemoGlacier2" # clients address the router as DemoGlacier2/router

client {
  endpoints           = "tcp -h 0.0.0.0 -p 4063 : ssl -h 0.0.0.0 -p 4064 : wss -h 0.0.0.0 -p 4065"
  published_endpoints = "tcp -h router.example.com -p 4063"
  forward_context     = true
  acm_timeout         = "45s"
  add_connection_context = 1
}

server {
  endpoints           = "tcp -h 10.0.0.1"
  published_endpoints = "tcp -h 10.0.0.1 -p 4070"
  forward_context     = true
}

session {
  timeout            = "30s"
  routing_table_size = 500
}

auth {
  verifier        = "Verifier:tcp -h 10.0.0.2 -p 10000"
  session_manager = "SessionManager:tcp -h 10.0.0.2 -p 10001"

  ssl_verifier        = "SSLVerifier:tcp -h 10.0.0.2 -p 10000"
  ssl_session_manager = "SSLSessionManager:tcp -h 10.0.0.2 -p 10001"
}

tls {                              # paths are relative to this file
  cert_file        = "tls/server.p12"
  password         = "password"
  ca_file          = "tls/ca.pem"
  verify_peer      = 1
  check_cert_name  = true
  verify_depth_max = 5
}

message_size_max = 2048 # KiB, as Ice.MessageSizeMax

log {
  level = "debug"
  json  = true
}
