package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics prints each diagnostic on one line as
//
//	file:line:col: error: summary; detail
//
// ("warning" for warnings; "; detail" only when there is one), followed,
// when the diagnostic covers some source, by that source line and a caret
// line under the offending range. sources maps file names to their
// contents; a file it lacks is read from disk, and printed without source
// when that fails.
func WriteDiagnostics(w io.Writer, diags hcl.Diagnostics, sources map[string][]byte) error {
	files := map[string][]byte{}
	for name, src := range sources {
		files[name] = src
	}
	var out bytes.Buffer
	for _, d := range diags {
		out.WriteString(formatDiagnostic(d, true))
		out.WriteByte('\n')
		if d.Subject == nil || d.Subject.Empty() || d.Subject.Start.Line == 0 {
			continue
		}
		src, ok := files[d.Subject.Filename]
		if !ok {
			src, _ = os.ReadFile(d.Subject.Filename)
			files[d.Subject.Filename] = src
		}
		out.WriteString(snippet(src, *d.Subject))
	}
	_, err := w.Write(out.Bytes())
	return err
}

// formatDiagnostic is the one-line form; withSeverity adds "error: " or
// "warning: " after the position.
func formatDiagnostic(d *hcl.Diagnostic, withSeverity bool) string {
	var b strings.Builder
	if d.Subject != nil && d.Subject.Filename != "" {
		if d.Subject.Start.Line > 0 {
			b.WriteString(position(*d.Subject))
		} else {
			b.WriteString(d.Subject.Filename)
		}
		b.WriteString(": ")
	}
	if withSeverity {
		if d.Severity == hcl.DiagWarning {
			b.WriteString("warning: ")
		} else {
			b.WriteString("error: ")
		}
	}
	b.WriteString(d.Summary)
	if d.Detail != "" {
		b.WriteString("; ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// position is "file:line:col" for the start of r.
func position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// snippet is the source line where r starts, indented, and a line of
// carets under the part of it that r covers; "" when src does not hold r.
func snippet(src []byte, r hcl.Range) string {
	if r.Start.Byte < 0 || r.Start.Byte > len(src) {
		return ""
	}
	begin := bytes.LastIndexByte(src[:r.Start.Byte], '\n') + 1
	end := bytes.IndexByte(src[r.Start.Byte:], '\n')
	if end < 0 {
		end = len(src)
	} else {
		end += r.Start.Byte
	}
	line := strings.TrimRight(string(src[begin:end]), "\r")
	if !utf8.ValidString(line) {
		return ""
	}
	// Keep tabs in the padding so the caret lines up whatever the tab width.
	var pad strings.Builder
	for _, c := range string(src[begin:r.Start.Byte]) {
		if c == '\t' {
			pad.WriteByte('\t')
		} else {
			pad.WriteByte(' ')
		}
	}
	stop := min(r.End.Byte, begin+len(line))
	width := 1
	if stop > r.Start.Byte {
		width = utf8.RuneCount(src[r.Start.Byte:stop])
	}
	return "    " + line + "\n    " + pad.String() + strings.Repeat("^", width) + "\n"
}
