package host

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// decoded is a config block decoded against a plugin's schema: the JSON
// the plugin receives and where each attribute is in the user's file, so
// that the plugin's own complaints (sdk.ConfigError) land there too.
type decoded struct {
	json   []byte
	ranges map[string]hcl.Range // by sdk.ConfigError path
	block  hcl.Range            // the plugin block, for everything else
}

func (d *decoded) rangeOf(path string) *hcl.Range {
	if r, ok := d.ranges[path]; ok {
		return &r
	}
	return d.block.Ptr()
}

var ctyTypes = map[sdk.Type]cty.Type{
	sdk.TypeString:     cty.String,
	sdk.TypeNumber:     cty.Number,
	sdk.TypeBool:       cty.Bool,
	sdk.TypeDuration:   cty.String,
	sdk.TypeStringList: cty.List(cty.String),
	sdk.TypeStringMap:  cty.Map(cty.String),
}

// decodeConfig decodes body (nil when the plugin block has no config
// block) against schema. name is the plugin's, for messages; block is the
// plugin block's range.
func decodeConfig(name string, schema sdk.Schema, body hcl.Body, block hcl.Range) (*decoded, hcl.Diagnostics) {
	d := &decoded{ranges: map[string]hcl.Range{}, block: block}
	var diags hcl.Diagnostics
	if body == nil {
		for _, a := range schema.Attributes {
			if a.Required {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing plugin configuration",
					Detail:  fmt.Sprintf("The plugin %q requires %s in its config block: config { %s = ... }.", name, a.Name, a.Name),
					Subject: block.Ptr()})
			}
		}
		for _, b := range schema.Blocks {
			if b.Required {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing plugin configuration",
					Detail:  fmt.Sprintf("The plugin %q requires at least one %s block in its config block.", name, b.Name),
					Subject: block.Ptr()})
			}
		}
		d.json = []byte("{}")
		return d, diags
	}
	hs := attrSchema(schema.Attributes)
	for _, b := range schema.Blocks {
		hs.Blocks = append(hs.Blocks, hcl.BlockHeaderSchema{Type: b.Name})
	}
	content, cdiags := body.Content(hs)
	diags = append(diags, cdiags...)
	obj := map[string]json.RawMessage{}
	diags = append(diags, decodeAttrs(schema.Attributes, content.Attributes, "", obj, d.ranges)...)
	for _, b := range schema.Blocks {
		var list []map[string]json.RawMessage
		for _, blk := range content.Blocks.OfType(b.Name) {
			i := len(list)
			d.ranges[sdk.BlockPath(b.Name, i, "")] = blk.DefRange
			bc, bdiags := blk.Body.Content(attrSchema(b.Attributes))
			diags = append(diags, bdiags...)
			m := map[string]json.RawMessage{}
			diags = append(diags, decodeAttrs(b.Attributes, bc.Attributes, sdk.BlockPath(b.Name, i, "")+".", m, d.ranges)...)
			list = append(list, m)
		}
		if len(list) == 0 && b.Required {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Missing plugin configuration",
				Detail:  fmt.Sprintf("The plugin %q requires at least one %s block in its config block.", name, b.Name),
				Subject: body.MissingItemRange().Ptr()})
		}
		if len(list) > 0 {
			raw, _ := json.Marshal(list)
			obj[b.Name] = raw
		}
	}
	d.json, _ = json.Marshal(obj)
	slices.SortStableFunc(diags, func(a, b *hcl.Diagnostic) int {
		if a.Subject == nil || b.Subject == nil {
			return 0
		}
		return a.Subject.Start.Byte - b.Subject.Start.Byte
	})
	return d, diags
}

func attrSchema(attrs []sdk.Attribute) *hcl.BodySchema {
	s := &hcl.BodySchema{}
	for _, a := range attrs {
		s.Attributes = append(s.Attributes, hcl.AttributeSchema{Name: a.Name, Required: a.Required})
	}
	return s
}

// decodeAttrs converts each attribute to its declared type, into obj.
func decodeAttrs(schema []sdk.Attribute, attrs hcl.Attributes, prefix string, obj map[string]json.RawMessage,
	ranges map[string]hcl.Range) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, a := range schema {
		attr := attrs[a.Name]
		if attr == nil {
			continue
		}
		ranges[prefix+a.Name] = attr.Expr.Range()
		v, vdiags := attr.Expr.Value(nil)
		diags = append(diags, vdiags...)
		if vdiags.HasErrors() || v.IsNull() {
			continue
		}
		ty := ctyTypes[a.Type]
		cv, huge, err := config.ConvertBounded(v, ty)
		if huge != "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Number out of range",
				Detail:  fmt.Sprintf("%s holds a number far too large or small for any setting (%s).", a.Name, huge),
				Subject: attr.Expr.Range().Ptr()})
			continue
		}
		if err != nil || !cv.IsWhollyKnown() {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
				Detail:  fmt.Sprintf("Inappropriate value for attribute %q: a %s is required.", a.Name, a.Type),
				Subject: attr.Expr.Range().Ptr()})
			continue
		}
		if a.Type == sdk.TypeDuration {
			if _, err := time.ParseDuration(cv.AsString()); err != nil {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid duration",
					Detail:  fmt.Sprintf(`%q is not a duration; write a number and a unit, as "50ms" or "5m".`, cv.AsString()),
					Subject: attr.Expr.Range().Ptr()})
				continue
			}
		}
		raw, err := ctyjson.SimpleJSONValue{Value: cv}.MarshalJSON()
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid value",
				Detail: err.Error(), Subject: attr.Expr.Range().Ptr()})
			continue
		}
		obj[a.Name] = raw
	}
	return diags
}
