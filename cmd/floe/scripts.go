package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/scripts"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/hcl/v2"
)

// Lua scripts join the interception chain here: each script block becomes
// an entry, its file is watched, and SIGHUP reloads them all.

func init() {
	hookSources = append(hookSources, scriptHooks)
	configChecks = append(configChecks, func(_ context.Context, cfg *config.Config) (hcl.Diagnostics, sdk.Points) {
		return scriptDiagnostics(cfg)
	})
}

// scriptPollInterval is how often script files are checked for changes. A
// change is loaded once the file has stayed the same for one interval, so
// a file caught half-written is not loaded.
var scriptPollInterval = 500 * time.Millisecond

// loadedScript is a running script and the file version it runs.
type loadedScript struct {
	cfg     config.Script
	script  *scripts.Script
	stamp   fileStamp // the file as last loaded (or last failed to load)
	pending fileStamp // a change seen once, loaded when seen again
}

// fileStamp identifies a version of a file cheaply.
type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

func stampOf(path string) fileStamp {
	st, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: st.ModTime(), size: st.Size(), ok: true}
}

// compileScript reads and compiles one configured script.
func compileScript(sc config.Script) (*scripts.Program, error) {
	src, err := os.ReadFile(sc.File)
	if err != nil {
		return nil, fmt.Errorf("script %s: %w", sc.Name, err)
	}
	return scripts.Compile(sc.Name, sc.File, src)
}

// scriptEntry is the chain entry of a script block.
func scriptEntry(sc config.Script, s *scripts.Script) intercept.Entry {
	e := intercept.Entry{Name: sc.Name, Hook: s, Timeout: sc.Timeout}
	if sc.OnErrorAllow {
		e.OnError = intercept.FailOpen
	}
	if sc.DenyAsUnknown {
		e.DenyAs = intercept.DenyAsUnknown
	}
	return e
}

// scriptHooks is the hook source of the script blocks: one store for all
// of them, for the router's lifetime (reloads keep it).
func scriptHooks(ctx context.Context, cfg *config.Config, log hclog.Logger, refresh func()) ([]intercept.Entry, func(), error) {
	if len(cfg.Scripts) == 0 {
		return nil, nil, nil
	}
	slog := log.Named("script")
	store := scripts.NewStore(0, 0)
	var loaded []*loadedScript
	closeAll := func() {
		for _, l := range loaded {
			l.script.Close()
		}
	}
	var entries []intercept.Entry
	for _, sc := range cfg.Scripts {
		stamp := stampOf(sc.File)
		prog, err := compileScript(sc)
		var s *scripts.Script
		if err == nil {
			s, err = scripts.New(ctx, prog, scripts.Options{Store: store, Log: slog})
		}
		if err != nil {
			closeAll()
			return nil, nil, &configError{hcl.Diagnostics{scriptDiagnostic(sc, err)}}
		}
		slog.Info("script loaded", "script", sc.Name, "file", sc.File, "points", s.Points().String())
		loaded = append(loaded, &loadedScript{cfg: sc, script: s, stamp: stamp})
		entries = append(entries, scriptEntry(sc, s))
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	// SIGHUP is caught from here on: its default would end the router.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go watchScripts(wctx, loaded, hup, slog, refresh, done)
	return entries, func() {
		cancel()
		<-done
		closeAll()
	}, nil
}

// watchScripts reloads a script whose file changed, and every script on
// SIGHUP, until ctx ends.
func watchScripts(ctx context.Context, loaded []*loadedScript, hup chan os.Signal, log hclog.Logger, refresh func(),
	done chan<- struct{}) {
	defer close(done)
	defer signal.Stop(hup)
	tick := time.NewTicker(scriptPollInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			log.Info("SIGHUP: reloading scripts")
			for _, l := range loaded {
				reloadScript(ctx, l, stampOf(l.cfg.File), log, refresh)
			}
		case <-tick.C:
			for _, l := range loaded {
				stamp := stampOf(l.cfg.File)
				switch {
				case stamp == l.stamp:
					l.pending = fileStamp{}
				case stamp != l.pending:
					l.pending = stamp // changed: wait until it stays so for one interval
				default:
					reloadScript(ctx, l, stamp, log, refresh)
				}
			}
		}
	}
}

// reloadScript compiles and loads a script's file again; when that fails
// the running version stays, and the error is logged with its position.
func reloadScript(ctx context.Context, l *loadedScript, stamp fileStamp, log hclog.Logger, refresh func()) {
	l.stamp, l.pending = stamp, fileStamp{}
	prog, err := compileScript(l.cfg)
	if err == nil {
		err = l.script.Reload(ctx, prog)
	}
	if err != nil {
		log.Error("script reload failed; the previous version keeps running", "script", l.cfg.Name, "error", err)
		return
	}
	log.Info("script reloaded", "script", l.cfg.Name, "file", l.cfg.File, "points", l.script.Points().String())
	refresh() // the new version may define functions for other points
}

// scriptDiagnostics compiles and loads every configured script, for floe
// validate: each mistake is a diagnostic at the script's file:line.
func scriptDiagnostics(cfg *config.Config) (hcl.Diagnostics, sdk.Points) {
	var diags hcl.Diagnostics
	var points sdk.Points
	for _, sc := range cfg.Scripts {
		prog, err := compileScript(sc)
		if err == nil {
			var s *scripts.Script
			if s, err = scripts.New(context.Background(), prog, scripts.Options{}); err == nil {
				points |= s.Points()
				s.Close()
				continue
			}
		}
		diags = append(diags, scriptDiagnostic(sc, err))
	}
	return diags, points
}

func scriptDiagnostic(sc config.Script, err error) *hcl.Diagnostic {
	d := &hcl.Diagnostic{Severity: hcl.DiagError, Summary: fmt.Sprintf("Invalid script %q", sc.Name), Detail: err.Error()}
	var e *scripts.Error
	if !errors.As(err, &e) {
		return d
	}
	d.Detail = e.Message
	d.Subject = &hcl.Range{Filename: e.File}
	if e.Line == 0 {
		return d
	}
	src, _ := os.ReadFile(e.File)
	start := lineOffset(src, e.Line)
	if e.Column > 0 {
		start += e.Column - 1
	}
	start = min(start, len(src))
	col := max(e.Column, 1)
	end := start
	if end < len(src) && src[end] != '\n' {
		end++
	}
	d.Subject.Start = hcl.Pos{Line: e.Line, Column: col, Byte: start}
	d.Subject.End = hcl.Pos{Line: e.Line, Column: col + end - start, Byte: end}
	return d
}

// lineOffset is the byte offset of the start of line n (1-based) in src.
func lineOffset(src []byte, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src[off:], '\n')
		if j < 0 {
			return len(src)
		}
		off += j + 1
	}
	return off
}
