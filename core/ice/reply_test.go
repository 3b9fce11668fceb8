package ice

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestReplyFixtures(t *testing.T) {
	for _, w := range wires(t, ofType(ReplyMsg)) {
		t.Run(w.Name, func(t *testing.T) {
			want := w.Expect
			body := w.body(t)
			r, err := ParseReply(body)
			if err != nil {
				t.Fatalf("ParseReply: %v", err)
			}
			if r.ID != *want.RequestID || r.Status != *want.Status {
				t.Fatalf("reply %d status %v, Ice saw %d status %v", r.ID, r.Status, *want.RequestID, *want.Status)
			}
			if id, ok := ReplyID(body); !ok || id != r.ID {
				t.Errorf("ReplyID %d %v", id, ok)
			}
			sameBytes(t, r.Payload, body[5:])
			switch r.Status {
			case ReplyOK, ReplyUserException:
			case ReplyObjectNotExist, ReplyFacetNotExist, ReplyOperationNotExist:
				if r.Identity != want.Identity.Identity() || r.Facet != *want.Facet || r.Operation != *want.Operation {
					t.Errorf("%+v, Ice saw %+v %q %q", r, *want.Identity, *want.Facet, *want.Operation)
				}
			default:
				if r.Unknown != *want.Unknown {
					t.Errorf("unknown text %q, Ice saw %q", r.Unknown, *want.Unknown)
				}
			}
			sameBytes(t, appendReply(r), plainMessage(t, w))
			if !strings.Contains(r.Status.String(), " ") && r.Status != ReplyOK {
				t.Errorf("status string %q", r.Status)
			}
		})
	}
}

// appendReply re-encodes a parsed reply with the AppendReply* function for
// its status.
func appendReply(r Reply) []byte {
	switch r.Status {
	case ReplyOK:
		return AppendReplyOK(nil, r.ID, r.Payload)
	case ReplyUserException:
		return AppendReplyUserException(nil, r.ID, r.Payload)
	case ReplyObjectNotExist, ReplyFacetNotExist, ReplyOperationNotExist:
		return AppendReplyNotExist(nil, r.ID, r.Status, r.Identity, r.Facet, r.Operation)
	}
	return AppendReplyUnknown(nil, r.ID, r.Status, r.Unknown)
}

// TestReplyResults decodes the results Ice put in OK replies where the
// codec has the types: strings, proxies, proxy sequences, and the Glacier2
// router's replies.
func TestReplyResults(t *testing.T) {
	result := func(t *testing.T, name string) (*Decoder, wireFixture) {
		t.Helper()
		w := wire(t, name)
		r, err := ParseReply(w.body(t))
		if err != nil || r.Status != ReplyOK {
			t.Fatalf("%s: %v %v", name, r.Status, err)
		}
		enc, body, err := NewDecoder(r.Payload).Encapsulation()
		if err != nil {
			t.Fatal(err)
		}
		d := NewDecoder(body)
		d.Encoding = enc
		return d, w
	}
	done := func(t *testing.T, d *Decoder) {
		t.Helper()
		if d.Remaining() != 0 {
			t.Fatalf("%d bytes left in the result: % x", d.Remaining(), d.Rest())
		}
	}
	for _, sfx := range []string{"", "_10"} {
		t.Run("string"+sfx, func(t *testing.T) {
			names := []string{"reply_ok_string" + sfx, "reply_ok_long_string" + sfx, "g2_reply_routed" + sfx}
			if sfx == "" {
				names = append(names, "reply_compressed", "reply_to_accepts_compressed", "g2_callback_reply")
			}
			for _, name := range names {
				d, w := result(t, name)
				var want string
				_ = json.Unmarshal(w.Expect.Result, &want)
				if s, err := d.String(); err != nil || s != want {
					t.Fatalf("%s: %q %v", name, trunc(s), err)
				}
				done(t, d)
			}
		})
		t.Run("proxy"+sfx, func(t *testing.T) {
			d, _ := result(t, "reply_ok_proxy"+sfx)
			p, err := d.Proxy()
			if err != nil || p.Identity.Name != "hello" || p.Facet != "f" || len(p.Endpoints) != 3 ||
				p.Endpoints[1].Type != UDPEndpoint || p.Endpoints[2].Known() || p.Endpoints[2].Encoding != Encoding11 {
				t.Fatalf("%+v %v", p, err)
			}
			done(t, d)
			d, _ = result(t, "reply_ok_null_proxy"+sfx)
			if p, err := d.Proxy(); p != nil || err != nil {
				t.Fatalf("null proxy: %+v %v", p, err)
			}
			done(t, d)
			d, _ = result(t, "reply_ok_proxies"+sfx)
			ps, err := d.ProxySeq()
			if err != nil || len(ps) != 3 || ps[0].AdapterID != "Adapter" || ps[1] != nil || ps[2].Endpoints[1].Resource != "/x" {
				t.Fatalf("%v %v", ps, err)
			}
			done(t, d)
		})
		t.Run("glacier2"+sfx, func(t *testing.T) {
			// getClientProxy: a null proxy, then (1.1 only) optional tag 1,
			// format F1, true: hasRoutingTable.
			d, _ := result(t, "g2_reply_get_client_proxy"+sfx)
			if p, err := d.Proxy(); p != nil || err != nil {
				t.Fatalf("client proxy %+v %v", p, err)
			}
			if sfx == "" {
				sameBytes(t, d.Rest(), []byte{1<<3 | byte(OptionalF1), 1})
				d.Skip(2)
			}
			done(t, d)

			d, _ = result(t, "g2_reply_get_category"+sfx)
			cat, err := d.String()
			if err != nil || len(cat) != 20 {
				t.Fatalf("category %q %v", cat, err)
			}
			done(t, d)

			d, _ = result(t, "g2_reply_get_server_proxy"+sfx)
			p, err := d.Proxy()
			if err != nil || p.Identity != (Identity{Name: "dummy", Category: cat}) || len(p.Endpoints) != 1 {
				t.Fatalf("server proxy %+v %v (category %q)", p, err, cat)
			}
			done(t, d)

			d, _ = result(t, "g2_reply_create_session_ok"+sfx)
			p, err = d.Proxy()
			if err != nil || p.Identity != (Identity{Name: "alice", Category: "session"}) {
				t.Fatalf("session proxy %+v %v", p, err)
			}
			done(t, d)

			d, _ = result(t, "g2_reply_add_proxies"+sfx)
			if ps, err := d.ProxySeq(); err != nil || len(ps) != 0 {
				t.Fatalf("evicted %v %v", ps, err)
			}
			done(t, d)

			// getSessionTimeout returns a long, getACMTimeout an int.
			d, w := result(t, "g2_reply_get_session_timeout"+sfx)
			var want int64
			_ = json.Unmarshal(w.Expect.Result, &want)
			if v, err := d.Int64(); err != nil || v != want {
				t.Fatalf("session timeout %d %v", v, err)
			}
			done(t, d)
			d, w = result(t, "g2_reply_get_acm_timeout"+sfx)
			_ = json.Unmarshal(w.Expect.Result, &want)
			if v, err := d.Int32(); err != nil || int64(v) != want {
				t.Fatalf("ACM timeout %d %v", v, err)
			}
			done(t, d)

			// addProxies' params: the proxy the client added.
			req := wire(t, "g2_request_add_proxies"+sfx)
			r, err := ParseRequest(req.body(t))
			if err != nil {
				t.Fatal(err)
			}
			pd := NewDecoder(r.ParamsBody())
			pd.Encoding = r.ParamsEncoding()
			ps, err := pd.ProxySeq()
			if err != nil || len(ps) != 1 || ps[0].Identity.Name != "echo" || pd.Remaining() != 0 {
				t.Fatalf("addProxies params %v %v", ps, err)
			}
		})
	}
	// createSession's params are two strings.
	r, err := ParseRequest(wire(t, "g2_request_create_session").body(t))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(r.ParamsBody())
	user, _ := d.ValidString()
	pass, err := d.ValidString()
	if err != nil || user != "alice" || pass != "good" || d.Remaining() != 0 {
		t.Fatalf("createSession params %q %q %v", user, pass, err)
	}
}

func TestAppendReplyDefaults(t *testing.T) {
	// nil params is the empty 1.1 encapsulation Ice sends for a void result.
	sameBytes(t, AppendReplyOK(nil, 4, nil), plainMessage(t, wire(t, "reply_ok_void")))
	// Appending after other bytes leaves them alone and sizes the message.
	b := AppendReplyUnknown([]byte("xyz"), 9, ReplyUnknownException, "boom")
	if string(b[:3]) != "xyz" {
		t.Fatal("prefix overwritten")
	}
	h, err := ParseHeader(b[3:], 0)
	if err != nil || h.Size != len(b)-3 {
		t.Fatalf("%+v %v", h, err)
	}
	r, err := ParseReply(b[3+HeaderSize:])
	if err != nil || r.ID != 9 || r.Unknown != "boom" {
		t.Fatalf("%+v %v", r, err)
	}
}

func TestParseReplyErrors(t *testing.T) {
	ok := wire(t, "reply_ok_string").body(t)
	one := wire(t, "reply_object_not_exist").body(t)
	unk := wire(t, "reply_unknown_local_explicit").body(t)
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"id only", ok[:4]},
		{"status 8", append(bytes.Clone(ok[:4]), 8)},
		{"status 255", append(append(bytes.Clone(ok[:4]), 255), ok[5:]...)},
		{"ok truncated", ok[:len(ok)-1]},
		{"ok trailing", append(bytes.Clone(ok), 0)},
		{"ok encaps size 2^31-1", append(bytes.Clone(ok[:5]), 255, 255, 255, 127, 1, 1)},
		{"ok encaps size 3", append(bytes.Clone(ok[:5]), 3, 0, 0, 0, 1, 1)},
		{"not exist truncated", one[:len(one)-1]},
		{"not exist trailing", append(bytes.Clone(one), 0)},
		{"not exist facet count 2", append(bytes.Clone(one[:5]), 1, 'a', 0, 2, 0, 0, 0)},
		{"not exist name 2^31-1", append(bytes.Clone(one[:5]), 255, 255, 255, 255, 127)},
		{"unknown truncated", unk[:len(unk)-1]},
		{"unknown size 10^9", append(bytes.Clone(unk[:5]), 255, 0, 202, 154, 59)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseReply(tt.b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			limitAlloc(t, tt.name, func() { _, _ = ParseReply(tt.b) })
		})
	}
	if _, ok := ReplyID([]byte{1, 2, 3}); ok {
		t.Fatal("ReplyID of 3 bytes")
	}
}
