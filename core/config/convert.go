package config

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/floe-router/floe/core/ice"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"
)

// ConvertProperties turns a Glacier2 property file (src, named name in
// messages) into an HCL configuration with the same behaviour, for a file
// in the current directory: see ConvertPropertiesIn.
func ConvertProperties(src []byte, name string) ([]byte, []string, error) {
	return ConvertPropertiesIn(src, name, "")
}

// ConvertPropertiesIn turns a Glacier2 property file into HCL that decodes
// (Parse) to the Config FromProperties gives for it, except Source,
// Warnings and Properties. dir is the directory the HCL file is meant for
// ("" for the current one): relative paths in the properties, which Ice
// reads from the current directory, are rewritten so that they name the
// same files from there.
//
// The properties are read with Ice's parser and mapped by FromProperties,
// whose errors are returned (the file would not start a router); the
// password and TLS files are not required to exist here (a warning says
// so). The output keeps the file's comments: a comment block directly
// above a property moves with the HCL attribute that property becomes,
// a comment at the end of a property line stays on that attribute's line,
// and the comments at the top of the file stay at the top. A property with
// no HCL equivalent (ignored by floe, unknown, or without effect in this
// file) is written at the end as a comment saying why, with a warning.
func ConvertPropertiesIn(src []byte, name, dir string) ([]byte, []string, error) {
	file := scanPropertyFile(src)
	props := ice.NewProperties()
	props.Parse(src, name)
	cfg, err := fromProperties(props, false)
	if err != nil {
		return nil, cfg.Warnings, err
	}
	if dir != "" {
		relocatePaths(cfg, dir)
	}
	w := &hclWriter{file: file, props: props, cfg: cfg, claimed: map[string]bool{}}
	out := w.write()
	formatted := hclwrite.Format(out)
	var warnings []string
	for _, l := range file.invalid {
		warnings = append(warnings, fmt.Sprintf("%s:%d: invalid config file entry %q, ignored as Ice does; kept as a comment", name, l.line, l.text))
	}
	reported := map[string]bool{}
	for _, lo := range w.leftovers {
		reported[lo.key] = true
		warnings = append(warnings, fmt.Sprintf("%s:%d: property `%s' has no HCL equivalent (%s); kept as a comment", name, lo.line, lo.key, lo.reason))
	}
	for _, warning := range cfg.Warnings {
		if !slices.ContainsFunc(w.leftovers, func(lo leftover) bool { return strings.Contains(warning, "`"+lo.key+"'") }) &&
			!strings.HasPrefix(warning, name+":") {
			warnings = append(warnings, warning)
		}
	}
	return formatted, warnings, nil
}

// relocatePaths rewrites the relative paths of cfg, relative to the
// current directory, to be relative to dir (absolute when that fails).
func relocatePaths(cfg *Config, dir string) {
	absDir, err := filepath.Abs(dir)
	move := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		abs, aerr := filepath.Abs(p)
		if err != nil || aerr != nil {
			return p
		}
		if rel, err := filepath.Rel(absDir, abs); err == nil {
			return rel
		}
		return abs
	}
	cfg.Auth.PasswordsFile = move(cfg.Auth.PasswordsFile)
	if t := cfg.TLS; t != nil {
		for i := range t.CertFile {
			t.CertFile[i] = move(t.CertFile[i])
		}
		for i := range t.KeyFile {
			t.KeyFile[i] = move(t.KeyFile[i])
		}
		t.CAFile = move(t.CAFile)
	}
}

// propertyFile is a property file's lines as the converter sees them.
type propertyFile struct {
	leading  []string               // the comments at the top, before a blank line
	trailing []string               // the comments after the last property
	byKey    map[string]*propertyAt // each key set, with its comments
	order    []string               // the keys, in the order first set
	invalid  []fileLine             // lines Ice rejects
}

type fileLine struct {
	line int
	text string
}

// propertyAt is where a key is set in the file: the last line that sets
// it, and the comments that go with it (from every line setting it).
type propertyAt struct {
	line     int
	comments []string // the comment lines above, as written
	trailing string   // the comment at the end of the line, "" if none
}

// scanPropertyFile reads the lines of a property file with Ice's line
// parser, keeping the comments: a run of comment lines goes with the
// property right after it (even across blank lines, but then as a
// separate paragraph), except the first run of the file when a blank line
// ends it, which stays at the top.
func scanPropertyFile(src []byte) *propertyFile {
	f := &propertyFile{byKey: map[string]*propertyAt{}}
	src = bytes.TrimPrefix(src, []byte{0xEF, 0xBB, 0xBF})
	var pending []string
	blankAfter := false // a blank line follows the pending comments
	for i, raw := range strings.Split(string(src), "\n") {
		line := strings.TrimRight(raw, "\r")
		trimmed := strings.TrimSpace(line)
		key, _, ok := ice.ParsePropertyLine(line)
		switch {
		case !ok:
			f.invalid = append(f.invalid, fileLine{i + 1, line})
			pending = append(pending, "# (invalid line, ignored by Ice) "+trimmed)
			blankAfter = false
		case key == "" && trimmed == "":
			if len(pending) > 0 {
				blankAfter = true
			}
		case key == "":
			if blankAfter {
				if len(f.order) == 0 && len(f.leading) == 0 {
					f.leading, pending = pending, nil
				} else {
					pending = append(pending, "")
				}
				blankAfter = false
			}
			pending = append(pending, trimmed)
		default:
			if blankAfter && len(f.order) == 0 && len(f.leading) == 0 {
				f.leading, pending = pending, nil
			}
			blankAfter = false
			p := f.byKey[key]
			if p == nil {
				p = &propertyAt{}
				f.byKey[key] = p
				f.order = append(f.order, key)
			}
			p.line = i + 1
			p.comments = append(p.comments, pending...)
			if c := lineComment(line); c != "" {
				p.trailing = c
			}
			pending = nil
		}
	}
	f.trailing = pending
	return f
}

// lineComment is the comment at the end of a property line: from its first
// unescaped '#', as Ice's parser stops there.
func lineComment(line string) string {
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '#':
			return strings.TrimSpace(line[i:])
		}
	}
	return ""
}

// leftover is a property written as a comment.
type leftover struct {
	key, reason string
	line        int
}

// hclWriter writes the HCL form of cfg, attaching the file's comments.
type hclWriter struct {
	file      *propertyFile
	props     *ice.Properties
	cfg       *Config
	claimed   map[string]bool // keys whose comments are written
	leftovers []leftover
}

// hclAttribute is one HCL attribute the converter can write: its name, the
// property patterns whose comments go with it, and its value in a Config.
type hclAttribute struct {
	name   string
	owners []string
	// value is the attribute's value; set reports whether it differs from
	// the attribute's default. A value that is not set is still written
	// when an owner is in the file, unless it is cty.NilVal (no value
	// writes the default exactly).
	value func(c *Config) (v cty.Value, set bool)
}

// hclBlock is a block the converter can write.
type hclBlock struct {
	name string
	// owners are the properties that stand for the whole block (written
	// above it).
	owners []string
	// present reports whether the block is written; nil means when one of
	// its attributes is.
	present    func(c *Config) bool
	attributes []hclAttribute
	blocks     []hclBlock
}

func (w *hclWriter) write() []byte {
	sections := [][]byte{[]byte(strings.Join(append(w.file.leading, ""), "\n")), w.body(convertedAttributes)}
	for _, b := range convertedBlocks {
		sections = append(sections, w.block(b))
	}
	sections = append(sections, w.leftoverComments(), []byte(strings.Join(append(w.file.trailing, ""), "\n")))
	var out bytes.Buffer
	for _, s := range sections {
		if len(bytes.TrimSpace(s)) == 0 {
			continue
		}
		if out.Len() > 0 {
			out.WriteString("\n")
		}
		out.Write(s)
	}
	return out.Bytes()
}

// block writes b, or nothing when it is not present.
func (w *hclWriter) block(b hclBlock) []byte {
	if b.present != nil && !b.present(w.cfg) {
		return nil
	}
	body := w.body(b.attributes)
	var nested [][]byte
	for _, nb := range b.blocks {
		if text := w.block(nb); len(text) > 0 {
			nested = append(nested, text)
		}
	}
	if b.present == nil && len(body) == 0 && len(nested) == 0 {
		return nil
	}
	var out bytes.Buffer
	for _, c := range w.claim(b.owners) {
		out.WriteString(c + "\n")
	}
	out.WriteString(b.name + " {\n")
	out.Write(body)
	for _, text := range nested {
		out.Write(text)
	}
	out.WriteString("}\n")
	return out.Bytes()
}

// body writes the attributes of a block (or of the file) that are set or
// whose owners are in the file.
func (w *hclWriter) body(attrs []hclAttribute) []byte {
	var out bytes.Buffer
	for _, a := range attrs {
		v, set := a.value(w.cfg)
		if v == cty.NilVal || !set && !w.inFile(a.owners) {
			continue
		}
		var trailing string
		for _, c := range w.claim(a.owners) {
			if t, ok := strings.CutPrefix(c, trailingMark); ok {
				trailing = " " + t
				continue
			}
			out.WriteString(c + "\n")
		}
		out.WriteString(a.name + " = ")
		out.Write(hclwrite.TokensForValue(v).Bytes())
		out.WriteString(trailing + "\n")
	}
	return out.Bytes()
}

// trailingMark marks, in what claim returns, a comment that was at the end
// of a property line.
const trailingMark = "\x00"

// claim returns the comments of the properties in the file that match
// owners and were not claimed before, in file order, and marks them
// claimed. The end-of-line comment of the last one comes last, marked
// with trailingMark; the others' become comment lines.
func (w *hclWriter) claim(owners []string) []string {
	var comments []string
	var trailing string
	for _, key := range w.file.order {
		if w.claimed[key] || !matchesAny(key, owners) || w.props.Get(key) == "" {
			continue
		}
		w.claimed[key] = true
		p := w.file.byKey[key]
		comments = append(comments, p.comments...)
		if trailing != "" {
			comments = append(comments, trailing)
		}
		trailing = p.trailing
	}
	if trailing != "" {
		comments = append(comments, trailingMark+trailing)
	}
	return comments
}

// inFile reports whether a property matching owners is set in the file.
func (w *hclWriter) inFile(owners []string) bool {
	return slices.ContainsFunc(w.file.order, func(key string) bool {
		return matchesAny(key, owners) && w.props.Get(key) != ""
	})
}

func matchesAny(key string, patterns []string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matchPattern(key, p) })
}

// leftoverComments writes, as comments, the properties no attribute
// claimed.
func (w *hclWriter) leftoverComments() []byte {
	var out bytes.Buffer
	for _, key := range w.file.order {
		if w.claimed[key] {
			continue
		}
		p := w.file.byKey[key]
		reason := w.noEquivalent(key)
		w.leftovers = append(w.leftovers, leftover{key: key, reason: reason, line: p.line})
		if len(w.leftovers) == 1 {
			out.WriteString("# Properties with no HCL equivalent, which floe ignores:\n")
		}
		for _, c := range p.comments {
			out.WriteString(c + "\n")
		}
		if p.trailing != "" {
			out.WriteString(p.trailing + "\n")
		}
		value := w.props.Get(key)
		if strings.HasSuffix(key, "Password") {
			value = "..."
		}
		fmt.Fprintf(&out, "# %s=%s: %s\n", key, value, reason)
	}
	return out.Bytes()
}

// noEquivalent says why key has no HCL attribute.
func (w *hclWriter) noEquivalent(key string) string {
	if w.props.Get(key) == "" {
		return "set to nothing, which unsets it"
	}
	for _, warning := range w.cfg.Warnings {
		if rest, ok := strings.CutPrefix(warning, "property `"+key+"' "); ok {
			return strings.TrimPrefix(rest, "is ")
		}
		if strings.Contains(warning, "`"+key+"'") {
			return warning
		}
	}
	upper := strings.ToUpper(key)
	switch {
	case strings.HasPrefix(upper, "GLACIER2."):
		if reason := ignoredReason(key); reason != "" {
			return "ignored: " + reason
		}
		return "it has no effect in this configuration"
	case strings.HasPrefix(key, "IceSSL."):
		if w.props.Get("Ice.Plugin.IceSSL") == "" {
			return "ignored: the IceSSL plugin is not configured (Ice.Plugin.IceSSL)"
		}
		return "it has no effect in this configuration"
	case strings.HasPrefix(key, "Ice.") && matchesAny(key, honouredIceProperties):
		return "it has no effect in this configuration"
	case strings.HasPrefix(key, "Ice."):
		return "ignored: floe does not use this Ice property"
	}
	return "not a property floe reads"
}

// The Ice properties floe reads (Ice patterns). Every other Ice.* property
// is accepted and ignored: they tune Ice's own runtime (thread pools,
// logging, retries, plugins) or an application's proxies, not what a
// router does.
var honouredIceProperties = []string{
	"Ice.ACM.Timeout", "Ice.ACM.Heartbeat", "Ice.ACM.Close", "Ice.ACM.Server", "Ice.ACM.Server.Timeout",
	"Ice.ACM.Server.Heartbeat", "Ice.ACM.Server.Close", "Ice.Admin.Enabled", "Ice.Admin.Endpoints",
	"Ice.Admin.Facets", "Ice.Admin.InstanceName", "Ice.Compression.Level", "Ice.Default.Host",
	"Ice.Default.Locator", "Ice.Default.LocatorCacheTimeout", "Ice.Default.Protocol", "Ice.Default.Timeout",
	"Ice.IPv4", "Ice.IPv6", "Ice.MessageSizeMax", "Ice.Override.Compress", "Ice.Plugin.IceSSL",
	"Ice.PreferIPv6Address", "Ice.PrintAdapterReady",
}

// Value helpers for the attribute tables.

func strValue(s string) (cty.Value, bool) {
	if s == "" {
		return cty.NilVal, false
	}
	return cty.StringVal(s), true
}

func boolValue(b, def bool) (cty.Value, bool) { return cty.BoolVal(b), b != def }

func intValue(n, def int) (cty.Value, bool) { return cty.NumberIntVal(int64(n)), n != def }

func listValue(list []string) (cty.Value, bool) {
	if len(list) == 0 {
		return cty.ListValEmpty(cty.String), false
	}
	vals := make([]cty.Value, len(list))
	for i, s := range list {
		vals[i] = cty.StringVal(s)
	}
	return cty.TupleVal(vals), true
}

// durationText writes d in the largest unit that divides it.
func durationText(d time.Duration) string {
	for _, u := range []struct {
		unit time.Duration
		name string
	}{{time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if d%u.unit == 0 && d != 0 {
			return fmt.Sprintf("%d%s", d/u.unit, u.name)
		}
	}
	if d == 0 {
		return "0s"
	}
	return fmt.Sprintf("%dms", d/time.Millisecond)
}

func durationValue(d time.Duration) (cty.Value, bool) { return cty.StringVal(durationText(d)), d != 0 }

// kib is a message size limit in bytes as message_size_max writes it.
func kib(size int) int {
	if size >= maxMessageSizeKiB*1024 {
		return 0
	}
	return size / 1024
}

// sizeValue is a per-side message_size_max: zero means unset.
func sizeValue(size int) (cty.Value, bool) {
	if size == 0 {
		return cty.NilVal, false
	}
	return cty.NumberIntVal(int64(kib(size))), true
}

// acmTimeoutValue is a side's acm_timeout: "0s" turns ACM off.
func acmTimeoutValue(t time.Duration) (cty.Value, bool) {
	switch {
	case t < 0:
		return cty.StringVal("0s"), true
	case t == 0:
		return cty.NilVal, false
	}
	return durationValue(t)
}

func cacheTimeoutValue(t time.Duration) cty.Value {
	if t < 0 {
		return cty.StringVal("forever")
	}
	return cty.StringVal(durationText(t))
}

// protocolNames lists the TLS versions from lo to hi as IceSSL.Protocols
// names them.
func protocolNames(lo, hi uint16) []string {
	var names []string
	for _, v := range []struct {
		ver  uint16
		name string
	}{{0x0301, "tls1_0"}, {0x0302, "tls1_1"}, {0x0303, "tls1_2"}, {0x0304, "tls1_3"}} {
		if v.ver >= lo && v.ver <= hi {
			names = append(names, v.name)
		}
	}
	return names
}

func pathsValue(paths []string) (cty.Value, bool) {
	switch len(paths) {
	case 0:
		return cty.NilVal, false
	case 1:
		return cty.StringVal(paths[0]), true
	}
	return listValue(paths)
}
