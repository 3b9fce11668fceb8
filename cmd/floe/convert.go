package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/floe-router/floe/core/config"
)

// convert is "floe convert [-o FILE] PROPERTIES": the HCL equivalent of a
// Glacier2 property file, on standard output or in FILE. Warnings (what
// has no HCL equivalent) go to standard error; a property file that would
// not start a router is an error, exit 1.
func (c *cli) convert(args []string) int {
	fs := flag.NewFlagSet("floe convert", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	output := fs.String("o", "", "write the HCL to `FILE` (relative paths are rewritten for its directory) instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: floe convert [-o FILE] PROPERTIES")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	path := fs.Arg(0)
	src, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(c.stderr, "floe convert: %v\n", err)
		return exitFailure
	}
	dir := ""
	if *output != "" {
		dir = filepath.Dir(*output)
	}
	out, warnings, err := config.ConvertPropertiesIn(src, path, dir)
	for _, w := range warnings {
		fmt.Fprintf(c.stderr, "floe convert: warning: %s\n", w)
	}
	if err != nil {
		for _, e := range unjoin(err) {
			fmt.Fprintf(c.stderr, "floe convert: error: %v\n", e)
		}
		return exitFailure
	}
	if *output == "" {
		_, err = c.stdout.Write(out)
	} else {
		err = os.WriteFile(*output, out, 0o644)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "floe convert: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// unjoin returns the errors an errors.Join holds, or err alone.
func unjoin(err error) []error {
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		return joined.Unwrap()
	}
	return []error{err}
}
