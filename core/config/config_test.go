package config

import (
	"math"
	"testing"
	"time"

	"github.com/floe-router/floe/core/ice"
)

// TestEffectiveSettings checks the accessors that resolve the model's
// zero values into what the router applies.
func TestEffectiveSettings(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		cfg                        Config
		client, server             ACM
		clientMsgMax, serverMsgMax int
		defaults                   ice.Defaults
	}{{
		name:         "every default, no server side",
		cfg:          Config{MessageSizeMax: DefaultMessageSizeMax},
		client:       ACM{Timeout: DefaultACMTimeout, Heartbeat: HeartbeatOnDispatch, Close: CloseOnIdleForceful},
		clientMsgMax: DefaultMessageSizeMax, serverMsgMax: DefaultMessageSizeMax,
	}, {
		name: "the session timeout, a server side with Ice's adapter defaults",
		cfg: Config{MessageSizeMax: DefaultMessageSizeMax, Session: Session{Timeout: 30 * time.Second},
			Server: &Server{Endpoints: "tcp"}},
		client:       ACM{Timeout: 30 * time.Second, Heartbeat: HeartbeatOnDispatch, Close: CloseOnIdleForceful},
		server:       ACM{Timeout: DefaultACMTimeout, Heartbeat: HeartbeatOnDispatch, Close: CloseOnInvocation},
		clientMsgMax: DefaultMessageSizeMax, serverMsgMax: DefaultMessageSizeMax,
	}, {
		name: "everything configured",
		cfg: Config{MessageSizeMax: DefaultMessageSizeMax,
			Client: Client{ACMTimeout: ACMDisabled, ACMHeartbeat: HeartbeatOff, ACMClose: CloseOff, MessageSizeMax: 4096},
			Server: &Server{Endpoints: "tcp", ACMTimeout: 10 * time.Second, ACMHeartbeat: HeartbeatAlways, ACMClose: CloseOnIdle,
				MessageSizeMax: math.MaxInt32},
			DefaultHost: "10.0.0.1", DefaultProtocol: "ssl", DefaultTimeout: 1500 * time.Millisecond},
		client:       ACM{Heartbeat: HeartbeatOff, Close: CloseOff},
		server:       ACM{Timeout: 10 * time.Second, Heartbeat: HeartbeatAlways, Close: CloseOnIdle},
		clientMsgMax: 4096, serverMsgMax: math.MaxInt32,
		defaults: ice.Defaults{Host: "10.0.0.1", Protocol: "ssl", Timeout: 1500},
	}, {
		name:         "server ACM off, infinite endpoint timeout",
		cfg:          Config{MessageSizeMax: 1024, Server: &Server{Endpoints: "tcp", ACMTimeout: ACMDisabled}, DefaultTimeout: TimeoutInfinite},
		client:       ACM{Timeout: DefaultACMTimeout, Heartbeat: HeartbeatOnDispatch, Close: CloseOnIdleForceful},
		server:       ACM{Heartbeat: HeartbeatOnDispatch, Close: CloseOnInvocation},
		clientMsgMax: 1024, serverMsgMax: 1024,
		defaults: ice.Defaults{Timeout: -1},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.cfg.ClientACM(); got != tc.client {
				t.Errorf("ClientACM() = %+v; want %+v", got, tc.client)
			}
			if got := tc.cfg.ServerACM(); got != tc.server {
				t.Errorf("ServerACM() = %+v; want %+v", got, tc.server)
			}
			if got := tc.cfg.ClientMessageSizeMax(); got != tc.clientMsgMax {
				t.Errorf("ClientMessageSizeMax() = %d; want %d", got, tc.clientMsgMax)
			}
			if got := tc.cfg.ServerMessageSizeMax(); got != tc.serverMsgMax {
				t.Errorf("ServerMessageSizeMax() = %d; want %d", got, tc.serverMsgMax)
			}
			if got := tc.cfg.IceDefaults(); got != tc.defaults {
				t.Errorf("IceDefaults() = %+v; want %+v", got, tc.defaults)
			}
		})
	}
	for i, h := range acmHeartbeats {
		if h.Ice() != i {
			t.Errorf("%s.Ice() = %d; want %d", h, h.Ice(), i)
		}
	}
	if HeartbeatAlways.Ice() != 3 || CloseOnIdleForceful.Ice() != 4 || CloseOff.Ice() != 0 || ACMClose("").Ice() != -1 {
		t.Error("ACM policy numbers differ from Ice's")
	}
	ten := 10 * time.Second
	if got := (ProxyOptions{}).EffectiveLocatorCacheTimeout(DefaultSessionManagerLocatorCacheTimeout); got != 600*time.Second {
		t.Errorf("default locator cache timeout %v", got)
	}
	if got := (ProxyOptions{LocatorCacheTimeout: &ten}).EffectiveLocatorCacheTimeout(time.Hour); got != ten {
		t.Errorf("configured locator cache timeout %v", got)
	}
}
