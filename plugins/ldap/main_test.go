package main

import (
	"context"
	"strings"
	"testing"

	"github.com/floe-router/floe/internal/testldap"
	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
)

// These tests run against a real OpenLDAP slapd (internal/testldap).

func baseConfig(url string) map[string]any {
	return map[string]any{
		"url":           url,
		"bind_dn":       testldap.AdminDN,
		"bind_password": testldap.AdminPassword,
		"base_dn":       testldap.PeopleDN,
		"group_base_dn": testldap.GroupsDN,
		"attributes":    map[string]string{"mail": "mail", "name": "cn"},
	}
}

func auth(p *sdktest.Plugin, user, password string) (sdk.AuthResult, error) {
	return p.OnAuthenticate(context.Background(), &sdk.AuthRequest{User: user, Password: password})
}

func TestAuthenticate(t *testing.T) {
	s := testldap.Start(t)
	p := sdktest.Start(t, Plugin(), baseConfig(s.URL))
	for _, tc := range []struct {
		user, password string
		want           sdk.AuthDecision
		attrs          map[string]string
	}{
		{"alice", "alice-secret", sdk.Allow, map[string]string{"groups": "admins,staff", "mail": "alice@floe.test", "name": "Alice"}},
		{"bob", "bob-secret", sdk.Allow, map[string]string{"groups": "staff", "mail": "bob@floe.test", "name": "Bob"}},
		{"carol", "carol-secret", sdk.Allow, map[string]string{"groups": "", "mail": "carol@floe.test", "name": "Carol"}},
		{"alice", "bob-secret", sdk.Refuse, nil},
		{"mallory", "x", sdk.Refuse, nil},
		{"alice", "", sdk.Refuse, nil}, // not an unauthenticated bind
		{"*", "alice-secret", sdk.Refuse, nil},
		{"alice)(uid=*", "alice-secret", sdk.Refuse, nil},
	} {
		res, err := auth(p, tc.user, tc.password)
		if err != nil {
			t.Fatalf("%s: %v", tc.user, err)
		}
		if res.Decision != tc.want {
			t.Errorf("%s/%s: %v; want %v", tc.user, tc.password, res.Decision, tc.want)
			continue
		}
		if tc.want == sdk.Refuse && res.Reason != "permission denied" {
			t.Errorf("%s: reason %q", tc.user, res.Reason)
		}
		for k, v := range tc.attrs {
			if res.Attributes[k] != v {
				t.Errorf("%s: attribute %s = %q; want %q (all: %v)", tc.user, k, res.Attributes[k], v, res.Attributes)
			}
		}
	}
}

func TestRequiredGroupsAndAnonymousSearch(t *testing.T) {
	s := testldap.Start(t)
	cfg := baseConfig(s.URL)
	delete(cfg, "bind_dn")
	delete(cfg, "bind_password")
	cfg["required_groups"] = []string{"admins", "staff"}
	p := sdktest.Start(t, Plugin(), cfg)
	if res, err := auth(p, "bob", "bob-secret"); err != nil || res.Decision != sdk.Allow {
		t.Errorf("bob: %+v %v", res, err)
	}
	if res, err := auth(p, "carol", "carol-secret"); err != nil || res.Decision != sdk.Refuse {
		t.Errorf("carol, in no required group: %+v %v", res, err)
	}
}

func TestTLS(t *testing.T) {
	s := testldap.Start(t)
	for name, change := range map[string]func(map[string]any){
		"ldaps":     func(c map[string]any) { c["url"] = s.LDAPS },
		"start_tls": func(c map[string]any) { c["start_tls"] = true },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := baseConfig(s.URL)
			change(cfg)
			cfg["ca_file"] = s.CAFile
			p := sdktest.Start(t, Plugin(), cfg)
			if res, err := auth(p, "alice", "alice-secret"); err != nil || res.Decision != sdk.Allow {
				t.Errorf("alice: %+v %v", res, err)
			}
			// Without the authority the directory is not trusted: an error
			// (on_error decides), not a refusal.
			delete(cfg, "ca_file")
			p = sdktest.Start(t, Plugin(), cfg)
			if _, err := auth(p, "alice", "alice-secret"); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("untrusted directory: %v; want a certificate error", err)
			}
		})
	}
}

func TestDirectoryDownIsAnError(t *testing.T) {
	s := testldap.Start(t)
	p := sdktest.Start(t, Plugin(), baseConfig(s.URL))
	s.Proc.Kill()
	res, err := auth(p, "alice", "alice-secret")
	if err == nil {
		t.Errorf("directory down: %+v and no error; want an error, for on_error to decide", res)
	}
}

func TestConfigErrors(t *testing.T) {
	errs := sdktest.Configure(t, Plugin(), map[string]any{
		"url": "http://x", "base_dn": "dc=x", "user_filter": "(uid=alice)", "group_filter": "(member={dn}",
		"bind_dn": "cn=x", "ca_file": "/nonexistent.pem",
	})
	var got []string
	for _, e := range errs {
		got = append(got, e.Path)
	}
	if strings.Join(got, " ") != "url user_filter group_filter bind_password ca_file" {
		t.Errorf("errors at %v: %v", got, errs)
	}
}
