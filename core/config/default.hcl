# floe's embedded development default: what `floe run` starts without
# --config. It listens on loopback only and lets every user in, so a client
# can try the router at once. Do not use it for anything else; see
# docs/configuration.md for a real configuration.

client {
  endpoints = "tcp -h 127.0.0.1 -p 4063"
}

auth {
  allow_all = true # development only: accept every user and password
}

trace {
  session = 1 # log sessions created and destroyed
}
