package feedtest

import (
	"bytes"
	"crypto/sha512"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

//go:embed testdata
var files embed.FS

// File returns a file of testdata ("csaf/icsma-17-082-01.json").
func File(t testing.TB, name string) []byte {
	t.Helper()
	b, err := files.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Provider is a CSAF 2.0 trusted provider on 127.0.0.1 serving real
// ICSMA files: provider-metadata.json under .well-known, the public key,
// a TLP:WHITE ROLIE feed (and a TLP:AMBER one it lists but that must
// never be read), the directory distribution with changes.csv and
// index.txt, and each document's .sha512 and .asc.
type Provider struct {
	t   testing.TB
	srv *httptest.Server
	// Directory makes the metadata list only the directory distribution.
	Directory bool

	// Mu guards the fields below and every Doc's; tests that change a
	// published document hold it.
	Mu       sync.Mutex
	key      *openpgp.Entity
	Docs     []*Doc
	requests map[string]int
	// Hangup drops the connection of requests for these paths.
	Hangup map[string]bool
	// OnRequest is called, unlocked, before answering that path.
	OnRequest map[string]func()
}

// Doc is one published document.
type Doc struct {
	Name string
	Body []byte
	// SHA512 is the hash file; nil serves 404.
	SHA512 []byte
	// Asc is the detached signature; nil serves 404.
	Asc     []byte
	Updated string
}

// NewKey makes an OpenPGP key (Ed25519, fast to make).
func NewKey(t testing.TB) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("rounds test provider", "", "csaf@provider.invalid", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Sign returns an armored detached signature of b by key.
func Sign(t testing.TB, key *openpgp.Entity, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&out, key, bytes.NewReader(b), nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// NewProvider starts a provider with a fresh key and no documents.
func NewProvider(t testing.TB) *Provider {
	p := &Provider{t: t, key: NewKey(t), requests: map[string]int{}, Hangup: map[string]bool{}, OnRequest: map[string]func(){}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

// BaseURL is the provider's root, http://127.0.0.1:PORT.
func (p *Provider) BaseURL() string { return p.srv.URL }

// URL is the provider-metadata.json URL.
func (p *Provider) URL() string { return p.srv.URL + "/.well-known/csaf/provider-metadata.json" }

// Fingerprint is the provider key's fingerprint, upper-case hex.
func (p *Provider) Fingerprint() string {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	return p.fingerprint()
}

func (p *Provider) fingerprint() string {
	return strings.ToUpper(hex.EncodeToString(p.key.PrimaryKey.Fingerprint))
}

// Add publishes a real document from testdata/csaf with its real SHA-512
// file and a signature by the provider's key; edit, if set, changes the
// bytes first and the hash and signature follow, as for a genuine
// document.
func (p *Provider) Add(name, updated string, edit func([]byte) []byte) *Doc {
	body := File(p.t, "csaf/"+name)
	hash := File(p.t, "csaf/"+name+".sha512")
	if edit != nil {
		body = edit(body)
		s := sha512.Sum512(body)
		hash = fmt.Appendf(nil, "%x  %s\n", s, name)
	}
	p.Mu.Lock()
	defer p.Mu.Unlock()
	d := &Doc{Name: name, Body: body, SHA512: hash, Asc: Sign(p.t, p.key, body), Updated: updated}
	p.Docs = append(p.Docs, d)
	return d
}

// Rekey replaces the provider's key and re-signs every document.
func (p *Provider) Rekey() {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	p.key = NewKey(p.t)
	for _, d := range p.Docs {
		if d.Asc != nil {
			d.Asc = Sign(p.t, p.key, d.Body)
		}
	}
}

// Count returns the requests for paths ending in suffix.
func (p *Provider) Count(suffix string) int {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	n := 0
	for k, v := range p.requests {
		if strings.HasSuffix(k, suffix) {
			n += v
		}
	}
	return n
}

// ResetCounts forgets the requests counted.
func (p *Provider) ResetCounts() {
	p.Mu.Lock()
	p.requests = map[string]int{}
	p.Mu.Unlock()
}

// DocRequests lists the document (.json) paths requested.
func (p *Provider) DocRequests() []string {
	p.Mu.Lock()
	defer p.Mu.Unlock()
	var out []string
	for k := range p.requests {
		if strings.HasPrefix(k, "/csaf/white/20") && strings.HasSuffix(k, ".json") {
			out = append(out, k)
		}
	}
	return out
}

func (p *Provider) serve(w http.ResponseWriter, r *http.Request) {
	p.Mu.Lock()
	p.requests[r.URL.Path]++
	hook := p.OnRequest[r.URL.Path]
	p.Mu.Unlock()
	if hook != nil {
		hook()
	}
	p.Mu.Lock()
	defer p.Mu.Unlock()
	if p.Hangup[r.URL.Path] {
		if hj, ok := w.(http.Hijacker); ok {
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
		if p.Directory {
			dist = []any{map[string]any{"directory_url": base + "/csaf/white"}}
		}
		writeJSON(w, map[string]any{
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
		})
	case "/.well-known/csaf/openpgp/" + p.fingerprint() + ".asc":
		aw, _ := armor.Encode(w, openpgp.PublicKeyType, nil)
		_ = p.key.Serialize(aw)
		_ = aw.Close()
	case "/csaf/white/test-csaf-feed-tlp-white.json":
		var entries []any
		for i := len(p.Docs) - 1; i >= 0; i-- {
			d := p.Docs[i]
			u := base + "/csaf/white/2017/" + d.Name
			entries = append(entries, map[string]any{
				"id":    strings.ToUpper(strings.TrimSuffix(d.Name, ".json")),
				"title": d.Name,
				"link": []any{
					map[string]any{"href": u, "rel": "self"},
					map[string]any{"href": u + ".asc", "rel": "signature"},
					map[string]any{"href": u + ".sha512", "rel": "hash"},
				},
				"published": d.Updated, "updated": d.Updated,
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
		for i := len(p.Docs) - 1; i >= 0; i-- {
			fmt.Fprintf(w, "%q,%q\n", "2017/"+p.Docs[i].Name, p.Docs[i].Updated)
		}
	case "/csaf/white/index.txt":
		for _, d := range p.Docs {
			fmt.Fprintf(w, "2017/%s\n", d.Name)
		}
	default:
		for _, d := range p.Docs {
			switch r.URL.Path {
			case "/csaf/white/2017/" + d.Name:
				_, _ = w.Write(d.Body)
				return
			case "/csaf/white/2017/" + d.Name + ".sha512":
				if d.SHA512 != nil {
					_, _ = w.Write(d.SHA512)
					return
				}
			case "/csaf/white/2017/" + d.Name + ".asc":
				if d.Asc != nil {
					_, _ = w.Write(d.Asc)
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

// The outcomes PublishStandardSet expects, by tracking id: outcome and
// reason (the constants of package feed, spelt out here).
var StandardOutcomes = map[string][2]string{
	"ICSMA-17-082-02": {"imported", ""},
	"ICSMA-17-082-01": {"imported", ""},
	"ICSMA-18-240-01": {"refused", "hash mismatch"},
	"ICSMA-17-017-01": {"refused", "bad signature"},
	"ICSMA-18-058-01": {"refused", "missing hash"},
	"ICSMA-17-215-01": {"skipped", "not TLP:CLEAR/WHITE"},
	"ICSA-18-151-01":  {"skipped", "not medical"},
	"ICSA-17-059-01":  {"imported", ""},
}

// Catalog is the manufacturers of the test hospital's catalog for
// PublishStandardSet: medical ones and Siemens Healthineers, which makes
// Siemens' (non-ICSMA) ICS advisories relevant; Delta Electronics is not
// in it.
var Catalog = []string{"Becton, Dickinson and Company", "B. Braun Melsungen AG", "Siemens Healthineers", "Medtronic"}

// PublishStandardSet publishes the cases: two good medical
// documents, one tampered after signing, one with CISA's real signature
// (another key), one without hash file, one TLP:AMBER, one non-medical
// ICS advisory and one ICS advisory of a catalog vendor.
func (p *Provider) PublishStandardSet() {
	p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	p.Add("icsma-17-082-01.json", "2024-01-03T06:00:00Z", nil)
	tampered := p.Add("icsma-18-240-01.json", "2024-01-04T06:00:00Z", nil)
	foreign := p.Add("icsma-17-017-01.json", "2024-01-05T06:00:00Z", nil)
	nohash := p.Add("icsma-18-058-01.json", "2024-01-06T06:00:00Z", nil)
	p.Add("icsma-17-215-01.json", "2024-01-07T06:00:00Z", func(b []byte) []byte {
		return bytes.Replace(b, []byte(`"label": "WHITE"`), []byte(`"label": "AMBER"`), 1)
	})
	p.Add("icsa-18-151-01.json", "2024-01-08T06:00:00Z", nil) // Delta Electronics: not medical
	p.Add("icsa-17-059-01.json", "2024-01-09T06:00:00Z", nil) // Siemens: catalog vendor
	p.Mu.Lock()
	defer p.Mu.Unlock()
	// Tampered after signing and hashing: one byte more.
	tampered.Body = bytes.Replace(tampered.Body, []byte(`"`), []byte(` "`), 1)
	foreign.Asc = File(p.t, "csaf/icsma-17-017-01.json.asc") // CISA's real signature: another key
	nohash.SHA512 = nil
}
