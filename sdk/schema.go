package sdk

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Schema describes a plugin's `config { ... }` block: floe decodes the
// block against it and reports mistakes at their file:line:col before the
// plugin sees anything.
type Schema struct {
	Attributes []Attribute
	Blocks     []BlockSchema
}

// Type is an attribute's type.
type Type uint8

const (
	TypeString Type = iota + 1
	TypeNumber
	TypeBool
	// TypeDuration is a string that parses as a Go duration ("50ms",
	// "5m"); decode it into an sdk.Duration.
	TypeDuration
	TypeStringList
	TypeStringMap
)

var typeNames = [...]string{"", "string", "number", "bool", "duration", "list of strings", "map of strings"}

func (t Type) String() string {
	if int(t) < len(typeNames) && t != 0 {
		return typeNames[t]
	}
	return "unknown type"
}

// Attribute is one `name = value` of a config block.
type Attribute struct {
	Name        string
	Type        Type
	Required    bool
	Description string
}

// BlockSchema is a nested block type (`rule { ... }`), which may appear any
// number of times (at least once when Required). Its instances reach the
// plugin as a list of objects under its name.
type BlockSchema struct {
	Name        string
	Attributes  []Attribute
	Required    bool
	Description string
}

// Config is a plugin's decoded configuration: a JSON object with the
// attributes by name and nested blocks as arrays of objects.
type Config struct {
	// Instance is the plugin's name in floe's configuration (plugin "NAME").
	Instance string
	// JSON is the configuration itself.
	JSON []byte
}

// Decode unmarshals the configuration into v, a pointer to a struct whose
// fields carry `json:"name"` tags for the attributes.
func (c Config) Decode(v any) error {
	if len(c.JSON) == 0 {
		return nil
	}
	return json.Unmarshal(c.JSON, v)
}

// ConfigError is a mistake in a configuration that the schema could not
// catch (a file that does not exist, a pattern that does not compile). Path
// names the attribute ("file", "rule[1].endpoints": blocks count from 0);
// floe reports the error at that attribute's position.
type ConfigError struct {
	Path    string
	Message string
}

func (e *ConfigError) Error() string {
	if e.Path == "" {
		return e.Message
	}
	return e.Path + ": " + e.Message
}

// ConfigErrorf makes a ConfigError.
func ConfigErrorf(path, format string, args ...any) *ConfigError {
	return &ConfigError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// BlockPath names attribute attr of the i-th block of type block, as
// ConfigError.Path does.
func BlockPath(block string, i int, attr string) string {
	p := fmt.Sprintf("%s[%d]", block, i)
	if attr != "" {
		p += "." + attr
	}
	return p
}

// Duration is a time.Duration that decodes from a duration string.
type Duration time.Duration

// UnmarshalJSON reads "50ms".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	t, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	*d = Duration(t)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }
