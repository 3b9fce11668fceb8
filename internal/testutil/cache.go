package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DependOn makes go test's result cache depend on the named files. go test
// reuses a cached result unless a file the test binary itself opened or
// stat'ed has changed; files that only child processes read (scripts, Slice
// definitions, the sources of a binary the test builds) are invisible to it,
// and editing them would otherwise leave a stale "(cached)" pass.
func DependOn(paths ...string) {
	for _, p := range paths {
		_, _ = os.Stat(p) // recorded by the testing package even when the file is missing
	}
}

// DependOnTree is DependOn for every regular file below root, except in
// directories whose name starts with a dot or is one of skip (for example
// build output).
func DependOnTree(root string, skip ...string) error {
	files, err := treeFiles(root, skip)
	DependOn(files...)
	return err
}

// treeFiles lists the regular files DependOnTree depends on.
func treeFiles(root string, skip []string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || slices.Contains(skip, d.Name())) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}
