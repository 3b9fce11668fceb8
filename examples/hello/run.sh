#!/bin/sh
# Runs the hello demo end to end: builds floe, starts the private server and
# floe, then runs the client through floe. Ports can be moved with
# HELLO_ROUTER_PORT, HELLO_CALLBACK_PORT and HELLO_SERVER_PORT.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
router_port=${HELLO_ROUTER_PORT:-4063}
callback_port=${HELLO_CALLBACK_PORT:-4064}
server_port=${HELLO_SERVER_PORT:-10000}
py=/usr/bin/python3

work=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

(cd "$root" && go build -o "$work/floe" ./cmd/floe)
sed -e "s/-p 4063/-p $router_port/" -e "s/-p 4064/-p $callback_port/" "$here/floe.hcl" > "$work/floe.hcl"

$py "$here/server.py" "$here/Hello.ice" "--Hello.Endpoints=tcp -h 127.0.0.1 -p $server_port" &
pids="$pids $!"
"$work/floe" run --config "$work/floe.hcl" &
pids="$pids $!"

# Wait until both listen.
i=0
until $py -c "import socket,sys; [socket.create_connection(('127.0.0.1', p), 0.2).close() for p in ($router_port, $server_port)]" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then echo "server or floe did not start" >&2; exit 1; fi
	sleep 0.1
done

$py "$here/client.py" "$here/Hello.ice" \
	"--Hello.Router=DemoGlacier2/router:tcp -h 127.0.0.1 -p $router_port" \
	"--Hello.Proxy=hello:tcp -h 127.0.0.1 -p $server_port"
