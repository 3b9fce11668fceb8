package testutil

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DocSection returns the text of the section of a Markdown file under the
// repository's docs/ (name, such as "configuration.md") that follows the
// heading line (such as "## Diagnostics"), up to the next heading of that
// level: for tests that hold documented examples to what the code does.
func DocSection(t testing.TB, name, heading string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	// The test runs in its package's directory; the docs are at the root.
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
	doc, err := os.ReadFile(filepath.Join(dir, "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("docs/%s has no section %q", name, heading)
	}
	level := heading[:strings.IndexByte(heading, ' ')+1]
	section, _, _ = strings.Cut(section, "\n"+level)
	return section
}
