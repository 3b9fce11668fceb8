package config

import (
	"strings"
	"testing"

	"github.com/floe-router/floe/internal/testutil"
)

// docs/configuration.md shows the embedded default in full: the file less
// its opening comment, so users read what floe run really starts.
func TestDocumentedDefaultIsTheEmbeddedOne(t *testing.T) {
	section := testutil.DocSection(t, "configuration.md", "## The embedded default")
	_, block, _ := strings.Cut(section, "```hcl\n")
	block, _, _ = strings.Cut(block, "```")
	var body []string
	for _, line := range strings.Split(string(defaultHCL), "\n") {
		if len(body) == 0 && (strings.HasPrefix(line, "#") || line == "") {
			continue // the opening comment
		}
		body = append(body, line)
	}
	if want := strings.Join(body, "\n"); block != want {
		t.Errorf("the documentation shows:\n%s\nthe embedded file is:\n%s", block, want)
	}
}
