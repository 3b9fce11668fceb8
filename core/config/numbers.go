package config

import (
	"fmt"
	"math"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// maxNumberExp bounds the binary exponent of the numbers a configuration
// may hold. HCL keeps a number as a 512-bit float whatever its size, but
// writing one in decimal (in a message, or converting it to a string or to
// JSON) takes time that grows with its exponent: a fuzzed
// routing_table_size = 1e60333333 held the loader for five minutes, and a
// reload would hang as long. Nothing floe configures comes near 2^4096.
const maxNumberExp = 4096

// ConvertBounded converts v, a value a user wrote, to ty. A number beyond
// any setting, in v or read from a string by the conversion, is not
// converted: huge is it as HugeNumber writes it, and err is nil.
func ConvertBounded(v cty.Value, ty cty.Type) (cv cty.Value, huge string, err error) {
	if huge = HugeNumber(v); huge != "" {
		return cty.NilVal, huge, nil
	}
	if cv, err = convert.Convert(v, ty); err != nil {
		return cty.NilVal, "", err
	}
	if huge = HugeNumber(cv); huge != "" {
		return cty.NilVal, huge, nil
	}
	return cv, "", nil
}

// HugeNumber returns, written as "about 1eN", the first number in v whose
// magnitude is beyond any setting, or "" if there is none. Call it before
// converting a value a user wrote.
func HugeNumber(v cty.Value) string {
	found := ""
	_ = cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if found != "" || !e.IsKnown() || e.IsNull() || !e.Type().Equals(cty.Number) {
			return found == "", nil
		}
		if exp := e.AsBigFloat().MantExp(nil); exp > maxNumberExp || exp < -maxNumberExp {
			found = fmt.Sprintf("about 1e%d", int(math.Round(float64(exp)*math.Log10(2))))
		}
		return found == "", nil
	})
	return found
}
