package admin

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/floe-router/floe/core/config"
	"github.com/floe-router/floe/core/router"
	"github.com/hashicorp/go-hclog"
)

func startAdmin(t *testing.T) *Server {
	t.Helper()
	r, err := router.New(&config.Config{InstanceName: "Glacier2", Client: config.Client{Endpoints: "tcp -h 127.0.0.1 -p 0"},
		Auth: config.Auth{AllowAll: true}, MessageSizeMax: 1 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, err := Start("127.0.0.1:0", Source{Router: r}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		_ = r.Shutdown(ctx)
	})
	return s
}

func get(t *testing.T, s *Server, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + s.Addr().String() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestEndpoints(t *testing.T) {
	s := startAdmin(t)
	for _, tc := range []struct {
		path     string
		status   int
		contains []string
	}{
		{"/metrics", 200, []string{"floe_sessions 0", "floe_client_connections 0", "floe_client_connections_parked 0", "floe_backend_connections 0", "floe_sessions_created_total 0",
			"floe_requests_forwarded_total 0", "floe_callbacks_forwarded_total 0", "floe_requests_rejected_total 0",
			"go_goroutines", "process_resident_memory_bytes"}},
		{"/healthz", 200, []string{"ok"}},
		{"/sessions", 200, []string{"[]"}},
		{"/nothing", 404, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			status, body := get(t, s, tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			for _, want := range tc.contains {
				if !strings.Contains(body, want) {
					t.Errorf("no %q in:\n%s", want, body)
				}
			}
		})
	}
	var sessions []router.SessionInfo
	if _, body := get(t, s, "/sessions"); json.Unmarshal([]byte(body), &sessions) != nil {
		t.Errorf("/sessions is not a JSON list of sessions: %s", body)
	}
}

func TestHealthWhileStopping(t *testing.T) {
	s := startAdmin(t)
	s.Stopping()
	if status, body := get(t, s, "/healthz"); status != http.StatusServiceUnavailable {
		t.Fatalf("healthz while stopping: %d %s", status, body)
	}
}

func TestListenError(t *testing.T) {
	s := startAdmin(t)
	if _, err := Start(s.Addr().String(), Source{}, hclog.NewNullLogger()); err == nil ||
		!strings.Contains(err.Error(), "admin endpoint") {
		t.Fatalf("a second endpoint on the same address: %v", err)
	}
}
