package sdk_test

import (
	"testing"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
)

func TestAppendCacheKey(t *testing.T) {
	alice := &sdk.Session{ID: "1", User: "alice", Attributes: map[string]string{"groups": "admins"}}
	key := func(r sdktest.Request, fields ...string) string {
		t.Helper()
		b, ok := sdk.AppendCacheKey(nil, r.View(), fields)
		if !ok {
			t.Fatalf("fields %v refused", fields)
		}
		return string(b)
	}
	base := sdktest.Request{Identity: "cat/name", Operation: "op", Session: alice, Context: map[string]string{"k": ""}}
	fields := []string{sdk.KeyIdentity, sdk.KeyCategory, sdk.KeyOperation, sdk.KeyUser, sdk.KeyContext + "k", sdk.KeyAttribute + "groups"}
	same := key(base, fields...)
	for name, change := range map[string]func(r *sdktest.Request){
		"identity":    func(r *sdktest.Request) { r.Identity = "cat/other" },
		"operation":   func(r *sdktest.Request) { r.Operation = "op2" },
		"user":        func(r *sdktest.Request) { r.Session = &sdk.Session{User: "bob", Attributes: alice.Attributes} },
		"context":     func(r *sdktest.Request) { r.Context = map[string]string{"k": "v"} },
		"absent":      func(r *sdktest.Request) { r.Context = nil }, // absent differs from empty
		"attribute":   func(r *sdktest.Request) { r.Session = &sdk.Session{User: "alice"} },
		"no session":  func(r *sdktest.Request) { r.Session = nil },
		"field shift": func(r *sdktest.Request) { r.Identity, r.Operation = "cat/nameo", "p" },
	} {
		r := base
		change(&r)
		if key(r, fields...) == same {
			t.Errorf("%s: the key does not change", name)
		}
	}
	r := base
	r.Facet = "f" // not a key field
	if key(r, fields...) != same {
		t.Error("a field outside the key changes it")
	}
	if _, ok := sdk.AppendCacheKey(nil, base.View(), []string{"colour"}); ok {
		t.Error("an unknown field is accepted")
	}
	for _, f := range []string{"context.", "attribute.", "colour"} {
		if sdk.ValidCacheKey(f) {
			t.Errorf("%q is a valid key field", f)
		}
	}
}
