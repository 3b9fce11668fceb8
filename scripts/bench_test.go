package scripts

import (
	"context"
	"testing"

	"github.com/floe-router/floe/core/intercept"
	"github.com/floe-router/floe/sdk"
)

type goHook struct{}

func (goHook) Points() sdk.Points { return sdk.PointsOf(sdk.Request) }
func (goHook) OnRequest(context.Context, sdk.RequestView) (sdk.Verdict, error) {
	return sdk.Verdict{}, nil
}

// BenchmarkHook is one request through the chain with one hook: a Go hook
// that does nothing (the chain's own cost), a trivial Lua on_request, and
// one that reads a field and sets a context entry.
func BenchmarkHook(b *testing.B) {
	for _, tc := range []struct {
		name string
		hook func(b *testing.B) sdk.Hook
	}{
		{"go-noop", func(*testing.B) sdk.Hook { return goHook{} }},
		{"lua-trivial", func(b *testing.B) sdk.Hook { return load(b, `function on_request(req) end`) }},
		{"lua-read-and-patch", func(b *testing.B) sdk.Hook {
			return load(b, `function on_request(req) if req.operation == "x" then return deny("x") end req.context.user = req.session.user end`)
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := intercept.New([]intercept.Entry{{Name: "h", Hook: tc.hook(b), Timeout: intercept.DefaultTimeout}}, nil)
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				v := newView()
				for pb.Next() {
					if c.Request(ctx, sdk.Request, v).Deny {
						b.Fatal("denied")
					}
				}
			})
		})
	}
}
