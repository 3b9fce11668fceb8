package main

import (
	"context"
	"errors"

	"github.com/floe-router/floe/core/config"
	"github.com/hashicorp/go-hclog"
)

func serve(ctx context.Context, cfg *config.Config, log hclog.Logger) error {
	return errors.New("router not wired yet")
}
