package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testdata/passwords holds alice (sha512-crypt) and bob (DES crypt), made
// with mkpasswd; testdata/passwords.bad has two bad lines.

func TestParsePasswordsFile(t *testing.T) {
	abs, err := filepath.Abs("testdata/passwords")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, filename, path, want string
	}{
		{"relative to the configuration file", "testdata/floe.hcl", "passwords", "testdata/passwords"},
		{"relative to the current directory", "floe.hcl", "testdata/passwords", "testdata/passwords"},
		{"absolute", "/nowhere/floe.hcl", abs, abs},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n  passwords_file = \"" + tc.path + "\"\n}\n"
			cfg, diags := Parse([]byte(src), tc.filename)
			if len(diags) > 0 {
				t.Fatalf("diagnostics:\n%s", diagLines(diags))
			}
			if !reflect.DeepEqual(cfg.Auth, Auth{PasswordsFile: tc.want}) {
				t.Errorf("Auth = %+v; want PasswordsFile %q", cfg.Auth, tc.want)
			}
		})
	}
}

func TestParsePasswordsFileDiagnostics(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const head = "client {\n  endpoints = \"tcp -p 4063\"\n}\nauth {\n"
	for _, tc := range []struct {
		name, auth string
		want       []string
	}{{
		name: "every bad line, at the attribute",
		auth: `  passwords_file = "passwords.bad"`,
		want: []string{
			`testdata/floe.hcl:5:20: error: Invalid password file; testdata/passwords.bad:1: user "alice": malformed sha512-crypt hash: no '$' between salt and hash.`,
			`testdata/floe.hcl:5:20: error: Invalid password file; testdata/passwords.bad:2: user "carol" has no password hash; write the user id, white space, then the hash.`,
		},
	}, {
		name: "a directory",
		auth: `  passwords_file = "."`,
		want: []string{"testdata/floe.hcl:5:20: error: Invalid password file; cannot open `testdata' for reading: Is a directory."},
	}, {
		name: "with a verifier, as Glacier2 would ignore the file",
		auth: "  passwords_file = \"passwords\"\n  verifier = \"V:tcp -p 1\"",
		want: []string{`testdata/floe.hcl:5:20: error: Conflicting authentication; Glacier2 would use the verifier and ignore the password file; set either verifier or passwords_file, not both.`},
	}, {
		name: "with allow_all",
		auth: "  passwords_file = \"passwords\"\n  allow_all = true",
		want: []string{`testdata/floe.hcl:6:15: error: Conflicting authentication; allow_all accepts every user the password file would refuse; set either passwords_file or allow_all, not both.`},
	}, {
		name: "empty string is unset",
		auth: `  passwords_file = ""`,
		want: []string{`testdata/floe.hcl:4:1: error: No authentication configured; ` + noAuthDetail},
	}, {
		name: "an empty file is only a warning",
		auth: `  passwords_file = "` + empty + `"`,
		want: []string{`testdata/floe.hcl:5:20: warning: Empty password file; ` + empty + ` has no users: every createSession will be refused.`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Parse([]byte(head+tc.auth+"\n}\n"), "testdata/floe.hcl")
			got := strings.Split(strings.TrimSuffix(diagLines(diags), "\n"), "\n")
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("diagnostics\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestFromPropertiesCryptPasswords(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		lines    []string
		file     string // Auth.PasswordsFile
		verifier string
		errs     []string
		warnings []string
	}{{
		name:  "a password file instead of a verifier",
		lines: []string{clientEndpoints, "Glacier2.CryptPasswords=testdata/passwords"},
		file:  "testdata/passwords",
	}, {
		name:     "the verifier wins, and the file is not even read, as in glacier2router",
		lines:    []string{clientEndpoints, verifier, "Glacier2.CryptPasswords=testdata/missing"},
		verifier: "Verifier:tcp -h 10.0.0.2 -p 10000",
		warnings: []string{"property `Glacier2.CryptPasswords' is ignored: `Glacier2.PermissionsVerifier' is set"},
	}, {
		name:  "a missing file, in glacier2router's words",
		lines: []string{clientEndpoints, "Glacier2.CryptPasswords=testdata/missing"},
		errs:  []string{"cannot open `testdata/missing' for reading: No such file or directory"},
	}, {
		name:  "every bad line",
		lines: []string{clientEndpoints, "Glacier2.CryptPasswords=testdata/passwords.bad"},
		errs: []string{
			`testdata/passwords.bad:1: user "alice": malformed sha512-crypt hash: no '$' between salt and hash`,
			`testdata/passwords.bad:2: user "carol" has no password hash; write the user id, white space, then the hash`,
		},
	}, {
		name:     "an empty file",
		lines:    []string{clientEndpoints, "Glacier2.CryptPasswords=" + empty},
		file:     empty,
		warnings: []string{"password file `" + empty + "' has no users: every createSession will be refused"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := FromProperties(props(t, tc.lines...))
			var errs []string
			if err != nil {
				errs = strings.Split(err.Error(), "\n")
			}
			if !reflect.DeepEqual(errs, tc.errs) || !reflect.DeepEqual(cfg.Warnings, tc.warnings) {
				t.Fatalf("errors %q, warnings %q; want %q, %q", errs, cfg.Warnings, tc.errs, tc.warnings)
			}
			if err == nil && (cfg.Auth.PasswordsFile != tc.file || cfg.Auth.Verifier != tc.verifier) {
				t.Errorf("Auth = %+v; want PasswordsFile %q, Verifier %q", cfg.Auth, tc.file, tc.verifier)
			}
		})
	}
}
