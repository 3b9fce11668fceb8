package ice

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Properties is a set of Ice properties as Ice 3.7 reads them from
// configuration files (Ice.Config) and from --Prefix.Key=Value arguments.
//
// Like Ice, setting a property to the empty string removes it, so Get
// returning "" means "not set". Problems Ice only warns about (an invalid
// line, a non-numeric value read as a number) are kept in Warnings.
type Properties struct {
	values   map[string]string
	warnings []string
}

// NewProperties returns an empty property set.
func NewProperties() *Properties {
	return &Properties{values: map[string]string{}}
}

// Set sets key (trimmed of surrounding white space) to value; an empty value
// removes the property, as in Ice.
func (p *Properties) Set(key, value string) error {
	key = strings.Trim(key, " \t\r\n")
	if key == "" {
		return errors.New("ice: attempt to set property with empty key")
	}
	if value == "" {
		delete(p.values, key)
	} else {
		p.values[key] = value
	}
	return nil
}

// Get returns the value of key, or "" when it is not set.
func (p *Properties) Get(key string) string { return p.values[key] }

// GetWithDefault returns the value of key, or def when it is not set.
func (p *Properties) GetWithDefault(key, def string) string {
	if v, ok := p.values[key]; ok {
		return v
	}
	return def
}

// GetAsInt is GetAsIntWithDefault(key, 0).
func (p *Properties) GetAsInt(key string) int32 { return p.GetAsIntWithDefault(key, 0) }

// GetAsIntWithDefault reads key as a 32-bit integer the way Ice does (a C++
// stream extraction that must consume the whole value): leading white space
// and a sign are allowed, anything after the digits is not. A value that is
// not such a number, or is out of range, yields def and a warning.
func (p *Properties) GetAsIntWithDefault(key string, def int32) int32 {
	v, ok := p.values[key]
	if !ok {
		return def
	}
	n, ok := parseIceInt(v)
	if !ok {
		p.warnings = append(p.warnings, fmt.Sprintf(
			"numeric property %s set to non-numeric value, defaulting to %d", key, def))
		return def
	}
	return n
}

// parseIceInt accepts what `istringstream >> int` followed by an eof check
// accepts: optional leading white space, an optional sign, decimal digits,
// and nothing after them.
func parseIceInt(s string) (int32, bool) {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	digits := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	if len(s)-len(digits) > 1 || digits == "" {
		return 0, false
	}
	for _, c := range []byte(digits) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 32)
	if err != nil || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return int32(n), true
}

// ForPrefix returns the properties whose key starts with prefix ("" for
// all of them).
func (p *Properties) ForPrefix(prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range p.values {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// Keys returns every key that is set, sorted.
func (p *Properties) Keys() []string {
	keys := make([]string, 0, len(p.values))
	for k := range p.values {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Warnings returns what Ice would have logged as warnings while reading
// these properties: invalid lines and non-numeric values read as numbers.
func (p *Properties) Warnings() []string { return slices.Clone(p.warnings) }

// ParseLine reads one "Key = Value" line, as found in a configuration file,
// and sets the property. It reports false for a line Ice rejects (a key
// without '=', or '=' without a key); blank and comment lines are fine.
func (p *Properties) ParseLine(line string) bool {
	key, value, ok := parseLine(line)
	if !ok {
		return false
	}
	if key != "" {
		// The key is not empty, so Set cannot fail.
		_ = p.Set(key, value)
	}
	return true
}

// Parse reads the contents of a configuration file named name (used in
// warnings): one property a line, '#' comments, Ice's escapes. A UTF-8 byte
// order mark at the start is skipped.
func (p *Properties) Parse(data []byte, name string) {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	for i, line := range strings.Split(string(data), "\n") {
		if !p.ParseLine(line) {
			p.warnings = append(p.warnings, fmt.Sprintf(
				"%s:%d: invalid config file entry: %q", name, i+1, line))
		}
	}
}

// Load reads the configuration file at path.
func (p *Properties) Load(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("ice: cannot load configuration file: %w", err)
	}
	p.Parse(data, path)
	return nil
}

// ParsePropertyLine reads one configuration file line as Parse does: the
// key and value of a "Key = Value" line (an empty value unsets the key),
// key "" for a blank or comment line, and ok false for a line Ice rejects.
func ParsePropertyLine(line string) (key, value string, ok bool) { return parseLine(line) }

// parseLine is Ice's property line grammar. In the key, white space is
// trimmed at both ends but kept inside; in the value, white space is trimmed
// at both ends unless escaped ("\ "). "\#", "\=" and "\\" stand for the
// character itself; a backslash before any other character is kept as it
// is. An unescaped '#' ends the line. ok is false for a key with no '=' or
// an '=' with no key; a blank or comment line gives key "" and ok true.
func parseLine(line string) (key, value string, ok bool) {
	var k, v strings.Builder
	inValue := false
	// whitespace is pending unescaped-or-escaped blanks inside the key or
	// value, written only if something follows; escaped holds the escaped
	// blanks alone, which are kept at the start and end of a value.
	var whitespace, escaped string
	pendingFor := func(b *strings.Builder) string {
		if inValue && b.Len() == 0 {
			return escaped
		}
		return whitespace
	}
	emit := func(s string) {
		b := &k
		if inValue {
			b = &v
		}
		b.WriteString(pendingFor(b))
		whitespace, escaped = "", ""
		b.WriteString(s)
	}
loop:
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch c {
		case '\\':
			if i == len(line)-1 {
				// A trailing backslash is kept. Ice writes the pending
				// blanks before it without clearing them, so escaped
				// blanks before a trailing backslash end up on both sides
				// of it.
				b := &k
				if inValue {
					b = &v
				}
				b.WriteString(pendingFor(b) + "\\")
				break
			}
			i++
			switch c = line[i]; c {
			case '\\', '#', '=':
				emit(line[i : i+1])
			case ' ':
				if inValue {
					whitespace += " "
					escaped += " "
				} else if k.Len() > 0 {
					whitespace += " "
				}
			default:
				emit(line[i-1 : i+1])
			}
		case ' ', '\t', '\r', '\n':
			if (inValue && v.Len() > 0) || (!inValue && k.Len() > 0) {
				whitespace += line[i : i+1]
			}
		case '=':
			if inValue {
				emit("=")
			} else {
				inValue = true
				whitespace = ""
			}
		case '#':
			break loop
		default:
			emit(line[i : i+1])
		}
	}
	if inValue {
		v.WriteString(escaped)
	}
	key, value = k.String(), v.String()
	if (!inValue && key != "") || (inValue && key == "") {
		return "", "", false
	}
	return key, value, true
}

// commandLinePrefixes are the property prefixes Ice 3.7 takes from the
// command line as --Prefix.Key=Value (PropertyNames::clPropNames).
var commandLinePrefixes = []string{
	"Ice", "IceMX", "IceDiscovery", "IceLocatorDiscovery", "IceBox",
	"IceBoxAdmin", "IceBridge", "IceGridAdmin", "IceGrid", "IcePatch2",
	"IcePatch2Client", "IceSSL", "IceStormAdmin", "IceBT", "Glacier2",
	"Glacier2CryptPermissionsVerifier", "Freeze",
}

// IsPropertyArg reports whether Ice reads arg as a property rather than
// leaving it to the program: --Ice.Config..., or --Prefix.Key[=Value] for a
// prefix Ice knows (Ice, IceSSL, Glacier2, ...).
func IsPropertyArg(arg string) bool {
	if strings.HasPrefix(arg, "--Ice.Config") {
		return true
	}
	for _, pfx := range commandLinePrefixes {
		if strings.HasPrefix(arg, "--"+pfx+".") {
			return true
		}
	}
	return false
}

// ErrBareIceConfig is wrapped by the error ParseCommandLine returns when
// "--Ice.Config" without "=FILE" could not be loaded: Ice reads it as
// Ice.Config=1 and never takes the file from the next argument.
var ErrBareIceConfig = errors.New(`"--Ice.Config" without "=FILE" means Ice.Config=1, the file named by $ICE_CONFIG; write --Ice.Config=FILE`)

// ParseCommandLine builds properties from program arguments (without the
// program name) as an Ice 3.7 communicator does:
//
//  1. every --Ice.Config[=FILES] argument is read (a bare --Ice.Config
//     means Ice.Config=1);
//  2. the files are loaded in order: FILES is a ',' separated list in which
//     "..." and '...' quote; when Ice.Config is absent or "1", the
//     ICE_CONFIG environment variable (read through getenv) names them;
//  3. the other --Prefix.Key=Value arguments (prefixes as IsPropertyArg)
//     override what the files set; --Prefix.Key alone means "1". Each is
//     read with the file line grammar, so '#' starts a comment and the value
//     is trimmed.
//
// A value is never taken from the next argument: "--Ice.Config cfg" is
// Ice.Config=1 and a leftover argument "cfg". Quotes around a value are the
// shell's business; Ice keeps any that reach it. rest is every argument
// that is not a property, in order.
func ParseCommandLine(args []string, getenv func(string) string) (props *Properties, rest []string, err error) {
	props = NewProperties()
	var config, others []string
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "--Ice.Config"):
			config = append(config, a)
		case IsPropertyArg(a):
			others = append(others, a)
		default:
			rest = append(rest, a)
		}
	}
	bare := false
	for _, a := range config {
		bare = bare || !strings.Contains(a, "=")
		props.ParseArg(a)
	}
	if err := props.loadConfig(getenv); err != nil {
		if bare && props.Get("Ice.Config") == "1" {
			err = fmt.Errorf("%w: %w", ErrBareIceConfig, err)
		}
		return nil, nil, err
	}
	for _, a := range others {
		props.ParseArg(a)
	}
	return props, rest, nil
}

// ParseArg reads one --Key[=Value] program argument as ParseCommandLine
// does (--Key alone means "1"), for the prefixes a program reads itself.
func (p *Properties) ParseArg(arg string) {
	line := strings.TrimPrefix(arg, "--")
	if !strings.Contains(line, "=") {
		line += "=1"
	}
	if !p.ParseLine(line) {
		p.warnings = append(p.warnings, fmt.Sprintf("invalid command-line property: %q", arg))
	}
}

// loadConfig loads the files named by Ice.Config, or by ICE_CONFIG when
// Ice.Config is unset or "1", and records the list as Ice.Config.
func (p *Properties) loadConfig(getenv func(string) string) error {
	value := p.Get("Ice.Config")
	if value == "" || value == "1" {
		if env := getenv("ICE_CONFIG"); env != "" {
			value = env
		}
	}
	if value == "" {
		return nil
	}
	files, _ := splitQuoted(value, ",") // Ice loads what it got even with an unmatched quote.
	for _, f := range files {
		if err := p.Load(strings.Trim(f, " \t\r\n")); err != nil {
			return err
		}
	}
	return p.Set("Ice.Config", value)
}

// splitQuoted is Ice's splitString: s split at any byte of delims, except
// inside "..." or '...' (the quotes are dropped, and \" or \' stand for the
// quote); empty elements are dropped. ok is false for an unmatched quote.
func splitQuoted(s, delims string) (elems []string, ok bool) {
	var elt strings.Builder
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
			continue
		case quote == 0 && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\''):
			i++
			c = s[i]
		case quote != 0 && c == '\\' && i+1 < len(s) && s[i+1] == quote:
			i++
			c = s[i]
		case quote != 0 && c == quote:
			quote = 0
			continue
		case quote == 0 && strings.IndexByte(delims, c) >= 0:
			if elt.Len() > 0 {
				elems = append(elems, elt.String())
				elt.Reset()
			}
			continue
		}
		elt.WriteByte(c)
	}
	if elt.Len() > 0 {
		elems = append(elems, elt.String())
	}
	return elems, quote == 0
}
