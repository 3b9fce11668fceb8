default_host     = "127.0.0.1"
default_protocol = "tcp"
default_timeout  = "infinite"
ipv6             = false
prefer_ipv6      = false

client {
  # Ice's ACM settings on both sides, and Ice's defaults.
  endpoints           = "default -p 4063"
  acm_timeout         = "10s"
  acm_heartbeat       = "on_idle"
  acm_close           = "off"
  message_size_max    = 64
  return_client_proxy = true
}

server {
  endpoints        = "tcp -h 127.0.0.1"
  acm_timeout      = "0s"
  acm_heartbeat    = "on_idle"
  acm_close        = "on_idle"
  message_size_max = 0
}

auth {
  verifier            = "V:tcp -h 127.0.0.1 -p 10000"
  ssl_session_manager = "SSM:tcp -h 127.0.0.1 -p 10001"
  verifier_options {
    endpoint_selection = "ordered"
    prefer_secure      = true
    locator            = "IceGrid/Locator:tcp -h 127.0.0.1 -p 4061"
  }
  ssl_session_manager_options {
    locator_cache_timeout = "forever"
  }
}

# Properties with no HCL equivalent, which floe ignores:
# Ice.Admin.Endpoints=tcp -h 127.0.0.1: it has no effect in this configuration
# Ice.Admin.Enabled=0: it has no effect in this configuration
# Glacier2.Client.AdapterId=Router: ignored: floe does not register its endpoints with a locator

# warnings:
# testdata/convert/acm.router:23: property `Ice.Admin.Endpoints' has no HCL equivalent (it has no effect in this configuration); kept as a comment
# testdata/convert/acm.router:24: property `Ice.Admin.Enabled' has no HCL equivalent (it has no effect in this configuration); kept as a comment
# testdata/convert/acm.router:25: property `Glacier2.Client.AdapterId' has no HCL equivalent (ignored: floe does not register its endpoints with a locator); kept as a comment
