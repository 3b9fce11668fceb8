package config

import (
	_ "embed"
	"fmt"
	"strings"
)

// defaultHCL is the embedded development default, an ordinary HCL file.
//
//go:embed default.hcl
var defaultHCL []byte

// DefaultSource is the Source of the Config Default returns.
const DefaultSource = "embedded default"

// Default returns the embedded development default, decoded through the
// same HCL path as any file: clients on tcp -h 127.0.0.1 -p 4063, every
// user and password accepted. Its Warnings say so.
//
// It panics if the embedded file does not decode, which the tests rule out.
func Default() *Config {
	cfg, diags := Parse(defaultHCL, "default.hcl")
	if diags.HasErrors() {
		var b strings.Builder
		_ = WriteDiagnostics(&b, diags, map[string][]byte{"default.hcl": defaultHCL})
		panic("config: the embedded default does not decode:\n" + b.String())
	}
	cfg.Source = DefaultSource
	cfg.Warnings = []string{fmt.Sprintf(
		"no configuration given: running the embedded development default, which listens on %q and accepts every user and password (auth.allow_all); for development only, pass --config FILE for anything else",
		cfg.Client.Endpoints)}
	return cfg
}
