package interop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/floe-router/floe/internal/testutil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Glacier2.CryptPasswords: glacier2router and floe read the same password
// file, with a user for each hash format and for the hashes floe
// hashpassword makes, and a real Ice client tries right and wrong passwords
// through each router. Both give the same verdicts, and the same reason,
// except for PBKDF2, which glacier2router checks only on macOS and Windows:
// on Linux it hands every hash to libcrypt, which does not know passlib's
// format, so it refuses even the right password. floe accepts it.

// The hashes come from sdk/passwd's test vectors, which real tools made
// (mkpasswd, openssl passwd, passlib, libcrypt).
const vectorsFile = "../../sdk/passwd/testdata/vectors.jsonl"

// cryptUser is a line of the password file: the first vector whose scheme
// is scheme, whose tool starts with tool and whose password is password.
type cryptUser struct {
	user, scheme, tool, password string
}

var cryptUsers = []cryptUser{
	{"sha512", "sha512-crypt", "mkpasswd --stdin -m sha-512", "secret1"},
	{"sha512-rounds", "sha512-crypt", "mkpasswd --stdin -m sha-512 -R 10000", "secret1"},
	{"sha512-rounds5000", "sha512-crypt", "libcrypt crypt(3) with setting $6$rounds=5000$", "secret1"},
	{"sha512-openssl", "sha512-crypt", "openssl passwd -6", "pass word"},
	{"sha512-longest", "sha512-crypt", "mkpasswd --stdin -m sha-512 (511 characters)", strings.Repeat("y", 511)},
	{"sha256", "sha256-crypt", "mkpasswd --stdin -m sha-256", "p\u00e4ssw\u00f6rd"},
	{"sha256-rounds", "sha256-crypt", "mkpasswd --stdin -m sha-256 -R 1000", "secret1"},
	{"md5", "md5-crypt", "mkpasswd --stdin -m md5", "secret1"},
	{"md5-openssl", "md5-crypt", "openssl passwd -1", "secret1"},
	{"des", "des-crypt", "mkpasswd --stdin -m des", "secret1"},
	{"des-long", "des-crypt", "mkpasswd --stdin -m des", "12345678abcdef"},
	{"des-salt", "des-crypt", "mkpasswd --stdin -m des -S zz", "secret1"},
	{"pbkdf2-sha256", "pbkdf2-sha256", "passlib pbkdf2_sha256.using(rounds=1000)", "secret1"},
	{"pbkdf2-sha512", "pbkdf2-sha512", "passlib pbkdf2_sha512.using(rounds=1000)", "secret1"},
	{"pbkdf2-sha1", "pbkdf2-sha1", "passlib pbkdf2_sha1.using(rounds=1000)", "secret1"},
}

// passwordCase is one createSession attempt.
type passwordCase struct {
	Name     string `json:"name"`
	User     string `json:"user"`
	Password string `json:"password"`
	accepted bool
	// deniedOnLinux: glacier2router on Linux refuses it anyway (PBKDF2).
	deniedOnLinux bool
}

func init() {
	scenarios = append(scenarios, scenario{"crypt-passwords", func(t *testing.T, e *env) {
		lines, cases := passwordFile(t)
		file := filepath.Join(t.TempDir(), "passwords")
		if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := e.router(t, props{"Glacier2.CryptPasswords": file})

		c := startPython(t, "client passwords", "passwords.py", true, "--router", r.proxy)
		line, err := json.Marshal(cases)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Send(string(line)); err != nil {
			t.Fatal(err)
		}
		res := clientResult(t, c)
		for _, pc := range cases {
			accepted := pc.accepted && !(e.kind == "glacier2" && pc.deniedOnLinux)
			if accepted {
				res.want(t, pc.Name, nil) // no session manager: a null session proxy
				continue
			}
			err := res.wantErr(t, pc.Name, "::Glacier2::PermissionDeniedException")
			if err.Reason != "permission denied" {
				t.Errorf("%s: PermissionDeniedException reason %q; want glacier2router's %q", pc.Name, err.Reason, "permission denied")
			}
		}
	}})
}

// passwordFile returns the lines of the password file and the cases to try
// with it.
func passwordFile(t *testing.T) (lines []string, cases []passwordCase) {
	t.Helper()
	vectors := readVectors(t)
	add := func(user, hash, password string, pbkdf2 bool) {
		lines = append(lines, user+" "+hash)
		cases = append(cases,
			passwordCase{Name: user + "/right", User: user, Password: password, accepted: true, deniedOnLinux: pbkdf2},
			passwordCase{Name: user + "/wrong", User: user, Password: wrongPassword(password)})
	}
	for _, u := range cryptUsers {
		hash := ""
		for _, v := range vectors {
			if v.Scheme == u.scheme && strings.HasPrefix(v.Tool, u.tool) && v.Checks[0].Password == u.password {
				hash = v.Hash
				break
			}
		}
		if hash == "" {
			t.Fatalf("%s has no %s vector made by %q for %q", vectorsFile, u.scheme, u.tool, u.password)
		}
		add(u.user, hash, u.password, strings.HasPrefix(u.scheme, "pbkdf2"))
	}
	// Hashes made now, by the system's own tools, in every format.
	for _, g := range []struct {
		user, password string
		pbkdf2         bool
		cmd            []string
	}{
		{"now-sha512", "secret2", false, []string{"mkpasswd", "--stdin", "-m", "sha-512"}},
		{"now-sha256", "secret2", false, []string{"mkpasswd", "--stdin", "-m", "sha-256"}},
		{"now-md5", "secret2", false, []string{"mkpasswd", "--stdin", "-m", "md5"}},
		{"now-des", "secret2", false, []string{"mkpasswd", "--stdin", "-m", "des"}},
		{"now-openssl6", "secret2", false, []string{"openssl", "passwd", "-6", "-stdin"}},
		{"now-pbkdf2-sha256", "secret2", true, []string{python, "-c",
			"import sys; from passlib.hash import pbkdf2_sha256; print(pbkdf2_sha256.using(rounds=1000).hash(sys.stdin.readline().rstrip('\\n')))"}},
		{"now-pbkdf2-sha512", "secret2", true, []string{python, "-c",
			"import sys; from passlib.hash import pbkdf2_sha512; print(pbkdf2_sha512.using(rounds=1000).hash(sys.stdin.readline().rstrip('\\n')))"}},
		{"now-pbkdf2-sha1", "secret2", true, []string{python, "-c",
			"import sys; from passlib.hash import pbkdf2_sha1; print(pbkdf2_sha1.using(rounds=1000).hash(sys.stdin.readline().rstrip('\\n')))"}},
	} {
		testutil.RequirePeer(t, g.cmd[0]+" (Debian whois, openssl, python3-passlib)", testutil.CheckCommand("sh", "-c", "command -v "+g.cmd[0]))
		cmd := exec.Command(g.cmd[0], g.cmd[1:]...)
		cmd.Stdin = strings.NewReader(g.password + "\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", strings.Join(g.cmd, " "), err)
		}
		add(g.user, strings.TrimSpace(string(out)), g.password, g.pbkdf2)
	}
	// floe hashpassword's lines, with few rounds and with its default, Ice's.
	for _, h := range []struct {
		user  string
		flags []string
	}{
		{"floe-hashpassword-1000", []string{"--rounds", "1000"}},
		{"floe-hashpassword-default", nil},
	} {
		user := h.user
		args := append([]string{"hashpassword", user}, h.flags...)
		cmd := exec.Command(floeBinary(t), args...)
		cmd.Stdin = strings.NewReader("secret1\n")
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("floe %s: %v", strings.Join(args, " "), err)
		}
		hash, ok := strings.CutPrefix(strings.TrimSpace(string(out)), user+" ")
		if !ok {
			t.Fatalf("floe %s printed %q", strings.Join(args, " "), out)
		}
		add(user, hash, "secret1", false)
	}
	// What crypt(3) does to the password, as glacier2router calls it.
	cases = append(cases,
		passwordCase{Name: "des-long/first-8-characters", User: "des-long", Password: "12345678ZZZ", accepted: true},
		passwordCase{Name: "sha512/nul-ends-the-password", User: "sha512", Password: "secret1\x00junk", accepted: true},
		passwordCase{Name: "sha512-longest/512-characters", User: "sha512-longest", Password: strings.Repeat("y", 512)},
		passwordCase{Name: "sha512/empty", User: "sha512", Password: ""},
		passwordCase{Name: "SHA512/user-ids-are-case-sensitive", User: "SHA512", Password: "secret1"},
		passwordCase{Name: "nobody/unknown-user", User: "nobody", Password: "secret1"},
		passwordCase{Name: "empty-user", User: "", Password: ""},
	)
	return lines, cases
}

// wrongPassword differs from p in its first character, which every
// format reads (DES crypt reads only 8, and libcrypt at most 511).
func wrongPassword(p string) string {
	first, size := utf8.DecodeRuneInString(p)
	if first == 'x' {
		return "y" + p[size:]
	}
	return "x" + p[size:]
}

type passwordVector struct {
	Tool, Scheme, Hash string
	Checks             []struct{ Password string }
}

func readVectors(t *testing.T) []passwordVector {
	t.Helper()
	f, err := os.Open(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []passwordVector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var v passwordVector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(fmt.Errorf("%s: %w", vectorsFile, err))
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}
