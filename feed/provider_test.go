package feed

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/biomed-rounds/rounds/store"
)

// testProvider is a CSAF 2.0 trusted provider on 127.0.0.1 serving real
// ICSMA files from testdata: provider-metadata.json under .well-known,
// the public key, a TLP:WHITE ROLIE feed (and a TLP:AMBER one it lists
// but must never be read), the directory distribution with changes.csv
// and index.txt, and each document's .sha512 and .asc.
type testProvider struct {
	t   *testing.T
	srv *httptest.Server
	// directory makes the metadata list only the directory distribution.
	directory bool

	mu       sync.Mutex
	key      *openpgp.Entity
	docs     []*provDoc
	requests map[string]int
	// hangup, if set, drops the connection of requests for that path.
	hangup map[string]bool
}

type provDoc struct {
	name    string
	body    []byte
	sha512  []byte // nil: no hash file
	asc     []byte // nil: no signature
	updated string
}

func newTestKey(t testing.TB) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("rounds test provider", "", "csaf@provider.invalid", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func newTestProvider(t *testing.T) *testProvider {
	p := &testProvider{t: t, key: newTestKey(t), requests: map[string]int{}, hangup: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testProvider) URL() string { return p.srv.URL + "/.well-known/csaf/provider-metadata.json" }

func (p *testProvider) fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(p.key.PrimaryKey.Fingerprint))
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sign returns an armored detached signature of b by key.
func sign(t testing.TB, key *openpgp.Entity, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&out, key, bytes.NewReader(b), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// add publishes a real document with its real SHA-512 file and a
// signature by the provider's key; edit changes the bytes first (and the
// hash and signature follow, as for a genuine document).
func (p *testProvider) add(name, updated string, edit func([]byte) []byte) *provDoc {
	body := readTestdata(p.t, "csaf/"+name)
	hash := readTestdata(p.t, "csaf/"+name+".sha512")
	if edit != nil {
		body = edit(body)
		s := sha512.Sum512(body)
		hash = fmt.Appendf(nil, "%x  %s\n", s, name)
	}
	d := &provDoc{name: name, body: body, sha512: hash, asc: sign(p.t, p.key, body), updated: updated}
	p.mu.Lock()
	p.docs = append(p.docs, d)
	p.mu.Unlock()
	return d
}

// rekey replaces the provider's key and re-signs every document.
func (p *testProvider) rekey() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.key = newTestKey(p.t)
	for _, d := range p.docs {
		if d.asc != nil {
			d.asc = sign(p.t, p.key, d.body)
		}
	}
}

func (p *testProvider) count(pathSuffix string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for k, v := range p.requests {
		if strings.HasSuffix(k, pathSuffix) {
			n += v
		}
	}
	return n
}

func (p *testProvider) resetCounts() {
	p.mu.Lock()
	p.requests = map[string]int{}
	p.mu.Unlock()
}

// docRequests lists the document (.json) paths requested, feeds excluded.
func (p *testProvider) docRequests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k := range p.requests {
		if strings.HasPrefix(k, "/csaf/white/20") && strings.HasSuffix(k, ".json") {
			out = append(out, k)
		}
	}
	return out
}

func (p *testProvider) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[r.URL.Path]++
	if p.hangup[r.URL.Path] {
		hj, ok := w.(http.Hijacker)
		if ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	base := p.srv.URL
	switch r.URL.Path {
	case "/.well-known/csaf/provider-metadata.json":
		dist := []any{
			map[string]any{"rolie": map[string]any{"feeds": []any{
				map[string]any{"summary": "TLP:WHITE advisories", "tlp_label": "WHITE", "url": base + "/csaf/white/test-csaf-feed-tlp-white.json"},
				map[string]any{"summary": "TLP:AMBER advisories", "tlp_label": "AMBER", "url": base + "/csaf/amber/test-csaf-feed-tlp-amber.json"},
			}}},
		}
		if p.directory {
			dist = []any{map[string]any{"directory_url": base + "/csaf/white"}}
		}
		md := map[string]any{
			"canonical_url":              base + "/.well-known/csaf/provider-metadata.json",
			"distributions":              dist,
			"last_updated":               "2024-10-24T19:23:12.425167Z",
			"list_on_CSAF_aggregators":   true,
			"metadata_version":           "2.0",
			"mirror_on_CSAF_aggregators": true,
			"public_openpgp_keys": []any{map[string]any{
				"fingerprint": p.fingerprint(),
				"url":         base + "/.well-known/csaf/openpgp/" + p.fingerprint() + ".asc",
			}},
			"publisher": map[string]any{"category": "coordinator", "contact_details": "central@cisa.dhs.gov",
				"name": "CISA", "namespace": "https://www.cisa.gov/"},
			"role": "csaf_trusted_provider",
		}
		writeJSON(w, md)
	case "/.well-known/csaf/openpgp/" + p.fingerprint() + ".asc":
		aw, _ := armor.Encode(w, openpgp.PublicKeyType, nil)
		_ = p.key.Serialize(aw)
		_ = aw.Close()
	case "/csaf/white/test-csaf-feed-tlp-white.json":
		var entries []any
		for i := len(p.docs) - 1; i >= 0; i-- {
			d := p.docs[i]
			u := base + "/csaf/white/2017/" + d.name
			entries = append(entries, map[string]any{
				"id":    strings.ToUpper(strings.TrimSuffix(d.name, ".json")),
				"title": d.name,
				"link": []any{
					map[string]any{"href": u, "rel": "self"},
					map[string]any{"href": u + ".asc", "rel": "signature"},
					map[string]any{"href": u + ".sha512", "rel": "hash"},
				},
				"published": d.updated, "updated": d.updated,
				"content": map[string]any{"src": u, "type": "application/json"},
				"format":  map[string]any{"schema": "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json", "version": "2.0"},
			})
		}
		writeJSON(w, map[string]any{"feed": map[string]any{
			"id": "test-csaf-feed-tlp-white", "title": "Test CSAF feed (TLP:WHITE)",
			"link":     []any{map[string]any{"rel": "self", "href": base + r.URL.Path}},
			"category": []any{map[string]any{"scheme": "urn:ietf:params:rolie:category:information-type", "term": "csaf"}},
			"updated":  "2024-10-24T19:23:12.425167Z", "entry": entries,
		}})
	case "/csaf/white/changes.csv":
		for i := len(p.docs) - 1; i >= 0; i-- {
			fmt.Fprintf(w, "%q,%q\n", "2017/"+p.docs[i].name, p.docs[i].updated)
		}
	case "/csaf/white/index.txt":
		for _, d := range p.docs {
			fmt.Fprintf(w, "2017/%s\n", d.name)
		}
	default:
		for _, d := range p.docs {
			switch r.URL.Path {
			case "/csaf/white/2017/" + d.name:
				_, _ = w.Write(d.body)
				return
			case "/csaf/white/2017/" + d.name + ".sha512":
				if d.sha512 != nil {
					_, _ = w.Write(d.sha512)
					return
				}
			case "/csaf/white/2017/" + d.name + ".asc":
				if d.asc != nil {
					_, _ = w.Write(d.asc)
					return
				}
			}
		}
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// openStore opens a new database with a catalog naming the given
// manufacturers.
func openStore(t testing.TB, manufacturers ...string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "rounds.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if len(manufacturers) > 0 {
		err = st.Write(ctx, "test", func(w *store.Writer) error {
			for _, m := range manufacturers {
				if _, err := w.PutModel(store.Model{Manufacturer: m, Model: "Model " + m}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func storedIDs(t testing.TB, st *store.Store, kind store.RefKind) []string {
	t.Helper()
	ds, err := st.Refs(context.Background(), kind)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}
