package plugin

import (
	"strings"
	"testing"

	"github.com/floe-router/floe/sdk"
	"github.com/hashicorp/go-hclog"
)

func TestCheck(t *testing.T) {
	ok := func(sdk.Config, hclog.Logger) (sdk.Hook, error) { return nil, nil }
	for _, tc := range []struct {
		p    Plugin
		want string
	}{
		{Plugin{Points: sdk.PointsOf(sdk.Request)}, "New is nil"},
		{Plugin{New: ok}, "no interception point"},
		{Plugin{Points: sdk.PointsOf(sdk.Connect, sdk.Request), New: ok}, "cannot be served by a plugin"},
		{Plugin{Points: sdk.PointsOf(sdk.Route), New: ok, Schema: sdk.Schema{Attributes: []sdk.Attribute{{Name: "a", Type: sdk.TypeString}, {Name: "a", Type: sdk.TypeBool}}}}, "declared twice"},
		{Plugin{Points: sdk.PointsOf(sdk.Route), New: ok, Schema: sdk.Schema{Attributes: []sdk.Attribute{{Name: "a"}}}}, "no valid type"},
		{Plugin{Points: sdk.PointsOf(sdk.Route), New: ok, Schema: sdk.Schema{Blocks: []sdk.BlockSchema{{Name: "rule", Attributes: []sdk.Attribute{{Name: "x", Type: sdk.TypeString}}}}}}, ""},
	} {
		err := tc.p.Check()
		if (err == nil) != (tc.want == "") || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v; want %q", tc.p.Points, err, tc.want)
		}
	}
}

func TestCapabilities(t *testing.T) {
	got := Capabilities(sdk.PointsOf(sdk.Authenticate, sdk.Callback, sdk.Route, sdk.SessionDestroyed))
	if strings.Join(got, ",") != "Authenticator,RequestFilter,AddressRewriter,SessionObserver" {
		t.Errorf("%v", got)
	}
}

// A hook that lacks the handler of a point it declares is refused at
// Configure, with a message for the plugin's author.
type onlyPoints struct{}

func (onlyPoints) Points() sdk.Points { return sdk.PointsOf(sdk.Request) }

func TestHandlersChecked(t *testing.T) {
	if err := checkHandlers(onlyPoints{}, sdk.PointsOf(sdk.Request)); err == nil || !strings.Contains(err.Error(), "request") {
		t.Errorf("%v", err)
	}
}
