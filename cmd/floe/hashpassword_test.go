package main

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/floe-router/floe/sdk/passwd"
)

// fakeTerminal answers ReadPassword with its answers in turn and records
// the prompts.
type fakeTerminal struct {
	answers []string
	prompts []string
}

func (f *fakeTerminal) ReadPassword(prompt string) (string, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.answers) == 0 {
		return "", errors.New("EOF")
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

// hashPasswordCLI runs floe hashpassword with stdin, or with a terminal
// when term is not nil.
func hashPasswordCLI(t *testing.T, stdin string, term *fakeTerminal, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }, stdin: strings.NewReader(stdin)}
	if term != nil {
		c.terminal = term
	}
	code := c.run(context.Background(), append([]string{"floe", "hashpassword"}, args...))
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// checkLine checks that out is one password file line for user (or a bare
// hash when user is "") with rounds, which verifies password only.
func checkLine(t *testing.T, out, user, password string, rounds int) {
	t.Helper()
	line, ok := strings.CutSuffix(out, "\n")
	if !ok || strings.Contains(line, "\n") {
		t.Fatalf("output %q is not one line", out)
	}
	hash := line
	if user != "" {
		u, h, _ := strings.Cut(line, " ")
		if u != user {
			t.Fatalf("line %q is not for user %q", line, user)
		}
		hash = h
	}
	f, err := passwd.Parse(strings.NewReader("u " + hash + "\n"))
	if err != nil {
		t.Fatalf("%q is not a password file hash: %v", hash, err)
	}
	h, _ := f.Lookup("u")
	if h.Scheme() != passwd.SHA512Crypt || h.Rounds() != rounds {
		t.Errorf("%q: %s with %d rounds; want sha512-crypt with %d", hash, h.Scheme(), h.Rounds(), rounds)
	}
	if !h.Verify(password) || h.Verify(password+"x") {
		t.Errorf("%q is not a hash of %q", hash, password)
	}
}

func TestHashPasswordFromStdin(t *testing.T) {
	for _, tc := range []struct {
		name, stdin, password string
		args                  []string
		user                  string
		rounds                int
	}{
		{"a user line", "secret1\n", "secret1", []string{"--rounds", "1000", "alice"}, "alice", 1000},
		{"options after the user", "secret1\n", "secret1", []string{"alice", "--rounds=2000"}, "alice", 2000},
		{"the hash alone", "pass word\n", "pass word", []string{"--rounds", "1000"}, "", 1000},
		{"CRLF, and only the first line", "secret1\r\nsecond line\n", "secret1", []string{"--rounds", "1000", "bob"}, "bob", 1000},
		{"no final newline", "p\u00e4ssw\u00f6rd", "p\u00e4ssw\u00f6rd", []string{"--rounds", "1000"}, "", 1000},
		{"an empty password", "\n", "", []string{"--rounds", "1000"}, "", 1000},
		{"5000 rounds are not written out", "secret1\n", "secret1", []string{"--rounds", "5000"}, "", 5000},
		{"Ice's default rounds", "secret1\n", "secret1", []string{"carol"}, "carol", passwd.DefaultRounds},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hashPasswordCLI(t, tc.stdin, nil, tc.args...)
			if r.code != exitOK || r.stderr != "" {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			checkLine(t, r.stdout, tc.user, tc.password, tc.rounds)
			if tc.rounds == 5000 && strings.Contains(r.stdout, "rounds=") {
				t.Errorf("%q has rounds= for the default 5000", r.stdout)
			}
		})
	}
}

func TestHashPasswordOnTerminal(t *testing.T) {
	term := &fakeTerminal{answers: []string{"secret1", "secret1"}}
	r := hashPasswordCLI(t, "not read\n", term, "--rounds", "1000", "alice")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	checkLine(t, r.stdout, "alice", "secret1", 1000)
	if got := strings.Join(term.prompts, "|"); got != "Password: |Retype password: " {
		t.Errorf("prompts %q", got)
	}

	term = &fakeTerminal{answers: []string{"secret1", "secret2"}}
	r = hashPasswordCLI(t, "", term, "alice")
	if r.code != exitFailure || r.stdout != "" || r.stderr != "floe hashpassword: the passwords do not match\n" {
		t.Errorf("mismatch: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	term = &fakeTerminal{answers: []string{"secret1"}}
	r = hashPasswordCLI(t, "", term)
	if r.code != exitFailure || !strings.Contains(r.stderr, "reading the password: EOF") {
		t.Errorf("closed terminal: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestHashPasswordErrors(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
		code        int
		stderr      string // a regexp
	}{
		{"empty stdin", "", []string{"alice"}, exitFailure, `^floe hashpassword: no password: standard input is empty\n$`},
		{"a NUL", "a\x00b\n", nil, exitFailure, `password contains a NUL character`},
		{"a user with white space", "x\n", []string{"alice smith"}, exitUsage, `user id "alice smith" contains white space`},
		{"two users", "x\n", []string{"alice", "bob", "carol"}, exitUsage, `^floe hashpassword: too many arguments: bob carol \(at most one user id\)\n$`},
		{"too few rounds", "x\n", []string{"--rounds", "999"}, exitUsage, `--rounds must be between 1000 and 999999999, not 999`},
		{"a bad option", "x\n", []string{"--salt", "x"}, exitUsage, `flag provided but not defined: -salt`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := hashPasswordCLI(t, tc.stdin, nil, tc.args...)
			if r.code != tc.code || r.stdout != "" || !regexp.MustCompile(tc.stderr).MatchString(r.stderr) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stderr matching %s", r.code, r.stdout, r.stderr, tc.code, tc.stderr)
			}
		})
	}
	r := hashPasswordCLI(t, strings.Repeat("x", maxPasswordLine+10), nil)
	if r.code != exitFailure || !strings.Contains(r.stderr, "longer than 65536 bytes") {
		t.Errorf("a huge line: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestHashPasswordHelp(t *testing.T) {
	r := hashPasswordCLI(t, "", nil, "--help")
	if r.code != exitOK || !strings.Contains(r.stderr, "Usage: floe hashpassword [--rounds N] [USER]") || r.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if r := runCLI(t, nil, nil, "floe", "help"); !strings.Contains(r.stdout, "hashpassword [--rounds N] [USER]") {
		t.Errorf("floe help does not list hashpassword:\n%s", r.stdout)
	}
}
