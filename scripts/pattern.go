package scripts

// Lua patterns, matched the way Lua 5.1's lstrlib does it (the algorithm is
// the reference's; this is our own Go), with two differences that matter for
// a router: repetitions are loops, not recursion per subject byte, so the Go
// stack stays small whatever the subject's size; and every step is counted,
// so a catastrophic pattern is stopped by the hook's budget instead of
// running for hours in Go code the Lua VM cannot interrupt.

import "fmt"

const (
	capUnfinished = -1
	capPosition   = -2
	maxCaptures   = 32  // LUA_MAXCAPTURES
	maxMatchDepth = 200 // Lua 5.2's MAXCCALLS for the matcher
	// checkEvery is how many matcher steps run between budget checks.
	checkEvery = 1 << 10
)

// patternError is a mistake in a pattern, or the budget running out; the
// string functions turn it into a Lua error.
type patternError struct{ msg string }

func (e *patternError) Error() string { return e.msg }

func patternErrorf(format string, args ...any) *patternError {
	return &patternError{msg: fmt.Sprintf(format, args...)}
}

// matcher matches one pattern against one subject.
type matcher struct {
	src   string
	pat   string
	level int
	cap   [maxCaptures]struct{ init, len int }
	depth int
	steps int
	// budget is called every checkEvery steps; a non-nil error stops the
	// match.
	budget func() error
}

func (m *matcher) tick(n int) {
	before := m.steps
	m.steps += n
	if m.budget != nil && before/checkEvery != m.steps/checkEvery {
		if err := m.budget(); err != nil {
			panic(&patternError{msg: err.Error()})
		}
	}
}

// byteAt is the subject byte at i, 0 past the end (C's terminating NUL).
func (m *matcher) byteAt(i int) byte {
	if i < len(m.src) {
		return m.src[i]
	}
	return 0
}

// patAt is the pattern byte at i, 0 past the end.
func (m *matcher) patAt(i int) byte {
	if i < len(m.pat) {
		return m.pat[i]
	}
	return 0
}

func (m *matcher) classEnd(p int) int {
	c := m.patAt(p)
	p++
	switch c {
	case '%':
		if p >= len(m.pat) {
			panic(patternErrorf("malformed pattern (ends with '%%')"))
		}
		return p + 1
	case '[':
		if m.patAt(p) == '^' {
			p++
		}
		for {
			if p >= len(m.pat) {
				panic(patternErrorf("malformed pattern (missing ']')"))
			}
			c := m.pat[p]
			p++
			if c == '%' && p < len(m.pat) {
				p++
			}
			if m.patAt(p) == ']' {
				return p + 1
			}
		}
	}
	return p
}

func isalpha(c byte) bool  { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isdigit(c byte) bool  { return '0' <= c && c <= '9' }
func islower(c byte) bool  { return 'a' <= c && c <= 'z' }
func isupper(c byte) bool  { return 'A' <= c && c <= 'Z' }
func iscntrl(c byte) bool  { return c < 0x20 || c == 0x7f }
func isspace(c byte) bool  { return c == ' ' || '\t' <= c && c <= '\r' }
func ispunct(c byte) bool  { return c > 0x20 && c < 0x7f && !isalpha(c) && !isdigit(c) }
func isxdigit(c byte) bool { return isdigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func matchClass(c, cl byte) bool {
	var res bool
	lower := cl
	if isupper(cl) {
		lower = cl + ('a' - 'A')
	}
	switch lower {
	case 'a':
		res = isalpha(c)
	case 'c':
		res = iscntrl(c)
	case 'd':
		res = isdigit(c)
	case 'l':
		res = islower(c)
	case 'p':
		res = ispunct(c)
	case 's':
		res = isspace(c)
	case 'u':
		res = isupper(c)
	case 'w':
		res = isalpha(c) || isdigit(c)
	case 'x':
		res = isxdigit(c)
	case 'z':
		res = c == 0
	default:
		return cl == c
	}
	if isupper(cl) {
		return !res
	}
	return res
}

// matchBracketClass matches c against the set [p, ec] (p at '[', ec at
// the closing ']').
func (m *matcher) matchBracketClass(c byte, p, ec int) bool {
	sig := true
	if m.patAt(p+1) == '^' {
		sig = false
		p++
	}
	for p++; p < ec; p++ {
		switch {
		case m.pat[p] == '%':
			p++
			if matchClass(c, m.patAt(p)) {
				return sig
			}
		case m.patAt(p+1) == '-' && p+2 < ec:
			p += 2
			if m.pat[p-2] <= c && c <= m.pat[p] {
				return sig
			}
		case m.pat[p] == c:
			return sig
		}
	}
	return !sig
}

func (m *matcher) singleMatch(s, p, ep int) bool {
	if s >= len(m.src) {
		return false
	}
	c := m.src[s]
	switch m.pat[p] {
	case '.':
		return true
	case '%':
		return matchClass(c, m.patAt(p+1))
	case '[':
		return m.matchBracketClass(c, p, ep-1)
	}
	return m.pat[p] == c
}

func (m *matcher) matchBalance(s, p int) int {
	if p+1 >= len(m.pat) {
		panic(patternErrorf("unbalanced pattern"))
	}
	if s >= len(m.src) || m.src[s] != m.pat[p] {
		return -1
	}
	b, e := m.pat[p], m.pat[p+1]
	cont := 1
	start := s
	for s++; s < len(m.src); s++ {
		switch m.src[s] {
		case e:
			cont--
			if cont == 0 {
				m.tick(s - start)
				return s + 1
			}
		case b:
			cont++
		}
	}
	m.tick(s - start)
	return -1
}

func (m *matcher) maxExpand(s, p, ep int) int {
	i := 0
	for m.singleMatch(s+i, p, ep) {
		i++
	}
	m.tick(i)
	for ; i >= 0; i-- {
		if res := m.match(s+i, ep+1); res >= 0 {
			return res
		}
	}
	return -1
}

func (m *matcher) minExpand(s, p, ep int) int {
	for {
		if res := m.match(s, ep+1); res >= 0 {
			return res
		}
		if !m.singleMatch(s, p, ep) {
			return -1
		}
		s++
	}
}

func (m *matcher) startCapture(s, p, what int) int {
	if m.level >= maxCaptures {
		panic(patternErrorf("too many captures"))
	}
	m.cap[m.level].init = s
	m.cap[m.level].len = what
	m.level++
	res := m.match(s, p)
	if res < 0 {
		m.level--
	}
	return res
}

func (m *matcher) endCapture(s, p int) int {
	l := m.captureToClose()
	m.cap[l].len = s - m.cap[l].init
	res := m.match(s, p)
	if res < 0 {
		m.cap[l].len = capUnfinished
	}
	return res
}

func (m *matcher) captureToClose() int {
	for l := m.level - 1; l >= 0; l-- {
		if m.cap[l].len == capUnfinished {
			return l
		}
	}
	panic(patternErrorf("invalid pattern capture"))
}

func (m *matcher) checkCapture(c byte) int {
	l := int(c) - '1'
	if l < 0 || l >= m.level || m.cap[l].len == capUnfinished {
		panic(patternErrorf("invalid capture index"))
	}
	return l
}

func (m *matcher) matchCapture(s int, c byte) int {
	l := m.checkCapture(c)
	n := m.cap[l].len
	if n < 0 {
		n = 0 // a position capture matches the empty string
	}
	m.tick(n)
	if len(m.src)-s >= n && m.src[m.cap[l].init:m.cap[l].init+n] == m.src[s:s+n] {
		return s + n
	}
	return -1
}

// match returns the end of the match of pattern p at subject position s,
// or -1.
func (m *matcher) match(s, p int) int {
	m.depth++
	if m.depth > maxMatchDepth {
		panic(patternErrorf("pattern too complex"))
	}
	res := m.doMatch(s, p)
	m.depth--
	return res
}

func (m *matcher) doMatch(s, p int) int {
	for {
		m.tick(1)
		if p >= len(m.pat) {
			return s
		}
		switch m.pat[p] {
		case '(':
			if m.patAt(p+1) == ')' {
				return m.startCapture(s, p+2, capPosition)
			}
			return m.startCapture(s, p+1, capUnfinished)
		case ')':
			return m.endCapture(s, p+1)
		case '$':
			if p+1 == len(m.pat) {
				if s == len(m.src) {
					return s
				}
				return -1
			}
		case '%':
			switch m.patAt(p + 1) {
			case 'b':
				if s = m.matchBalance(s, p+2); s < 0 {
					return -1
				}
				p += 4
				continue
			case 'f':
				p += 2
				if m.patAt(p) != '[' {
					panic(patternErrorf("missing '[' after '%%f' in pattern"))
				}
				ep := m.classEnd(p)
				var prev byte
				if s > 0 {
					prev = m.src[s-1]
				}
				if m.matchBracketClass(prev, p, ep-1) || !m.matchBracketClass(m.byteAt(s), p, ep-1) {
					return -1
				}
				p = ep
				continue
			default:
				if c := m.patAt(p + 1); isdigit(c) {
					if s = m.matchCapture(s, c); s < 0 {
						return -1
					}
					p += 2
					continue
				}
			}
		}
		// A single character class, maybe repeated.
		ep := m.classEnd(p)
		matched := m.singleMatch(s, p, ep)
		switch m.patAt(ep) {
		case '?':
			if matched {
				if res := m.match(s+1, ep+1); res >= 0 {
					return res
				}
			}
			p = ep + 1
			continue
		case '*':
			return m.maxExpand(s, p, ep)
		case '+':
			if !matched {
				return -1
			}
			return m.maxExpand(s+1, p, ep)
		case '-':
			return m.minExpand(s, p, ep)
		}
		if !matched {
			return -1
		}
		s++
		p = ep
	}
}

// capture is one capture of a match: a substring, or a position (1-based)
// for "()".
type capture struct {
	s        string
	pos      int
	position bool
}

// captures returns the captures of the last match over [s, e); the whole
// match when the pattern has none and wholeIfNone is set.
func (m *matcher) captures(s, e int, wholeIfNone bool) []capture {
	n := m.level
	if n == 0 && wholeIfNone {
		return []capture{{s: m.src[s:e]}}
	}
	out := make([]capture, n)
	for i := range n {
		out[i] = m.capture(i, s, e)
	}
	return out
}

func (m *matcher) capture(i, s, e int) capture {
	if i >= m.level {
		if i == 0 {
			return capture{s: m.src[s:e]}
		}
		panic(patternErrorf("invalid capture index"))
	}
	c := m.cap[i]
	switch c.len {
	case capUnfinished:
		panic(patternErrorf("unfinished capture"))
	case capPosition:
		return capture{pos: c.init + 1, position: true}
	}
	return capture{s: m.src[c.init : c.init+c.len]}
}

// find looks for the pattern in the subject from init (0-based), as
// string.find and string.match do: the start and end of the first match,
// or -1.
func (m *matcher) find(init int) (start, end int) {
	p := 0
	anchor := m.patAt(0) == '^'
	if anchor {
		p = 1
	}
	for s := init; ; s++ {
		m.level = 0
		if e := m.match(s, p); e >= 0 {
			return s, e
		}
		if anchor || s >= len(m.src) {
			return -1, -1
		}
	}
}

// hasSpecials reports whether a pattern needs the matcher (string.find
// searches plainly otherwise).
func hasSpecials(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '^', '$', '*', '+', '?', '.', '(', '[', '%', '-': // Lua's SPECIALS
			return true
		}
	}
	return false
}

// runMatcher calls fn, turning a pattern error into an error.
func runMatcher(fn func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(*patternError)
			if !ok {
				panic(r)
			}
			err = pe
		}
	}()
	fn()
	return nil
}
