package interop

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/floe-router/floe/internal/testutil"
)

// TestAdminHTTP: the admin block's endpoint reports a real Ice client's
// session and calls through floe: live in /sessions and the metrics while
// the session is open, counted as ended once it is destroyed; and the
// RequestFilter plugin that saw the calls, as a hook and as a process.
func TestAdminHTTP(t *testing.T) {
	t.Parallel()
	requireIce(t)
	hello, _ := server(t, "A")
	port := testutil.FreePort(t)
	guard := fmt.Sprintf("plugin \"guard\" {\n  path = %q\n  config {\n    deny_operations = [\"shutdown\"]\n  }\n}\n",
		filepath.Join(pluginBinaries(t), "testplugin"))
	r := floeHCL(t, fmt.Sprintf("auth {\n  allow_all = true\n}\nadmin {\n  listen = \"127.0.0.1:%d\"\n}\n%s", port, guard))
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", path, resp.StatusCode, err, b)
		}
		return string(b)
	}
	metric := func(body, name string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in the metrics:\n%s", name, body)
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		return v
	}

	c := startPython(t, "plugin client burst", "plugin_client.py", true, "burst", "--router", r.proxy,
		"--hello", hello, "--user", "carol")
	if _, err := c.WaitLine("READY", clientLimit); err != nil {
		t.Fatal(err)
	}
	for _, step := range []string{"one", "two", "three"} {
		if err := c.Send("call " + step); err != nil {
			t.Fatal(err)
		}
		if _, err := c.WaitLine("DONE "+step, clientLimit); err != nil {
			t.Fatal(err)
		}
	}
	if body := get("/healthz"); body != "ok\n" {
		t.Errorf("/healthz: %q", body)
	}
	var sessions []struct {
		User      string `json:"user"`
		Routes    int    `json:"routes"`
		Forwarded uint64 `json:"forwarded"`
	}
	if err := json.Unmarshal([]byte(get("/sessions")), &sessions); err != nil {
		t.Fatal(err)
	}
	if len(sessions) != 1 || sessions[0].User != "carol" || sessions[0].Routes != 1 || sessions[0].Forwarded < 3 {
		t.Errorf("/sessions while carol's session is open: %+v", sessions)
	}
	live := get("/metrics")
	for name, want := range map[string]float64{"floe_sessions": 1, "floe_client_connections": 1,
		"floe_backend_connections": 1, "floe_sessions_created_total": 1,
		// Three calls keep no thread busy: floe runs on one (threads).
		"go_sched_gomaxprocs_threads": 1} {
		if got := metric(live, name); got != want {
			t.Errorf("%s = %v while the session is open; want %v", name, got, want)
		}
	}
	if got := metric(live, "floe_requests_forwarded_total"); got < 3 {
		t.Errorf("floe_requests_forwarded_total = %v after three calls", got)
	}
	if got := metric(live, `floe_hook_calls_total{hook="plugin guard"}`); got < 3 {
		t.Errorf("the guard plugin's hook calls = %v after three calls", got)
	}
	for name, want := range map[string]float64{`floe_plugin_up{plugin="guard"}`: 1, `floe_plugin_starts_total{plugin="guard"}`: 1,
		`floe_plugin_crashes_total{plugin="guard"}`: 0} {
		if got := metric(live, name); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}

	if err := c.Send("end"); err != nil {
		t.Fatal(err)
	}
	clientResult(t, c).want(t, "three", "Hello carol from hello-A")
	// The client's connection closing ends the session; floe sees it soon
	// after the client has exited.
	ended := get("/metrics")
	for deadline := time.Now().Add(5 * time.Second); metric(ended, "floe_sessions") != 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		ended = get("/metrics")
	}
	for name, want := range map[string]float64{"floe_sessions": 0, "floe_sessions_destroyed_total": 1} {
		if got := metric(ended, name); got != want {
			t.Errorf("%s = %v after the session ended; want %v", name, got, want)
		}
	}
	if got := metric(ended, "floe_requests_forwarded_total"); got < 3 {
		t.Errorf("floe_requests_forwarded_total = %v after the session ended: its calls were lost", got)
	}
}
