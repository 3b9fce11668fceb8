package passwd

import (
	"bufio"
	"crypto/des"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"testing"
)

// vector is one line of testdata/vectors.jsonl, which gen_vectors.py makes
// with mkpasswd, openssl passwd, passlib and libcrypt.
type vector struct {
	Tool   string `json:"tool"`
	Scheme string `json:"scheme"`
	Rounds int    `json:"rounds"`
	Hash   string `json:"hash"`
	Checks []struct {
		Password string `json:"password"`
		OK       bool   `json:"ok"`
	} `json:"checks"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/vectors.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("vectors.jsonl line %d: %v", len(vs)+1, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestVectors checks every hash made by a real tool: it parses with the
// right scheme and rounds, and Verify gives the real verifier's verdict on
// each candidate password (the right one, wrong ones, and the NUL and DES
// truncations that crypt(3) applies).
func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.Scheme] = true
		t.Run(v.Scheme+"/"+v.Hash, func(t *testing.T) {
			t.Parallel()
			h, err := ParseHash(v.Hash)
			if err != nil {
				t.Fatalf("%s made %q, which ParseHash refuses: %v", v.Tool, v.Hash, err)
			}
			if h.Scheme().String() != v.Scheme || h.Rounds() != v.Rounds {
				t.Errorf("%q: scheme %s, rounds %d; want %s, %d", v.Hash, h.Scheme(), h.Rounds(), v.Scheme, v.Rounds)
			}
			if h.String() != v.Hash {
				t.Errorf("String() = %q; want %q", h.String(), v.Hash)
			}
			for _, c := range v.Checks {
				if got := h.Verify(c.Password); got != c.OK {
					t.Errorf("%s: Verify(%q) = %v; the real verifier says %v", v.Tool, c.Password, got, c.OK)
				}
			}
		})
	}
	for s := range schemeNames {
		if !seen[s.String()] {
			t.Errorf("no vector for %s", s)
		}
	}
}

func TestParseFile(t *testing.T) {
	vs := loadVectors(t)
	hashOf := func(scheme string) string {
		for _, v := range vs {
			if v.Scheme == scheme && v.Checks[0].Password == "secret1" && v.Rounds <= 10000 {
				return v.Hash
			}
		}
		t.Fatalf("no vector for %s with password secret1", scheme)
		return ""
	}
	// Tabs, CRLF, blank lines and lines of spaces are all fine, as for
	// glacier2router.
	src := "alice " + hashOf("sha512-crypt") + "\r\n" +
		"\n" +
		"   \t \n" +
		"\tbob\t\t" + hashOf("des-crypt") + "  \n" +
		"carol " + hashOf("pbkdf2-sha256") // no final newline
	f, err := Parse(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(f.Users(), ","); got != "alice,bob,carol" || f.Len() != 3 {
		t.Errorf("Users() = %s, Len() = %d; want alice,bob,carol and 3", got, f.Len())
	}
	if h, ok := f.Lookup("bob"); !ok || h.Scheme() != DESCrypt {
		t.Errorf("Lookup(bob) = %v, %v", h, ok)
	}
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{"alice", "secret1", true},
		{"alice", "secret2", false},
		{"bob", "secret1", true},
		{"carol", "secret1", true},
		{"carol", "", false},
		{"Alice", "secret1", false}, // user ids are case-sensitive
		{"dave", "secret1", false},
		{"", "", false},
	} {
		if got := f.Verify(tc.user, tc.password); got != tc.ok {
			t.Errorf("Verify(%q, %q) = %v; want %v", tc.user, tc.password, got, tc.ok)
		}
	}

	empty, err := Parse(strings.NewReader("\n \n"))
	if err != nil || empty.Len() != 0 || empty.Verify("alice", "") {
		t.Errorf("a file of blank lines: %v, %v", empty, err)
	}
}

func TestParseFileErrors(t *testing.T) {
	const (
		good   = "$1$abcdefgh$Kn5qrjcQzV7oAHBJ23Cu3/"
		sha512 = "$6$Uod/l/lmS3EHDKrd$F4n4xfCClGteaWulEBKEW0llU/AhpQuQDGpyjoDC9vWy.3OsDWw.6wcXbO8xZMbiloRrOc9OxG2Fa/mwTX3RJ0"
		sum86  = "F4n4xfCClGteaWulEBKEW0llU/AhpQuQDGpyjoDC9vWy.3OsDWw.6wcXbO8xZMbiloRrOc9OxG2Fa/mwTX3RJ0"
	)
	for _, tc := range []struct {
		name, src string
		want      []string // each a line of the error, as a regexp
	}{
		{"user without hash", "alice " + good + "\nbob\n", []string{`^line 2: user "bob" has no password hash`}},
		{"three words", "alice " + good + " extra\n", []string{`^line 1: 3 words`}},
		{"comment", "# users\nalice " + good + "\n", []string{`^line 1: 2 words|^line 1: user "#": not a password hash`}},
		{"duplicate", "alice " + good + "\nbob " + good + "\nalice " + sha512 + "\n",
			[]string{`^line 3: user "alice" is already defined on line 1 \(glacier2router would use the first\)$`}},
		{"yescrypt", "alice $y$j9T$1KE5.IEiNaSosqHIjcxL61$NUu6GjeJdFzaX9XOqWVcY0TdO5/QF91X2nwdbI1i9.9\n",
			[]string{`^line 1: user "alice": unsupported hash format yescrypt \(glacier2router on Linux takes it from libcrypt; floe does not\); use one of sha512-crypt`}},
		{"bcrypt", "alice $2b$05$Bk/WJ0RD9evInzQvBQJod.iJC7Tcxn4pIzwrMtyi0U83NqqYybdJi\n",
			[]string{`unsupported hash format bcrypt; use one of`}},
		{"unknown", "alice $9$abc$def\n", []string{`^line 1: user "alice": unknown hash format "\$9\$"`}},
		{"plain password", "alice secret\n", []string{`^line 1: user "alice": not a password hash: 6 characters without '\$'`}},
		{"locked", "alice !" + sha512 + "\n", []string{`^line 1: user "alice": "!" marks a locked account in /etc/shadow, but not here: remove the user's line to refuse them$`}},
		{"short sha512", "alice " + sha512[:len(sha512)-1] + "\n",
			[]string{`^line 1: user "alice": malformed sha512-crypt hash: the hash after the salt has 85 characters, not 86$`}},
		{"sha512 rounds too low", "alice $6$rounds=999$salt$" + sum86 + "\n", []string{`rounds: 999 is not between 1000 and 999999999`}},
		{"sha512 rounds leading zero", "alice $6$rounds=01000$salt$" + sum86 + "\n", []string{`rounds: "01000" is not a number without leading zero`}},
		{"sha512 long salt", "alice $6$0123456789abcdefg$" + sum86 + "\n", []string{`salt "0123456789abcdefg" is longer than 16 characters`}},
		{"sha512 bad character", "alice $6$salt$" + sum86[:85] + "-\n", []string{`'-' is not a crypt base64 character`}},
		{"sha512 bad last character", "alice $6$salt$" + sum86[:85] + "z\n", []string{`last character 'z' is not one crypt produces`}},
		{"sha512 no salt end", "alice $6$rounds=5000\n", []string{`no '\$' after rounds=`}},
		{"md5 long salt", "alice $1$abcdefghi$Kn5qrjcQzV7oAHBJ23Cu3/\n", []string{`longer than 8 characters`}},
		{"des bad last character", "alice zzsT4g5y.2SNF\n", []string{`malformed des-crypt hash: last character 'F' is not one DES crypt produces`}},
		{"des bad character", "alice zzsT4g5y.2SN!\n", []string{`'!' is not a crypt base64 character`}},
		{"pbkdf2 short checksum", "alice $pbkdf2-sha256$1000$c2FsdA$qvzM.uGS1/HlXpQSYzWhOfrMR.hRjVKksgrWFgS0l5\n",
			[]string{`malformed pbkdf2-sha256 hash: checksum`}},
		{"pbkdf2 sha1 length", "alice $pbkdf2$1000$c2FsdA$qvzM.uGS1/HlXpQSYzWhOfrMR.hRjVKksgrWFgS0l5Y\n",
			[]string{`malformed pbkdf2-sha1 hash: checksum is 32 bytes, not 20`}},
		{"pbkdf2 zero rounds", "alice $pbkdf2-sha512$0$c2FsdA$x\n", []string{`rounds: "0" is not a number`}},
		{"pbkdf2 padding", "alice $pbkdf2-sha256$1000$c2FsdA==$qvzM.uGS1/HlXpQSYzWhOfrMR.hRjVKksgrWFgS0l5Y\n", []string{`salt: '\+' or '='`}},
		{"pbkdf2 parts", "alice $pbkdf2-sha256$1000$c2FsdA\n", []string{`want rounds\$salt\$checksum`}},
		{"several", "alice\nbob x\ncarol " + good + "\ndave $6$\n",
			[]string{`^line 1: `, `^line 2: `, `^line 4: `}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Parse(strings.NewReader(tc.src))
			if err == nil {
				t.Fatalf("Parse accepted %q: %v", tc.src, f.Users())
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tc.want) {
				t.Fatalf("%d errors; want %d:\n%v", len(lines), len(tc.want), err)
			}
			for i, re := range tc.want {
				if !regexp.MustCompile(re).MatchString(lines[i]) {
					t.Errorf("error %q does not match %q", lines[i], re)
				}
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line < 1 {
				t.Errorf("error is not a *LineError: %#v", err)
			}
		})
	}
}

func TestParseFileBoundsErrors(t *testing.T) {
	_, err := Parse(strings.NewReader(strings.Repeat("x\n", 1000)))
	if n := strings.Count(err.Error(), "\n") + 1; n != maxLineErrors+1 || !strings.HasSuffix(err.Error(), "too many errors") {
		t.Errorf("%d lines of errors; want %d then \"too many errors\":\n%v", n, maxLineErrors+1, err)
	}
}

func TestParseFilePath(t *testing.T) {
	_, err := ParseFile("testdata/does-not-exist")
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	path := t.TempDir() + "/passwords"
	if err := os.WriteFile(path, []byte("alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseFile(path); err == nil || !strings.HasPrefix(err.Error(), path+": line 1: ") {
		t.Errorf("error %v; want it to start with the path and the line", err)
	}
}

func TestHash(t *testing.T) {
	h1, err := Hash("secret1")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^\$6\$rounds=656000\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$`)
	if !re.MatchString(h1) {
		t.Errorf("Hash gave %q; want a sha512-crypt hash with 656000 rounds and a 16-character salt", h1)
	}
	if !Verify(h1, "secret1") {
		t.Errorf("%q does not verify as a hash of secret1", h1)
	}
	if a, b := must(HashRounds("secret1", 1000)), must(HashRounds("secret1", 1000)); a == b {
		t.Errorf("two hashes of the same password are both %q; want random salts", a)
	}

	for _, tc := range []struct {
		password string
		rounds   int
		re       string
	}{
		{"", 1000, `^\$6\$rounds=1000\$`},
		{"pass word", 5000, `^\$6\$[./0-9A-Za-z]{16}\$`}, // the default rounds are not written, as passlib does
		{"p\u00e4ssw\u00f6rd", 5001, `^\$6\$rounds=5001\$`},
	} {
		h, err := HashRounds(tc.password, tc.rounds)
		if err != nil || !regexp.MustCompile(tc.re).MatchString(h) {
			t.Errorf("HashRounds(%q, %d) = %q, %v; want %s", tc.password, tc.rounds, h, err, tc.re)
			continue
		}
		if sh, err := ParseHash(h); err != nil || sh.Rounds() != tc.rounds || !sh.Verify(tc.password) || sh.Verify(tc.password+"x") {
			t.Errorf("HashRounds(%q, %d) = %q, which does not verify: %v", tc.password, tc.rounds, h, err)
		}
	}
	for _, rounds := range []int{0, 999, 1_000_000_000} {
		if h, err := HashRounds("x", rounds); err == nil {
			t.Errorf("HashRounds with %d rounds = %q; want an error", rounds, h)
		}
	}
	if h, err := HashRounds("a\x00b", 1000); err == nil {
		t.Errorf("HashRounds of a password with NUL = %q; want an error", h)
	}
}

// TestDESBlock checks the DES at the heart of DES crypt against Go's
// crypto/des: with no salt, crypt's DES is the standard one.
func TestDESBlock(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		var key, in, want [8]byte
		binary.BigEndian.PutUint64(key[:], r.Uint64())
		binary.BigEndian.PutUint64(in[:], r.Uint64())
		c, err := des.NewCipher(key[:])
		if err != nil {
			t.Fatal(err)
		}
		c.Encrypt(want[:], in[:])
		subkeys := desKeySchedule(binary.BigEndian.Uint64(key[:]))
		if got := desEncrypt(&subkeys, binary.BigEndian.Uint64(in[:]), 0); got != binary.BigEndian.Uint64(want[:]) {
			t.Fatalf("DES(key %x, %x) = %x; want %x", key, in, got, want)
		}
	}
}

func TestVerifyUnsupported(t *testing.T) {
	for _, h := range []string{"", "secret1", "$y$j9T$1KE5.IEiNaSosqHIjcxL61$NUu6GjeJdFzaX9XOqWVcY0TdO5/QF91X2nwdbI1i9.9", "$6$"} {
		if Verify(h, "secret1") || Verify(h, "") {
			t.Errorf("Verify(%q) accepted a password", h)
		}
	}
	var zero StoredHash
	if zero.Verify("") {
		t.Error("the zero StoredHash accepted a password")
	}
}

func TestCheckUser(t *testing.T) {
	for _, tc := range []struct {
		user string
		ok   bool
	}{
		{"alice", true},
		{"alice@example.com", true},
		{"\u00e9lodie", true},
		{"", false},
		{"alice smith", false},
		{"alice\tsmith", false},
		{"alice\n", false},
		{"a\x00b", false},
	} {
		if err := CheckUser(tc.user); (err == nil) != tc.ok {
			t.Errorf("CheckUser(%q) = %v; want ok %v", tc.user, err, tc.ok)
		}
	}
}

func TestSchemeString(t *testing.T) {
	if SHA512Crypt.String() != "sha512-crypt" || Scheme(99).String() != "Scheme(99)" {
		t.Errorf("%s, %s", SHA512Crypt, Scheme(99))
	}
}

func must(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
