package scripts

import (
	"errors"
	"testing"
)

// FuzzPattern matches fuzzed patterns against fuzzed subjects the ways
// find, match and gsub do: a malformed pattern is a patternError, never a
// panic or a hang (the budget stops it after a bounded number of steps).
func FuzzPattern(f *testing.F) {
	for _, seed := range [][2]string{{"a.-b", "aaab"}, {"^(%w+)=(%w+)$", "k=v"}, {"%b()", "(a(b)c)"}, {"%f[%a]%a+", "THE (quick)"},
		{"[^%s]-(%d+)", "x 12"}, {"(()a*)%1", "aaaa"}, {"[a-", ""}, {"%", "x"}, {"(", "("}, {".-.-.-.-b", "aaaaaaaaaaaaaaaaaaaaaa"}} {
		f.Add(seed[0], seed[1])
	}
	budgetErr := errors.New("budget")
	f.Fuzz(func(t *testing.T, pat, src string) {
		steps := 0
		m := &matcher{src: src, pat: pat, budget: func() error {
			if steps++; steps > 1000 {
				return budgetErr
			}
			return nil
		}}
		_ = runMatcher(func() {
			for init := 0; init <= len(src); init++ {
				if s, e := m.find(init); s >= 0 {
					if s > e || e > len(src) {
						t.Fatalf("match [%d, %d) of %q", s, e, src)
					}
					m.captures(s, e, true)
				}
			}
		})
	})
}
