package ice

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// The fuzz targets seed themselves from the captured fixtures (and from
// testdata/fuzz/<Name>/, where regressions the fuzzer found are kept). Each
// asserts: no panic, errors are ErrMalformed or ErrTooLarge, and whatever
// decodes re-encodes to something that decodes to the same value.

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
		t.Fatalf("error is neither ErrMalformed nor ErrTooLarge: %v", err)
	}
}

func seedMessages(f *testing.F, match func(*wireFixture) bool, add func(msg []byte)) {
	for _, w := range wires(f, match) {
		add(w.data)
	}
}

func FuzzParseHeader(f *testing.F) {
	seedMessages(f, func(*wireFixture) bool { return true }, func(msg []byte) { f.Add(msg[:HeaderSize], 0) })
	f.Add([]byte("IceP\x01\x00\x01\x00\x03\x00\x0e\x00\x00\x00"), 14)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		h, err := ParseHeader(b, max)
		checkErr(t, err)
		if err != nil {
			return
		}
		if max <= 0 {
			max = DefaultMessageSizeMax
		}
		if h.Size < HeaderSize || h.Size > max || h.Type > CloseConnectionMsg || h.Compression > Compressed {
			t.Fatalf("accepted %+v (max %d)", h, max)
		}
		// The header is fully determined by what ParseHeader returns.
		if re := AppendHeader(nil, h.Type, h.Compression, h.Size); !bytes.Equal(re, b[:HeaderSize]) {
			t.Fatalf("re-encoded % x, input % x", re, b[:HeaderSize])
		}
	})
}

// valueOf is what a request means, for round-trip comparisons.
func valueOf(r *Request) RequestSpec {
	ctx := r.Context()
	// Touch every accessor: none may panic on a request ParseRequest took.
	_, _ = r.ContextValue("_fwd")
	_, _, _, _ = r.IdentityBytes(), r.NameBytes(), r.CategoryBytes(), r.FacetBytes()
	_, _, _, _ = r.OperationBytes(), r.HeadBytes(), r.ParamsEncoding(), r.ParamsBody()
	checked := 0
	for k, v := range ctx {
		// ContextValue finds the first entry, Context keeps the last: they
		// agree unless a key is repeated. A few keys suffice (each lookup
		// is a scan).
		if got, ok := r.ContextValue(k); !ok || (got != v && r.ContextLen() == len(ctx)) {
			panic("ContextValue disagrees with Context")
		}
		if checked++; checked == 8 {
			break
		}
	}
	return requestSpec(r)
}

func FuzzParseRequest(f *testing.F) {
	seedMessages(f, ofType(RequestMsg), func(msg []byte) {
		if msg[9] != Compressed {
			f.Add(msg[HeaderSize:])
		}
	})
	f.Add(goodReq)
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseRequest(body)
		checkErr(t, err)
		if err != nil {
			return
		}
		v := valueOf(&r)
		msg := AppendRequestMessage(nil, requestSpec(&r))
		r2, err := ParseRequest(msg[HeaderSize:])
		if err != nil {
			t.Fatalf("re-encoded request does not parse: %v", err)
		}
		if v2 := valueOf(&r2); !reflect.DeepEqual(v, v2) {
			t.Fatalf("round trip changed the request\n %+v\n %+v", v, v2)
		}
	})
}

func FuzzParseBatchRequest(f *testing.F) {
	seedMessages(f, ofType(BatchRequestMsg), func(msg []byte) { f.Add(msg[HeaderSize:]) })
	f.Add(goodBatch)
	f.Fuzz(func(t *testing.T, body []byte) {
		var raw []byte
		var vals []RequestSpec
		err := ParseBatchRequest(body, func(r Request) error {
			raw = append(raw, r.Raw...)
			vals = append(vals, valueOf(&r))
			return nil
		})
		checkErr(t, err)
		if err != nil {
			if len(vals) != 0 {
				t.Fatal("fn called for a malformed batch")
			}
			return
		}
		// The requests tile the batch after its count.
		if !bytes.Equal(raw, body[4:]) {
			t.Fatal("requests do not tile the batch")
		}
		for _, v := range vals {
			if v.ID != 0 {
				t.Fatalf("batched request with id %d", v.ID)
			}
		}
	})
}

func FuzzParseReply(f *testing.F) {
	seedMessages(f, ofType(ReplyMsg), func(msg []byte) {
		if msg[9] != Compressed {
			f.Add(msg[HeaderSize:])
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := ParseReply(body)
		checkErr(t, err)
		if err != nil {
			return
		}
		msg := appendReply(r)
		r2, err := ParseReply(msg[HeaderSize:])
		if err != nil {
			t.Fatalf("re-encoded reply does not parse: %v", err)
		}
		// OK and user-exception payloads are relayed as they are.
		if r.Status <= ReplyUserException && !bytes.Equal(r.Payload, r2.Payload) {
			t.Fatal("payload changed")
		}
		r.Payload, r2.Payload = nil, nil
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the reply\n %+v\n %+v", r, r2)
		}
	})
}

// canonicalProxy applies the defaults WriteProxy and WriteEndpoint apply to
// zero versions, so a decoded proxy compares with its re-decoded copy.
func canonicalProxy(p *Proxy) {
	if p == nil {
		return
	}
	if p.Protocol == (Version{}) {
		p.Protocol = Protocol10
	}
	if p.Encoding == (Version{}) {
		p.Encoding = Encoding11
	}
	for i := range p.Endpoints {
		ep := &p.Endpoints[i]
		if ep.UDPProtocol == (Version{}) {
			ep.UDPProtocol = Protocol10
		}
		if ep.UDPEncoding == (Version{}) {
			ep.UDPEncoding = Encoding10
		}
	}
}

func FuzzDecodeProxy(f *testing.F) {
	for _, kind := range []string{"proxy", "proxies"} {
		for _, v := range values(f, kind) {
			enc, _, body := v.data(f)
			f.Add(body, enc == Encoding10)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, enc10 bool) {
		enc := Encoding11
		if enc10 {
			enc = Encoding10
		}
		d := NewDecoder(b)
		d.Encoding = enc
		ps, err := d.ProxySeq()
		checkErr(t, err)
		if err != nil {
			// Try the same bytes as a single proxy.
			d = NewDecoder(b)
			d.Encoding = enc
			p, err := d.Proxy()
			checkErr(t, err)
			if err != nil {
				return
			}
			ps = []*Proxy{p}
		}
		e := NewEncoder(nil)
		e.Encoding = enc
		e.WriteProxySeq(ps)
		d2 := NewDecoder(e.Bytes())
		d2.Encoding = enc
		ps2, err := d2.ProxySeq()
		if err != nil || d2.Remaining() != 0 {
			t.Fatalf("re-encoded proxies do not decode: %v (%d left)", err, d2.Remaining())
		}
		for _, p := range ps {
			canonicalProxy(p)
		}
		for _, p := range ps2 {
			canonicalProxy(p)
		}
		if !reflect.DeepEqual(ps, ps2) {
			t.Fatalf("round trip changed the proxies\n %+v\n %+v", ps, ps2)
		}
	})
}

func FuzzDecompress(f *testing.F) {
	seedMessages(f, func(w *wireFixture) bool { return w.Compression == int(Compressed) },
		func(msg []byte) { f.Add(msg, 0) })
	f.Fuzz(func(t *testing.T, msg []byte, max int) {
		// Keep each run cheap: the limit is what bounds the work.
		if max <= 0 || max > 1<<16 {
			max = 1 << 16
		}
		out, err := Decompress(msg, max)
		checkErr(t, err)
		if err != nil {
			return
		}
		if len(out) > max || len(out) < HeaderSize {
			t.Fatalf("%d bytes out, max %d", len(out), max)
		}
		if !bytes.Equal(out[:9], msg[:9]) || out[9] != Uncompressed || int(out[10])|int(out[11])<<8|int(out[12])<<16|int(out[13])<<24 != len(out) {
			t.Fatalf("header % x from % x", out[:HeaderSize], msg[:HeaderSize])
		}
	})
}

func FuzzParseUserException(f *testing.F) {
	seedMessages(f, func(w *wireFixture) bool {
		return w.Type == int(ReplyMsg) && w.Expect.Status != nil && *w.Expect.Status == ReplyUserException
	}, func(msg []byte) { f.Add(msg[HeaderSize+5:]) })
	f.Fuzz(func(t *testing.T, encaps []byte) {
		s, err := ParseUserException(encaps)
		checkErr(t, err)
		if err != nil || !s.Last {
			return
		}
		enc, body, _ := NewDecoder(encaps).Encapsulation()
		format := CompactFormat
		if enc == Encoding10 || body[0]&flagHasSliceSize != 0 {
			format = SlicedFormat
		}
		re := AppendUserException(nil, enc, format, s.TypeID, func(e *Encoder) { e.WriteRaw(s.Members) })
		s2, err := ParseUserException(re)
		if err != nil {
			t.Fatalf("re-encoded exception does not parse: %v", err)
		}
		if s2.TypeID != s.TypeID || !bytes.Equal(s2.Members, s.Members) || !s2.Last {
			t.Fatalf("round trip changed the exception\n %+v\n %+v", s, s2)
		}
	})
}
