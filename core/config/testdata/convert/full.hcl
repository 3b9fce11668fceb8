#
# A production glacier2router configuration: a remote verifier and session
# manager, callbacks, filters, buffering, TLS, the admin object, and IceGrid.
#

instance_name       = "DemoGlacier2" # clients use DemoGlacier2/router
message_size_max    = 4096
print_adapter_ready = true
compress            = true
compression_level   = 5

client {
  #
  # The client-visible endpoints: tcp for the LAN, ssl for the Internet.
  #
  endpoints           = "tcp -h 127.0.0.1 -p 4063 : ssl -h 127.0.0.1 -p 4064"
  published_endpoints = "ssl -h router.example.com -p 4064"
  forward_context     = true
  acm_timeout         = "45s"
  acm_heartbeat       = "always"
  # Requests are buffered and forwarded with their context.
  buffered               = true
  sleep_time             = "50ms"
  always_batch           = true
  add_connection_context = 2
}

server {
  # Callbacks from the servers.
  endpoints       = "tcp -h 127.0.0.1"
  forward_context = true
  buffered        = false
}

session {
  # Sessions.
  timeout            = "30s"
  routing_table_size = 500
}

auth {
  # Authentication, through IceGrid-registered services.
  verifier        = "Verifier@VerifierAdapter"
  session_manager = "SessionManager@SessionAdapter"
  allow_all_ssl   = true
  verifier_options {
    invocation_timeout = "5s"
  }
  session_manager_options {
    locator_cache_timeout = "1m"
  }
}

filter {
  # Only these objects may be reached.
  categories     = ["chat", "a category"]
  accept_user    = "_user"
  identities     = ["hello"]
  adapter_ids    = ["ChatAdapter"]
  address_accept = "10.0.*.*:[10000-10100]"
  address_reject = "10.0.0.[1-9]:*"
  proxy_size_max = 4096
}

# TLS.
tls {
  cert_file   = "testdata/tls/server.p12"
  password    = "password"
  ca_file     = "testdata/tls/ca.pem"
  verify_peer = 1
  protocols   = ["tls1_2", "tls1_3"]
}

locator {
  # IceGrid.
  proxy         = "IceGrid/Locator:tcp -h 127.0.0.1 -p 4061"
  cache_timeout = "2m"
}

ice_admin {
  # The admin object, for IceGrid and icegridadmin.
  endpoints     = "tcp -h 127.0.0.1 -p 9999"
  instance_name = "RouterAdmin"
  facets        = ["Process", "Properties"]
}

trace {
  # Tracing.
  session         = 1
  routing_table   = 3
  client_request  = 1
  client_reject   = 2
  server_override = 1
}

# Properties with no HCL equivalent, which floe ignores:
# Glacier2.PermissionsVerifier.Context.tenant=acme: ignored: glacier2router gives every call through it the client's own context, which replaces the proxy's in Ice
# Ice's own tracing: floe has none
# Ice.Trace.Network=1: ignored: floe does not use this Ice property
# Glacier2.Client.ThreadPool.Size=4: ignored: floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them

# warnings:
# testdata/convert/full.router:25: property `Glacier2.PermissionsVerifier.Context.tenant' has no HCL equivalent (ignored: glacier2router gives every call through it the client's own context, which replaces the proxy's in Ice); kept as a comment
# testdata/convert/full.router:75: property `Ice.Trace.Network' has no HCL equivalent (ignored: floe does not use this Ice property); kept as a comment
# testdata/convert/full.router:76: property `Glacier2.Client.ThreadPool.Size' has no HCL equivalent (ignored: floe has no thread pools: each connection is served by its own goroutines, and threads and threads_max size the threads that run them); kept as a comment
# ssl permissions verifier `DemoGlacier2/NullSSLPermissionsVerifier' accepts every client: use it for development only
