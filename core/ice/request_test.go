package ice

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// checkRequest compares a parsed request with what the receiving Ice
// runtime decoded (its Ice.Current).
func checkRequest(t *testing.T, r *Request, want wireExpect) {
	t.Helper()
	if want.RequestID != nil && r.ID != *want.RequestID {
		t.Errorf("ID %d, Ice saw %d", r.ID, *want.RequestID)
	}
	id := want.Identity.Identity()
	if r.Identity() != id || !r.IdentityEquals(id) || string(r.NameBytes()) != id.Name || string(r.CategoryBytes()) != id.Category {
		t.Errorf("identity %+v, Ice saw %+v", r.Identity(), id)
	}
	if r.IdentityEquals(Identity{Name: id.Name + "x", Category: id.Category}) {
		t.Error("IdentityEquals matches another name")
	}
	e := NewEncoder(nil)
	e.WriteIdentity(id)
	sameBytes(t, r.IdentityBytes(), e.Bytes())
	if r.Facet() != *want.Facet {
		t.Errorf("facet %q, Ice saw %q", r.Facet(), *want.Facet)
	}
	e.Reset()
	e.WriteFacet(*want.Facet)
	sameBytes(t, r.FacetBytes(), e.Bytes())
	if r.Operation() != *want.Operation || string(r.OperationBytes()) != *want.Operation {
		t.Errorf("operation %q, Ice saw %q", r.Operation(), *want.Operation)
	}
	if r.Mode() != *want.Mode {
		t.Errorf("mode %v, Ice saw %v", r.Mode(), *want.Mode)
	}
	if !sameContext(r.Context(), want.Context) || r.ContextLen() != len(want.Context) {
		t.Errorf("context %v (%d), Ice saw %v", r.Context(), r.ContextLen(), want.Context)
	}
	for k, v := range want.Context {
		if got, ok := r.ContextValue(k); !ok || got != v {
			t.Errorf("ContextValue(%q) = %q, %v; Ice saw %q", k, got, ok, v)
		}
	}
	if _, ok := r.ContextValue("no such key"); ok {
		t.Error("ContextValue found a missing key")
	}
	if want.Encoding != "" && r.ParamsEncoding().String() != want.Encoding {
		t.Errorf("params encoding %v, Ice saw %s", r.ParamsEncoding(), want.Encoding)
	}
	// The pieces tile Raw: head, context, params.
	joined := append(append(bytes.Clone(r.HeadBytes()), r.ContextBytes()...), r.Params()...)
	sameBytes(t, joined, r.Raw)
	if !bytes.Equal(r.Params()[6:], r.ParamsBody()) || int(binary.LittleEndian.Uint32(r.Params())) != len(r.Params()) {
		t.Errorf("params encapsulation % x", r.Params())
	}
}

func requestSpec(r *Request) RequestSpec {
	return RequestSpec{ID: r.ID, Identity: r.Identity(), Facet: r.Facet(), Operation: r.Operation(),
		Mode: r.Mode(), Context: r.Context(), Params: r.Params()}
}

// plainMessage returns a fixture's message uncompressed, with compression
// status 0, as AppendRequestMessage and AppendReply* write it.
func plainMessage(t *testing.T, w wireFixture) []byte {
	t.Helper()
	msg := append(AppendHeader(nil, MessageType(w.Type), 0, 0), w.body(t)...)
	SetMessageSize(msg)
	return msg
}

func TestRequestFixtures(t *testing.T) {
	for _, w := range wires(t, ofType(RequestMsg)) {
		t.Run(w.Name, func(t *testing.T) {
			r, err := ParseRequest(w.body(t))
			if err != nil {
				t.Fatalf("ParseRequest: %v", err)
			}
			checkRequest(t, &r, w.Expect)
			if (r.ID == 0) != (w.Name == "request_oneway" || w.Name == "request_oneway_10") {
				t.Errorf("request id %d", r.ID)
			}
			sameBytes(t, AppendRequestMessage(nil, requestSpec(&r)), plainMessage(t, w))
			// Appending after other bytes leaves them alone.
			prefix := []byte("prefix")
			out := AppendRequestMessage(bytes.Clone(prefix), requestSpec(&r))
			sameBytes(t, out[len(prefix):], plainMessage(t, w))
		})
	}
}

func TestBatchRequestFixtures(t *testing.T) {
	for _, w := range wires(t, ofType(BatchRequestMsg)) {
		t.Run(w.Name, func(t *testing.T) {
			body := w.body(t)
			var got []Request
			err := ParseBatchRequest(body, func(r Request) error { got = append(got, r); return nil })
			if err != nil {
				t.Fatalf("ParseBatchRequest: %v", err)
			}
			if len(got) != len(w.Expect.Requests) {
				t.Fatalf("%d requests, Ice dispatched %d", len(got), len(w.Expect.Requests))
			}
			// The requests tile the body after the count.
			re := binary.LittleEndian.AppendUint32(nil, uint32(len(got)))
			for i := range got {
				checkRequest(t, &got[i], w.Expect.Requests[i])
				re = append(re, got[i].Raw...)
			}
			sameBytes(t, re, body)
			// An error from fn stops the walk and is returned.
			stop := errors.New("stop")
			n := 0
			if err := ParseBatchRequest(body, func(Request) error { n++; return stop }); err != stop || n != 1 {
				t.Fatalf("fn error: %v after %d calls", err, n)
			}
		})
	}
}

func TestAppendContextPatch(t *testing.T) {
	w := wire(t, "request_context")
	r, err := ParseRequest(w.body(t))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		set    Context
		remove []string
		want   Context
	}{
		{name: "none", want: r.Context()},
		{name: "replace", set: Context{"_fwd": "t"}, want: Context{"_fwd": "t", "k": "v", "empty": ""}},
		{name: "add", set: Context{"new": "x", "a": "b"}, want: Context{"_fwd": "o", "k": "v", "empty": "", "new": "x", "a": "b"}},
		{name: "remove", remove: []string{"_fwd", "missing"}, want: Context{"k": "v", "empty": ""}},
		{name: "remove all", remove: []string{"_fwd", "k", "empty"}, want: Context{}},
		{name: "set wins over remove", set: Context{"k": "w"}, remove: []string{"k"}, want: Context{"_fwd": "o", "k": "w", "empty": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := AppendContext([]byte("pre"), r.ContextBytes(), tt.set, tt.remove)
			if string(enc[:3]) != "pre" {
				t.Fatal("prefix overwritten")
			}
			d := NewDecoder(enc[3:])
			got, err := d.Context()
			if err != nil || d.Remaining() != 0 || !sameContext(got, tt.want) {
				t.Fatalf("patched context %v (%v), want %v", got, err, tt.want)
			}
			// A request rebuilt with the patched context parses, with the
			// head and params untouched.
			body := binary.LittleEndian.AppendUint32(nil, uint32(r.ID))
			body = append(body, r.HeadBytes()...)
			body = append(body, enc[3:]...)
			body = append(body, r.Params()...)
			r2, err := ParseRequest(body)
			if err != nil || !sameContext(r2.Context(), tt.want) || !bytes.Equal(r2.Params(), r.Params()) ||
				!bytes.Equal(r2.HeadBytes(), r.HeadBytes()) {
				t.Fatalf("rebuilt request: %v", err)
			}
		})
	}
	// Patching a large context keeps it readable (size >= 255).
	big := wire(t, "request_context_len300")
	rb, err := ParseRequest(big.body(t))
	if err != nil {
		t.Fatal(err)
	}
	enc := AppendContext(nil, rb.ContextBytes(), Context{"zz": "1"}, []string{"key000"})
	d := NewDecoder(enc)
	if c, err := d.Context(); err != nil || len(c) != 300 || c["zz"] != "1" {
		t.Fatalf("large patch: %d entries, %v", len(c), err)
	}
}

// requestBody builds a request body from raw pieces, for malformed input.
func requestBody(pieces ...[]byte) []byte {
	var b []byte
	for _, p := range pieces {
		b = append(b, p...)
	}
	return b
}

var (
	le32      = func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	bigSize   = func(v uint32) []byte { return append([]byte{255}, le32(v)...) }
	reqID     = le32(7)
	identHdr  = []byte{1, 'a', 0}
	noFacet   = []byte{0}
	opPing    = []byte{4, 'p', 'i', 'n', 'g'}
	emptyEnc  = []byte{6, 0, 0, 0, 1, 1}
	emptyCtx  = []byte{0}
	modeNorm  = []byte{0}
	goodReq   = requestBody(reqID, identHdr, noFacet, opPing, modeNorm, emptyCtx, emptyEnc)
	goodBatch = requestBody(le32(2), identHdr, noFacet, opPing, modeNorm, emptyCtx, emptyEnc,
		identHdr, noFacet, opPing, modeNorm, emptyCtx, emptyEnc)
)

func TestParseRequestErrors(t *testing.T) {
	if _, err := ParseRequest(goodReq); err != nil {
		t.Fatalf("the valid base request: %v", err)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"id only", reqID},
		{"truncated everywhere", goodReq[:len(goodReq)-1]},
		{"name size 2^31-1", requestBody(reqID, bigSize(0x7fffffff), []byte("a"))},
		{"name size negative", requestBody(reqID, bigSize(0x80000000), []byte("a"))},
		{"category size huge", requestBody(reqID, []byte{1, 'a'}, bigSize(1<<30))},
		{"facet count 2", requestBody(reqID, identHdr, []byte{2, 1, 'f', 1, 'g'}, opPing, modeNorm, emptyCtx, emptyEnc)},
		{"facet count 10^9", requestBody(reqID, identHdr, bigSize(1e9), opPing)},
		{"mode 3", requestBody(reqID, identHdr, noFacet, opPing, []byte{3}, emptyCtx, emptyEnc)},
		{"context count 10^9", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, bigSize(1e9), emptyEnc)},
		{"context value missing", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, []byte{1, 1, 'k'})},
		{"params size 5", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, emptyCtx, []byte{5, 0, 0, 0, 1, 1})},
		{"params size past the end", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, emptyCtx, []byte{7, 0, 0, 0, 1, 1})},
		{"params size 2^31-1", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, emptyCtx, []byte{255, 255, 255, 127, 1, 1})},
		{"params size negative", requestBody(reqID, identHdr, noFacet, opPing, modeNorm, emptyCtx, []byte{0, 0, 0, 128, 1, 1})},
		{"trailing byte", append(bytes.Clone(goodReq), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRequest(tt.b)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			limitAlloc(t, tt.name, func() { _, _ = ParseRequest(tt.b) })
		})
	}
}

func TestParseBatchRequestErrors(t *testing.T) {
	n := 0
	if err := ParseBatchRequest(goodBatch, func(Request) error { n++; return nil }); err != nil || n != 2 {
		t.Fatalf("the valid base batch: %v, %d requests", err, n)
	}
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"short count", []byte{1, 0}},
		{"count negative", le32(0x80000000)},
		{"count 10^9", requestBody(le32(1e9), goodBatch[4:])},
		{"count 2^31-1", requestBody(le32(0x7fffffff), goodBatch[4:])},
		{"count 3 of 2", requestBody(le32(3), goodBatch[4:])},
		{"count 1 of 2", requestBody(le32(1), goodBatch[4:])},
		{"second truncated", goodBatch[:len(goodBatch)-1]},
		{"second malformed", requestBody(goodBatch[:len(goodBatch)-6], []byte{5, 0, 0, 0, 1, 1})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := ParseBatchRequest(tt.b, func(Request) error { calls++; return nil })
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			if calls != 0 {
				t.Fatalf("fn called %d times for a malformed batch", calls)
			}
			limitAlloc(t, tt.name, func() { _ = ParseBatchRequest(tt.b, func(Request) error { return nil }) })
		})
	}
	// An empty batch is valid.
	if err := ParseBatchRequest(le32(0), func(Request) error { t.Fatal("called"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func TestAppendContextHostileSize(t *testing.T) {
	enc := bigSize(0x7fffffff)
	limitAlloc(t, "AppendContext 2^31-1", func() { _ = AppendContext(nil, enc, Context{"a": "b"}, nil) })
}
