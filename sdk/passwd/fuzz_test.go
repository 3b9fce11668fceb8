package passwd

import (
	"bytes"
	"strings"
	"testing"
	"unicode"
)

// maxFuzzRounds keeps fuzzing fast: a hash with more rounds is only parsed.
const maxFuzzRounds = 2000

// FuzzParse: Parse never panics; what it accepts holds well-formed hashes
// that Verify can check, and every error names a line.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.Rounds <= maxFuzzRounds {
			f.Add([]byte("alice " + v.Hash + "\n"))
		}
	}
	f.Add([]byte("alice $6$salt$x\r\nbob\n\tcarol zzsT4g5y.2SNE extra\nalice zzsT4g5y.2SNE\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(bytes.NewReader(data))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, user := range file.Users() {
			// glacier2router reads any non-blank bytes as a user id, control
			// characters included (C1 as well as C0); only those may be
			// read here yet refused when written.
			if CheckUser(user) != nil && !strings.ContainsFunc(user, unicode.IsControl) {
				t.Errorf("Parse accepted user %q, which CheckUser refuses", user)
			}
			h, ok := file.Lookup(user)
			if !ok {
				t.Fatalf("user %q listed but not found", user)
			}
			again, err := ParseHash(h.String())
			if err != nil || again.Scheme() != h.Scheme() {
				t.Fatalf("%q parses in a file but not alone: %v", h, err)
			}
			if h.Rounds() <= maxFuzzRounds {
				file.Verify(user, "secret1")
			}
		}
	})
}

// FuzzVerify: ParseHash and Verify never panic, whatever the hash and the
// password.
func FuzzVerify(f *testing.F) {
	for _, v := range loadVectors(f) {
		if v.Rounds <= maxFuzzRounds {
			f.Add(v.Hash, v.Checks[0].Password)
		}
	}
	f.Add("$6$rounds=1000$$", "")
	f.Add("$pbkdf2-sha256$1$$", "x")
	f.Fuzz(func(t *testing.T, hash, password string) {
		h, err := ParseHash(hash)
		if err != nil {
			if h != nil {
				t.Fatalf("ParseHash(%q) returned a hash and an error", hash)
			}
			return
		}
		if h.String() != hash {
			t.Fatalf("String() = %q; want %q", h.String(), hash)
		}
		if h.Rounds() <= maxFuzzRounds {
			h.Verify(password)
		}
	})
}
