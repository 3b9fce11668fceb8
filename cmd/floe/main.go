// Command floe is the floe router. This is a minimal entry point until the
// full command line lands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/floe-router/floe/core/config"
	"github.com/hashicorp/go-hclog"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg := &config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 4063"},
		Auth: config.Auth{AllowAll: true}}
	if err := serve(ctx, cfg, hclog.New(&hclog.LoggerOptions{Name: "floe"})); err != nil {
		fmt.Fprintln(os.Stderr, "floe:", err)
		os.Exit(1)
	}
}
