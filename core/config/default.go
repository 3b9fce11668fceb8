package config

import (
	_ "embed"
	"fmt"

	"github.com/hashicorp/hcl/v2"
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
// The diagnostics can only hold an error if the embedded file or the
// endpoint parser is broken, which the tests rule out; they are returned
// rather than panicked so the command line can report them.
func Default() (*Config, hcl.Diagnostics) {
	cfg, diags := Parse(defaultHCL, "default.hcl")
	if diags.HasErrors() {
		// Name the file so it is not looked for on disk.
		for _, d := range diags {
			if d.Subject != nil {
				d.Subject.Filename = "embedded " + d.Subject.Filename
			}
		}
		return nil, diags
	}
	cfg.Source = DefaultSource
	cfg.Warnings = []string{fmt.Sprintf(
		"no configuration given: running the embedded development default, which listens on %q and accepts every user and password (auth.allow_all); for development only, pass --config FILE for anything else",
		cfg.Client.Endpoints)}
	return cfg, nil
}
