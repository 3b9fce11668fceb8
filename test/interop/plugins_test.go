package interop

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testldap"
	"github.com/floe-router/floe/internal/testutil"
	"github.com/floe-router/floe/sdk/passwd"
)

// floe's out-of-process plugins end to end: floe started with an HCL
// configuration (floe run --config) holding plugin blocks, the shipped
// plugins and the tokenauth example built from this tree, and the real Ice
// runtime on both sides (py/plugin_client.py, py/server.py). Plugins are
// floe's alone: there is no glacier2router side to these tests.

// pluginBinaries builds the plugins once per run and returns the directory
// holding them, each named after its package directory.
func pluginBinaries(t *testing.T) string {
	t.Helper()
	pluginBuild.once.Do(func() {
		dir := filepath.Join(workDir, "plugins")
		cmd := exec.Command("go", "build", "-o", dir+"/", "./plugins/passwd", "./plugins/ldap", "./plugins/rewrite",
			"./examples/plugins/tokenauth", "./internal/testplugin")
		cmd.Dir = filepath.Join("..", "..")
		if out, err := cmd.CombinedOutput(); err != nil {
			pluginBuild.err = fmt.Errorf("building the plugins: %w\n%s", err, bytes.TrimSpace(out))
		}
		pluginBuild.dir = dir
	})
	if pluginBuild.err != nil {
		t.Fatal(pluginBuild.err)
	}
	return pluginBuild.dir
}

var pluginBuild struct {
	once sync.Once
	dir  string
	err  error
}

// floeHCL starts floe run --config with the HCL body given (client
// endpoints and the instance name are added on a free loopback port) and
// waits until it accepts connections.
func floeHCL(t *testing.T, body string) *router {
	t.Helper()
	requireIce(t)
	bin := floeBinary(t)
	dir := t.TempDir()
	for attempt := 1; ; attempt++ {
		port := testutil.FreePort(t)
		src := fmt.Sprintf("instance_name = %q\nclient {\n  endpoints = \"tcp -h 127.0.0.1 -p %d\"\n}\n%s", instanceName, port, body)
		file := filepath.Join(dir, "floe.hcl")
		if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("floe.hcl:\n%s", src)
		proc := testutil.Start(t, testutil.Options{Name: "floe", Path: bin, Args: []string{"run", "--config", file, "--log-level", "debug"}})
		err := proc.WaitPort(port, readyTimeout)
		if err == nil {
			return &router{proxy: fmt.Sprintf("%s/router:tcp -h 127.0.0.1 -p %d", instanceName, port), port: port, proc: proc}
		}
		if attempt < 3 && strings.Contains(proc.Stderr(), "address already in use") {
			proc.Kill()
			continue
		}
		t.Fatal(err)
	}
}

// pluginClient runs py/plugin_client.py on a scenario through r.
func pluginClient(t *testing.T, r *router, scenario string, args ...string) result {
	t.Helper()
	return clientResult(t, startPython(t, "plugin client "+scenario, "plugin_client.py", false,
		append([]string{scenario, "--router", r.proxy}, args...)...))
}

// permissionDenied checks that step raised PermissionDeniedException with
// reason.
func permissionDenied(t *testing.T, res result, step, reason string) {
	t.Helper()
	if e := res.wantErr(t, step, "::Glacier2::PermissionDeniedException"); e.Reason != reason {
		t.Errorf("%s: PermissionDeniedException reason %q; want %q", step, e.Reason, reason)
	}
}

func TestPluginPasswd(t *testing.T) {
	t.Parallel()
	requireIce(t)
	hello, _ := server(t, "A")
	bin := pluginBinaries(t)
	dir := t.TempDir()
	hash, err := passwd.HashRounds("secret1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "passwords")
	if err := os.WriteFile(file, []byte("alice "+hash+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := floeHCL(t, fmt.Sprintf(`plugin "passwd" {
  path = %q
  config {
    file = %q
  }
}
`, filepath.Join(bin, "passwd"), file))
	ok := pluginClient(t, r, "login", "--user", "alice", "--password", "secret1", "--hello", hello)
	ok.want(t, "createSession", nil)
	ok.want(t, "sayHello", "Hello alice from hello-A")
	permissionDenied(t, pluginClient(t, r, "login", "--user", "alice", "--password", "secret2"), "createSession", "permission denied")
	permissionDenied(t, pluginClient(t, r, "login", "--user", "nobody", "--password", "secret1"), "createSession", "permission denied")
}

func TestPluginLDAP(t *testing.T) {
	t.Parallel()
	requireIce(t)
	dir := testldap.Start(t)
	hello, _ := server(t, "A")
	bin := pluginBinaries(t)
	// The ldap plugin authenticates over StartTLS and maps groups to the
	// session's "groups" attribute; a RequestFilter plugin then lets only
	// admins call.
	r := floeHCL(t, fmt.Sprintf(`plugin "ldap" {
  path = %q
  config {
    url           = %q
    start_tls     = true
    ca_file       = %q
    bind_dn       = %q
    bind_password = %q
    base_dn       = %q
    group_base_dn = %q
  }
}
plugin "admins-only" {
  path = %q
  config {
    require_attributes = { groups = "admins" }
  }
}
`, filepath.Join(bin, "ldap"), dir.URL, dir.CAFile, testldap.AdminDN, testldap.AdminPassword, testldap.PeopleDN,
		testldap.GroupsDN, filepath.Join(bin, "testplugin")))

	alice := pluginClient(t, r, "login", "--user", "alice", "--password", "alice-secret", "--hello", hello)
	alice.want(t, "createSession", nil)
	alice.want(t, "sayHello", "Hello alice from hello-A")
	// bob is in staff, not admins: his session opens, the filter denies
	// his request as a Glacier2 filter would.
	bob := pluginClient(t, r, "login", "--user", "bob", "--password", "bob-secret", "--hello", hello)
	bob.want(t, "createSession", nil)
	bob.wantErr(t, "sayHello", "::Ice::ObjectNotExistException")
	permissionDenied(t, pluginClient(t, r, "login", "--user", "carol", "--password", "alice-secret"), "createSession", "permission denied")
	permissionDenied(t, pluginClient(t, r, "login", "--user", "mallory", "--password", "x"), "createSession", "permission denied")

	// The directory goes down: the plugin fails, on_error = "deny" refuses.
	dir.Proc.Kill()
	permissionDenied(t, pluginClient(t, r, "login", "--user", "alice", "--password", "alice-secret"), "createSession", "internal server error")
	if !strings.Contains(r.proc.Stderr(), "hook failed; denying (on_error = deny)") {
		t.Errorf("floe's log does not say the ldap plugin failed and was denied:\n%s", r.proc.Stderr())
	}
}

// token is what examples/plugins/tokenauth accepts: base64url(claims) "."
// base64url(HMAC-SHA256).
func token(key []byte, user string, expires time.Time) string {
	claims, _ := json.Marshal(map[string]any{"sub": user, "roles": []string{"ops"}, "exp": expires.Unix()})
	p := base64.RawURLEncoding.EncodeToString(claims)
	m := hmac.New(sha256.New, key)
	m.Write([]byte(p))
	return p + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestPluginTokenauth(t *testing.T) {
	t.Parallel()
	requireIce(t)
	hello, _ := server(t, "A")
	bin := pluginBinaries(t)
	key := []byte("an HMAC key of at least thirty-two bytes")
	keyFile := filepath.Join(t.TempDir(), "token.key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	r := floeHCL(t, fmt.Sprintf("plugin \"tokenauth\" {\n  path = %q\n  config {\n    key_file = %q\n  }\n}\n",
		filepath.Join(bin, "tokenauth"), keyFile))
	ok := pluginClient(t, r, "login", "--user", "alice", "--password", token(key, "alice", time.Now().Add(time.Hour)), "--hello", hello)
	ok.want(t, "createSession", nil)
	ok.want(t, "sayHello", "Hello alice from hello-A")
	expired := pluginClient(t, r, "login", "--user", "alice", "--password", token(key, "alice", time.Now().Add(-time.Minute)))
	permissionDenied(t, expired, "createSession", "token expired")
}

func TestPluginRewrite(t *testing.T) {
	t.Parallel()
	requireIce(t)
	// Two backends host the same identity, hello-W; clients name it with no
	// endpoints at all.
	w1, _ := server(t, "W")
	w2, _ := server(t, "W")
	bin := pluginBinaries(t)
	endpoints := func(proxy string) string { _, e, _ := strings.Cut(proxy, ":"); return strings.TrimSpace(e) }
	r := floeHCL(t, fmt.Sprintf(`auth {
  allow_all = true
}
allowed_backends = ["127.0.0.1/32:*"]
plugin "rewrite" {
  path = %q
  config {
    rule {
      name      = "hello-W"
      match     = "exact"
      endpoints = [%q, %q]
      strategy  = "hash_user"
    }
    rule {
      name      = "outside"
      endpoints = ["tcp -h 127.0.0.2 -p 9"]
    }
  }
}
`, filepath.Join(bin, "rewrite"), endpoints(w1), endpoints(w2)))

	users := []string{"u0", "u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"}
	res := pluginClient(t, r, "users", "--users", strings.Join(users, ","), "--hello", "hello-W")
	again := pluginClient(t, r, "users", "--users", strings.Join(users, ","), "--hello", "hello-W")
	// Each user saw the notes of the users on its backend: two groups,
	// both used, and the same user reaches the same backend again.
	groups := map[string][]string{}
	for _, u := range users {
		var notes, notesAgain []string
		res.value(t, u+".notes", &notes)
		again.value(t, u+".notes", &notesAgain)
		first := notes[0]
		groups[first] = append(groups[first], u)
		if notesAgain[0] != first {
			t.Errorf("%s reached another backend the second time: %v then %v", u, notes, notesAgain)
		}
	}
	if len(groups) != 2 {
		t.Errorf("users spread over %d backends; want both: %v", len(groups), groups)
	}
	t.Logf("backends by first user: %v", groups)

	// A rule pointing outside allowed_backends: floe refuses it.
	outside := pluginClient(t, r, "login", "--user", "eve", "--hello", "outside")
	outside.want(t, "createSession", nil)
	if e := outside.wantErr(t, "sayHello", "::Ice::UnknownLocalException"); !strings.Contains(e.Unknown, "backend not in allowed_backends") {
		t.Errorf("UnknownLocalException %q does not say the backend is not allowed", e.Unknown)
	}
	if !strings.Contains(r.proc.Stderr(), "backend not in allowed_backends") {
		t.Errorf("floe's log does not say the rewrite was refused:\n%s", r.proc.Stderr())
	}
}

func TestPluginKilledMidRun(t *testing.T) {
	t.Parallel()
	requireIce(t)
	hello, _ := server(t, "A")
	bin := pluginBinaries(t)
	pidFile := filepath.Join(t.TempDir(), "guard.pid")
	r := floeHCL(t, fmt.Sprintf(`auth {
  allow_all = true
}
plugin "guard" {
  path     = %q
  timeout  = "100ms"
  on_error = "deny"
  deny_as  = "unknown"
  config {
    deny_operations = ["shutdown"]
    pid_file        = %q
  }
}
`, filepath.Join(bin, "testplugin"), pidFile))
	c := startPython(t, "plugin client burst", "plugin_client.py", true, "burst", "--router", r.proxy, "--hello", hello)
	send := func(line, wait string) {
		t.Helper()
		if err := c.Send(line); err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitLine(wait, clientLimit); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.WaitLine("READY", clientLimit); err != nil {
		t.Fatal(err)
	}
	send("call before", "DONE before")
	pidText, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(string(pidText))
	if err := c.Send("burst during 3"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitLine("BURSTING", clientLimit); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitLine("DONE during", clientLimit); err != nil {
		t.Fatal(err)
	}
	send("call after", "DONE after")
	if err := c.Send("end"); err != nil {
		t.Fatal(err)
	}
	res := clientResult(t, c)
	res.want(t, "before", "Hello alice from hello-A")
	res.want(t, "after", "Hello alice from hello-A") // the same session, after the restart

	var outcomes []struct {
		T     float64   `json:"t"`
		OK    bool      `json:"ok"`
		Error *iceError `json:"error"`
	}
	res.value(t, "during", &outcomes)
	firstFail, lastFail := -1.0, -1.0
	for _, o := range outcomes {
		if o.OK {
			continue
		}
		if o.Error.ID != "::Ice::UnknownException" || o.Error.Unknown != "hook plugin guard failed" {
			t.Errorf("at %.3fs: %s (unknown %q); want the on_error policy: UnknownException \"hook plugin guard failed\"",
				o.T, o.Error, o.Error.Unknown)
		}
		if firstFail < 0 {
			firstFail = o.T
		}
		lastFail = o.T
	}
	if firstFail < 0 {
		t.Fatalf("no request failed while the plugin was down: %d calls all succeeded", len(outcomes))
	}
	gap := lastFail - firstFail
	t.Logf("%d calls; failures from %.3fs to %.3fs", len(outcomes), firstFail, lastFail)
	if gap > 2 {
		t.Errorf("the plugin was down for %.1fs; want back within 2s", gap)
	}
	if last := outcomes[len(outcomes)-1]; !last.OK {
		t.Errorf("the last call of the burst failed: the plugin is not back")
	}
	if !strings.Contains(r.proc.Stderr(), "plugin running") || strings.Count(r.proc.Stderr(), "plugin running") < 2 {
		t.Errorf("floe's log does not show the plugin restarted:\n%s", r.proc.Stderr())
	}
}

func TestPluginSHA256Mismatch(t *testing.T) {
	t.Parallel()
	bin := pluginBinaries(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "floe.hcl")
	src := fmt.Sprintf("client {\n  endpoints = \"tcp -h 127.0.0.1 -p 0\"\n}\nauth {\n  allow_all = true\n}\nplugin \"guard\" {\n  path   = %q\n  sha256 = %q\n}\n",
		filepath.Join(bin, "testplugin"), strings.Repeat("0", 64))
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testutil.Start(t, testutil.Options{Name: "floe", Path: floeBinary(t), Args: []string{"run", "--config", file}})
	err := p.Wait(readyTimeout)
	if err == nil {
		t.Fatal("floe ran with a plugin whose sha256 does not match")
	}
	if s := p.Stderr(); !strings.Contains(s, `plugin "guard"`) || !strings.Contains(s, "the configuration pins: not started") {
		t.Errorf("the error does not name the plugin and the mismatch:\n%s", s)
	}
}

func TestPluginConfigErrorPosition(t *testing.T) {
	t.Parallel()
	bin := pluginBinaries(t)
	file := filepath.Join(t.TempDir(), "floe.hcl")
	src := fmt.Sprintf("client {\n  endpoints = \"tcp -p 4063\"\n}\nplugin \"rewrite\" {\n  path = %q\n  config {\n    rule {\n      name      = \"x\"\n      endpoints = [\"tcp -h 10.0.0.1 -p 1\"]\n      strategy  = \"random\"\n    }\n  }\n}\n",
		filepath.Join(bin, "rewrite"))
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(floeBinary(t), "validate", file).CombinedOutput()
	if err == nil {
		t.Fatalf("floe validate accepted a bad config block:\n%s", out)
	}
	want := file + `:10:19: error: Invalid plugin configuration; plugin "rewrite": rule[0].strategy: strategy is "round_robin" or "hash_user", not "random"`
	if !strings.Contains(string(out), want) {
		t.Errorf("floe validate:\n%s\nwant:\n%s", out, want)
	}
}
