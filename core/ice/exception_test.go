package ice

import (
	"errors"
	"strings"
	"testing"
)

// slicedFixture reports whether Ice marshalled the fixture's exception in
// the sliced format: operations marked ["format:sliced"], and Glacier2's
// createSession.
func slicedFixture(name string) bool {
	return strings.Contains(name, "_sliced_") || strings.HasPrefix(name, "g2_reply_create_session")
}

// memberReader decodes a slice's members as the manifest names them, in
// Slice declaration order.
func readMembers(t *testing.T, typeID string, d *Decoder) map[string]any {
	t.Helper()
	m := map[string]any{}
	var err error
	switch typeID {
	case "::FloeCapture::CaptureError", "::Glacier2::PermissionDeniedException", "::Glacier2::CannotCreateSessionException":
		m["reason"], err = d.String()
	case "::FloeCapture::DerivedError":
		var code int32
		code, err = d.Int32()
		m["code"] = float64(code)
		if err == nil {
			m["detail"], err = d.String()
		}
	case "::FloeCapture::EmptyError", "::Glacier2::SessionNotExistException":
	default:
		t.Fatalf("no reader for %s", typeID)
	}
	if err != nil {
		t.Fatalf("%s members: %v", typeID, err)
	}
	return m
}

func TestUserExceptionFixtures(t *testing.T) {
	ws := wires(t, func(w *wireFixture) bool {
		return w.Type == int(ReplyMsg) && w.Expect.Status != nil && *w.Expect.Status == ReplyUserException
	})
	for _, w := range ws {
		t.Run(w.Name, func(t *testing.T) {
			want := w.Expect
			r, err := ParseReply(w.body(t))
			if err != nil {
				t.Fatal(err)
			}
			enc, _, err := NewDecoder(r.Payload).Encapsulation()
			if err != nil {
				t.Fatal(err)
			}
			s, err := ParseUserException(r.Payload)
			if err != nil {
				t.Fatalf("ParseUserException: %v", err)
			}
			if s.TypeID != want.TypeIDs[0] || s.Last != (len(want.TypeIDs) == 1) {
				t.Fatalf("slice %s last=%v, Ice raised %v", s.TypeID, s.Last, want.TypeIDs)
			}
			sliced := slicedFixture(w.Name) || enc == Encoding10
			if strings.Contains(w.Name, "optional") {
				// Optional members follow the required ones; the codec
				// does not decode them, but the slice must hold them.
				if !sliced && len(s.Members) == 0 {
					t.Fatal("no members")
				}
				return
			}
			d := NewDecoder(s.Members)
			got := readMembers(t, s.TypeID, d)
			for k, v := range got {
				if want.Members[k] != v {
					t.Errorf("member %s = %v, Ice decoded %v", k, v, want.Members[k])
				}
			}
			if sliced && d.Remaining() != 0 {
				t.Errorf("%d bytes left in a sized slice", d.Remaining())
			}
			if !s.Last {
				return
			}
			// A single-slice exception re-encodes to Ice's bytes.
			format := CompactFormat
			if sliced {
				format = SlicedFormat
			}
			re := AppendUserException(nil, enc, format, s.TypeID, func(e *Encoder) {
				if r, ok := got["reason"].(string); ok {
					e.WriteString(r)
				}
			})
			sameBytes(t, re, r.Payload)
		})
	}
}

// TestAppendUserExceptionShape pins the layouts Ice uses, which the
// fixtures above show: in 1.1 an exception slice's flags have no type-id
// bits (0x20 last slice, +0x10 slice size), in 1.0 a usesClasses bool,
// the type id and a slice size that counts itself.
func TestAppendUserExceptionShape(t *testing.T) {
	w := func(e *Encoder) { e.WriteString("r") }
	tests := []struct {
		enc    Version
		format Format
		want   []byte
	}{
		{Encoding11, CompactFormat, []byte{12, 0, 0, 0, 1, 1, 0x20, 2, ':', 'X', 1, 'r'}},
		{Encoding11, SlicedFormat, []byte{16, 0, 0, 0, 1, 1, 0x30, 2, ':', 'X', 6, 0, 0, 0, 1, 'r'}},
		{Encoding10, CompactFormat, []byte{16, 0, 0, 0, 1, 0, 0, 2, ':', 'X', 6, 0, 0, 0, 1, 'r'}},
	}
	for _, tt := range tests {
		got := AppendUserException(nil, tt.enc, tt.format, ":X", w)
		sameBytes(t, got, tt.want)
		s, err := ParseUserException(got)
		if err != nil || s.TypeID != ":X" || !s.Last {
			t.Fatalf("%+v %v", s, err)
		}
	}
	// No members at all.
	got := AppendUserException(nil, Encoding11, SlicedFormat, ":E", nil)
	sameBytes(t, got, []byte{14, 0, 0, 0, 1, 1, 0x30, 2, ':', 'E', 4, 0, 0, 0})
}

func TestParseUserExceptionErrors(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"encaps only", []byte{6, 0, 0, 0, 1, 1}},
		{"1.0 encaps only", []byte{6, 0, 0, 0, 1, 0}},
		{"type id size 2^31-1", []byte{12, 0, 0, 0, 1, 1, 0x20, 255, 255, 255, 255, 127}},
		{"slice size 2^31-1", []byte{14, 0, 0, 0, 1, 1, 0x30, 1, 'X', 255, 255, 255, 127, 0}},
		{"slice size negative", []byte{14, 0, 0, 0, 1, 1, 0x30, 1, 'X', 0, 0, 0, 128, 0}},
		{"slice size 3", []byte{13, 0, 0, 0, 1, 1, 0x30, 1, 'X', 3, 0, 0, 0}},
		{"slice size past end", []byte{13, 0, 0, 0, 1, 1, 0x30, 1, 'X', 9, 0, 0, 0}},
		{"1.0 slice size 2^31-1", []byte{14, 0, 0, 0, 1, 0, 0, 1, 'X', 255, 255, 255, 127, 0}},
		{"1.0 slice size 0", []byte{13, 0, 0, 0, 1, 0, 0, 1, 'X', 0, 0, 0, 0}},
		{"1.0 no size", []byte{9, 0, 0, 0, 1, 0, 0, 1, 'X'}},
		{"encaps past end", []byte{20, 0, 0, 0, 1, 1, 0x20, 1, 'X'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseUserException(tt.b); !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v, want ErrMalformed", err)
			}
			limitAlloc(t, tt.name, func() { _, _ = ParseUserException(tt.b) })
		})
	}
}
