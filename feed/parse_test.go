package feed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/feed/feedtest"
)

func TestParseRealCISAFiles(t *testing.T) {
	feed, err := ParseROLIE("cisa-ot-rolie-excerpt.json", readTestdata(t, "cisa-ot-rolie-excerpt.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := feed.Feed.Entry[0]
	if e.ID != "ICSA-24-298-03" || !strings.HasSuffix(e.DocURL(), "/2024/icsa-24-298-03.json") ||
		len(e.Links("hash")) != 1 || !strings.HasSuffix(e.Links("signature")[0], ".json.asc") {
		t.Errorf("entry %+v", e)
	}
	chs, err := ParseChanges("changes.csv", readTestdata(t, "cisa-ot-changes-head.csv"))
	if err != nil || len(chs) != 20 || chs[0].Path != "csaf_files/OT/white/2024/icsma-24-254-01.json" || chs[0].Changed.Year() != 2024 {
		t.Errorf("changes: %v %+v", err, chs[:1])
	}
	ix, err := ParseIndex("index.txt", readTestdata(t, "cisa-ot-index-head.txt"))
	if err != nil || len(ix) != 20 {
		t.Errorf("index: %v %d", err, len(ix))
	}
	if _, err := ParseHash("x.sha512", feedtest.File(t, "csaf/icsma-17-082-01.json.sha512"), 64); err != nil {
		t.Error(err)
	}
}

func TestParseErrorsNameWhere(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"changes bad time", second(ParseChanges("c.csv", []byte("\"a.json\",\"2023-01-01T00:00:00Z\"\n\"b.json\",\"yesterday\"\n"))), `c.csv:2: feed: malformed: time "yesterday"`},
		{"changes three fields", second(ParseChanges("c.csv", []byte("a.json,2023-01-01T00:00:00Z,x\n"))), "c.csv:1: feed: malformed: 3 fields"},
		{"changes not json", second(ParseChanges("c.csv", []byte("a.txt,2023-01-01T00:00:00Z\n"))), `c.csv:1: feed: malformed: path "a.txt"`},
		{"index", second(ParseIndex("index.txt", []byte("a.json\n\nb.pdf\n"))), `index.txt:3: feed: malformed: "b.pdf"`},
		{"metadata version", second(ParseProviderMetadata("p.json", []byte(`{"metadata_version":"1.0"}`))), `p.json: feed: malformed: metadata_version "1.0"`},
		{"metadata syntax", second(ParseProviderMetadata("p.json", []byte("{\n\"metadata_version\": 2}"))), "p.json: feed: malformed: line 2 column"},
		{"metadata no dist", second(ParseProviderMetadata("p.json", []byte(`{"metadata_version":"2.0","distributions":[{}]}`))), "distributions[0] has neither"},
		{"rolie entry", second(ParseROLIE("f.json", []byte(`{"feed":{"entry":[{"id":"A-1"}]}}`))), `f.json: feed: malformed: feed.entry[0] ("A-1") has no content.src`},
		{"hash short", second(ParseHash("h.sha512", []byte("abcd  x.json"), 64)), `h.sha512: feed: malformed: "abcd" is not a 512-bit hex digest`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil || !errors.Is(tt.err, ErrFormat) || !strings.Contains(tt.err.Error(), tt.want) {
				t.Errorf("got %v, want ErrFormat containing %q", tt.err, tt.want)
			}
		})
	}
}

func second[T any](_ T, err error) error { return err }

func TestResolve(t *testing.T) {
	tests := []struct{ base, ref, want string }{
		{"https://p.example/csaf/feed.json", "2024/a.json", "https://p.example/csaf/2024/a.json"},
		{"https://p.example/csaf/feed.json", "http://p.example/a.json", ""}, // downgrade
		{"https://p.example/csaf/feed.json", "file:///etc/passwd", ""},      // scheme
		{"http://127.0.0.1:8080/x/feed.json", "/y/a.json", "http://127.0.0.1:8080/y/a.json"},
	}
	for _, tt := range tests {
		got, err := resolve(tt.base, tt.ref)
		if (tt.want == "") != (err != nil) || got != tt.want {
			t.Errorf("resolve(%q, %q) = %q, %v; want %q", tt.base, tt.ref, got, err, tt.want)
		}
	}
}

// TestRedirectDowngradeRefused: a redirect from https to http is not
// followed (the test server's TLS client trusts its certificate).
func TestRedirectDowngradeRefused(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) }))
	defer plain.Close()
	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/x.json", http.StatusFound)
	}))
	defer tls.Close()
	c := newClient(tls.Client(), 1000, 1, time.Millisecond)
	_, err := c.get(context.Background(), tls.URL+"/a.json", 1<<20)
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "https to http") {
		t.Fatalf("err %v, want a refused downgrade", err)
	}
	if n := c.requests.Load(); n != 1 {
		t.Errorf("%d requests, want 1 (not retried)", n)
	}
}
