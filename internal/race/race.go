//go:build !race

// Package race reports whether the race detector is on: allocation counts
// are meaningless under it (sync.Pool drops items at random there).
package race

// Enabled is true in a -race build.
const Enabled = false
