package ice

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// The fixtures under testdata/ are bytes produced by the real ZeroC Ice 3.7
// runtime (see testdata/README.md); the manifests say what Ice itself made of
// each one. These types mirror the manifests.

type identityJSON struct {
	Name     string `json:"name"`
	Category string `json:"category"`
}

func (i identityJSON) Identity() Identity { return Identity(i) }

type endpointJSON struct {
	Type        int16   `json:"type"`
	String      string  `json:"string"`
	Compress    bool    `json:"compress"`
	Timeout     int32   `json:"timeout"`
	Host        string  `json:"host"`
	Port        int32   `json:"port"`
	Resource    *string `json:"resource"`
	RawEncoding string  `json:"rawEncoding"`
	RawBytes    []byte  `json:"rawBytes"` // base64 in the manifest
}

type proxyJSON struct {
	String    string         `json:"string"`
	Identity  identityJSON   `json:"identity"`
	Facet     string         `json:"facet"`
	Mode      ProxyMode      `json:"mode"`
	Secure    bool           `json:"secure"`
	Encoding  string         `json:"encoding"`
	AdapterID string         `json:"adapterId"`
	Endpoints []endpointJSON `json:"endpoints"`
}

// valueFixture is one entry of testdata/values.json: an in-params
// encapsulation holding one value, encoded by Ice.
type valueFixture struct {
	Name     string          `json:"name"`
	Kind     string          `json:"kind"`
	Encoding string          `json:"encoding"`
	File     string          `json:"file"`
	Input    json.RawMessage `json:"input"`
	Expect   json.RawMessage `json:"expect"`
}

// wireExpect is what the receiving Ice runtime decoded from a message: the
// servant's Ice.Current for requests, the client's outcome for replies.
type wireExpect struct {
	RequestID *int32            `json:"requestId"`
	Identity  *identityJSON     `json:"identity"`
	Facet     *string           `json:"facet"`
	Operation *string           `json:"operation"`
	Mode      *OperationMode    `json:"mode"`
	Context   map[string]string `json:"context"`
	Encoding  string            `json:"encoding"`
	Requests  []wireExpect      `json:"requests"`

	Status  *ReplyStatus    `json:"status"`
	Result  json.RawMessage `json:"result"`
	TypeIDs []string        `json:"typeIds"`
	Members map[string]any  `json:"members"`
	Unknown *string         `json:"unknown"`
}

// wireFixture is one entry of testdata/wire.json: a whole message recorded
// between real Ice processes.
type wireFixture struct {
	Name        string     `json:"name"`
	File        string     `json:"file"`
	Direction   string     `json:"direction"`
	Peer        string     `json:"peer"`
	Type        int        `json:"type"`
	Compression int        `json:"compression"`
	What        string     `json:"what"`
	Expect      wireExpect `json:"expect"`

	data []byte
}

var (
	fixturesOnce  sync.Once
	valueFixtures []valueFixture
	wireFixtures  []wireFixture
	fixturesErr   error
)

func loadCapturedFixtures() {
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err == nil {
			err = json.Unmarshal(b, v)
		}
		if err != nil && fixturesErr == nil {
			fixturesErr = err
		}
	}
	read("values.json", &valueFixtures)
	read("wire.json", &wireFixtures)
	for i := range wireFixtures {
		b, err := os.ReadFile(filepath.Join("testdata", wireFixtures[i].File))
		if err != nil && fixturesErr == nil {
			fixturesErr = err
		}
		wireFixtures[i].data = b
	}
}

func values(t testing.TB, kind string) []valueFixture {
	t.Helper()
	fixturesOnce.Do(loadCapturedFixtures)
	if fixturesErr != nil {
		t.Fatalf("loading fixtures: %v", fixturesErr)
	}
	var out []valueFixture
	for _, v := range valueFixtures {
		if v.Kind == kind {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no value fixtures of kind %q", kind)
	}
	return out
}

func wires(t testing.TB, match func(*wireFixture) bool) []wireFixture {
	t.Helper()
	fixturesOnce.Do(loadCapturedFixtures)
	if fixturesErr != nil {
		t.Fatalf("loading fixtures: %v", fixturesErr)
	}
	var out []wireFixture
	for i := range wireFixtures {
		if match(&wireFixtures[i]) {
			out = append(out, wireFixtures[i])
		}
	}
	if len(out) == 0 {
		t.Fatal("no wire fixtures match")
	}
	return out
}

func wire(t testing.TB, name string) wireFixture {
	t.Helper()
	return wires(t, func(w *wireFixture) bool { return w.Name == name })[0]
}

func ofType(mt MessageType) func(*wireFixture) bool {
	return func(w *wireFixture) bool { return w.Type == int(mt) }
}

// data reads a value fixture's encapsulation and checks its header: the
// size covers the file and the encoding is the one the manifest names.
func (v valueFixture) data(t testing.TB) (enc Version, encaps, body []byte) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", v.File))
	if err != nil {
		t.Fatal(err)
	}
	d := NewDecoder(b)
	enc, body, err = d.Encapsulation()
	if err != nil {
		t.Fatalf("%s: encapsulation: %v", v.File, err)
	}
	if d.Remaining() != 0 {
		t.Fatalf("%s: %d bytes after the encapsulation", v.File, d.Remaining())
	}
	if enc.String() != v.Encoding {
		t.Fatalf("%s: encapsulation encoding %v, manifest says %s", v.File, enc, v.Encoding)
	}
	return enc, b, body
}

func (v valueFixture) expect(t testing.TB, into any) {
	t.Helper()
	if err := json.Unmarshal(v.Expect, into); err != nil {
		t.Fatalf("%s: manifest expect: %v", v.Name, err)
	}
}

// body returns the message without its header, inflated if compressed.
func (w wireFixture) body(t testing.TB) []byte {
	t.Helper()
	msg := w.data
	if w.Compression == int(Compressed) {
		var err error
		if msg, err = Decompress(msg, 0); err != nil {
			t.Fatalf("%s: Decompress: %v", w.Name, err)
		}
	}
	return msg[HeaderSize:]
}
