package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/floe-router/floe/sdk"
	"github.com/floe-router/floe/sdk/sdktest"
)

func route(t *testing.T, p *sdktest.Plugin, r *sdk.RouteRequest) string {
	t.Helper()
	res, err := p.OnRoute(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(res.Endpoints, " | ")
}

func id(s string) *sdk.RouteRequest {
	if cat, name, ok := strings.Cut(s, "/"); ok {
		return &sdk.RouteRequest{Identity: sdk.Identity{Category: cat, Name: name}}
	}
	return &sdk.RouteRequest{Identity: sdk.Identity{Name: s}}
}

const (
	a = "tcp -h 10.0.0.1 -p 10000"
	b = "tcp -h 10.0.0.2 -p 10000"
	c = "tcp -h 10.0.0.3 -p 10000 : ssl -h 10.0.0.3 -p 10001"
)

func TestRulesMatch(t *testing.T) {
	p := sdktest.Start(t, Plugin(), map[string]any{"rule": []map[string]any{
		{"category": "printers", "match": "exact", "endpoints": []string{a}},
		{"name": "hello", "match": "prefix", "endpoints": []string{b}},
		{"category": "files", "name": "f?-*", "endpoints": []string{c}},
		{"adapter_id": "Archive*", "endpoints": []string{a}},
	}})
	withAdapter := id("box")
	withAdapter.AdapterID = "ArchiveAdapter"
	for _, tc := range []struct {
		req  *sdk.RouteRequest
		want string
	}{
		{id("printers/laser"), a},
		{id("printersX/laser"), ""}, // exact
		{id("hello"), b},
		{id("hello-world"), b}, // prefix
		{id("x/hello"), b},     // category not in this rule
		{id("files/f1-report"), c},
		{id("files/f12-report"), ""}, // ? is one character
		{id("other/f1-report"), ""},  // both must match
		{withAdapter, a},
		{id("box"), ""},
	} {
		if got := route(t, p, tc.req); got != tc.want {
			t.Errorf("%+v: %q; want %q", tc.req, got, tc.want)
		}
	}
}

func TestRoundRobin(t *testing.T) {
	p := sdktest.Start(t, Plugin(), map[string]any{"rule": []map[string]any{
		{"name": "*", "endpoints": []string{a, b}},
	}})
	var got []string
	for range 4 {
		got = append(got, route(t, p, id("hello")))
	}
	if want := []string{a, b, a, b}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%q; want %q", got, want)
	}
}

func TestHashUser(t *testing.T) {
	rules := func(backends ...string) map[string]any {
		return map[string]any{"rule": []map[string]any{{"name": "*", "endpoints": backends, "strategy": "hash_user"}}}
	}
	p := sdktest.Start(t, Plugin(), rules(a, b, c))
	as := func(p *sdktest.Plugin, user string) string {
		r := id("hello")
		r.Session = &sdk.Session{User: user}
		return route(t, p, r)
	}
	count := map[string]int{}
	first := map[string]string{}
	for i := range 300 {
		user := fmt.Sprintf("user%d", i)
		first[user] = as(p, user)
		count[first[user]]++
		if again := as(p, user); again != first[user] {
			t.Fatalf("%s went to %s, then %s", user, first[user], again)
		}
	}
	for _, backend := range []string{a, b, c} {
		if count[backend] < 70 {
			t.Errorf("uneven spread: %v", count)
		}
	}
	// Without backend c, only c's users move.
	p2 := sdktest.Start(t, Plugin(), rules(a, b))
	for user, backend := range first {
		if backend != c && as(p2, user) != backend {
			t.Errorf("%s moved from %s though its backend remains", user, backend)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	errs := sdktest.Configure(t, Plugin(), map[string]any{"rule": []map[string]any{
		{"name": "x", "endpoints": []string{a}},
		{"endpoints": []string{"hello"}, "match": "regex", "strategy": "random"},
		{"name": "y", "endpoints": []string{}},
	}})
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	want := []string{
		`rule[1].match: match is "exact", "prefix" or "glob", not "regex"`,
		`rule[1]: a rule needs at least one of category, name and adapter_id`,
		`rule[1].strategy: strategy is "round_robin" or "hash_user", not "random"`,
		`rule[1].endpoints: endpoints[0] "hello" is not a backend endpoint such as "tcp -h 10.0.0.5 -p 10000"`,
		`rule[2].endpoints: a rule needs at least one backend`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors\n got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if errs := sdktest.Configure(t, Plugin(), map[string]any{}); len(errs) != 1 || errs[0].Path != "rule" {
		t.Errorf("no rule: %v", errs)
	}
}
