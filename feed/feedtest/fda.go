package feedtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// FDA behaves like api.fda.gov for the device endpoints: search= with
// recalling_firm phrases OR-ed and a date range, skip/limit paging with
// its limits (limit ≤ 1000, skip ≤ 25000), the meta envelope, and a 404
// NOT_FOUND answer when nothing matches. Its records are real: the
// enforcement reports of testdata/openfda for device/enforcement.json and
// the documentation's example for device/recall.json.
type FDA struct {
	srv *httptest.Server

	// Mu guards the fields below.
	Mu      sync.Mutex
	records map[string][]json.RawMessage
	queries []Query
	// Fail answers 500 to this many requests first; Throttle answers 429
	// (Retry-After: 0) to this many first.
	Fail, Throttle int
	// OnSkip is called, unlocked, before answering an enforcement request
	// with that skip.
	OnSkip map[int]func()
}

// Query is one request the fake received.
type Query struct {
	Path        string
	Search      string
	Skip, Limit int
	APIKey      string
}

// EnforcementFiles are the real enforcement reports served.
var EnforcementFiles = []string{"enforcement-Z-0103-2017.json", "enforcement-Z-0198-2018.json", "enforcement-Z-2958-2018.json",
	"enforcement-Z-2099-2023.json", "enforcement-Z-0099-2024.json"}

// NewFDA starts the fake.
func NewFDA(t testing.TB) *FDA {
	f := &FDA{records: map[string][]json.RawMessage{}, OnSkip: map[int]func(){}}
	for _, n := range EnforcementFiles {
		var page struct{ Results []json.RawMessage }
		if err := json.Unmarshal(File(t, "openfda/"+n), &page); err != nil {
			t.Fatal(err)
		}
		f.records["/device/enforcement.json"] = append(f.records["/device/enforcement.json"], page.Results...)
	}
	var rec struct{ Results []json.RawMessage }
	if err := json.Unmarshal(File(t, "openfda/device-recall-docs-example-Z-1067-2003.json"), &rec); err != nil {
		t.Fatal(err)
	}
	f.records["/device/recall.json"] = rec.Results
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API's base URL.
func (f *FDA) URL() string { return f.srv.URL }

// Log returns the requests received so far.
func (f *FDA) Log() []Query {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return slices.Clone(f.queries)
}

var (
	firmRE  = regexp.MustCompile(`recalling_firm:"([^"]*)"`)
	rangeRE = regexp.MustCompile(`(\w+):\[(\S+) TO (\S+)\]`)
)

// words is openFDA's analysis of a text field, roughly: lower case,
// punctuation dropped.
func words(s string) string {
	return " " + strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9')
	}), " ") + " "
}

func fdaError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"code":%q,"message":%q}}`, code, msg)
}

func (f *FDA) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	skip, _ := strconv.Atoi(q.Get("skip"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	f.Mu.Lock()
	f.queries = append(f.queries, Query{Path: r.URL.Path, Search: q.Get("search"), Skip: skip, Limit: limit, APIKey: q.Get("api_key")})
	hook := f.OnSkip[skip]
	if r.URL.Path != "/device/enforcement.json" {
		hook = nil
	}
	if f.Throttle > 0 {
		f.Throttle--
		f.Mu.Unlock()
		w.Header().Set("Retry-After", "0")
		fdaError(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "rate limit")
		return
	}
	if f.Fail > 0 {
		f.Fail--
		f.Mu.Unlock()
		fdaError(w, http.StatusInternalServerError, "SERVER_ERROR", "Check your request and try again")
		return
	}
	recs := f.records[r.URL.Path]
	f.Mu.Unlock()
	if hook != nil {
		hook()
	}
	if limit > 1000 || skip > 25000 {
		fdaError(w, http.StatusBadRequest, "BAD_REQUEST", "Limit cannot exceed 1000 results for search requests. Use the skip or search_after param to get additional results.")
		return
	}
	search := q.Get("search")
	firms := firmRE.FindAllStringSubmatch(search, -1)
	rng := rangeRE.FindStringSubmatch(search)
	var match []json.RawMessage
	for _, raw := range recs {
		var rec map[string]any
		_ = json.Unmarshal(raw, &rec)
		firm, _ := rec["recalling_firm"].(string)
		ok := len(firms) == 0
		for _, m := range firms {
			if strings.Contains(words(firm), words(m[1])) {
				ok = true
			}
		}
		if rng != nil {
			d, _ := rec[rng[1]].(string)
			d = strings.ReplaceAll(d, "-", "")
			if d < strings.ReplaceAll(rng[2], "-", "") || d > strings.ReplaceAll(rng[3], "-", "") {
				ok = false
			}
		}
		if ok {
			match = append(match, raw)
		}
	}
	if len(match) == 0 {
		fdaError(w, http.StatusNotFound, "NOT_FOUND", "No matches found!")
		return
	}
	page := match[min(skip, len(match)):min(skip+limit, len(match))]
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"meta": map[string]any{
			"disclaimer":   "Do not rely on openFDA to make decisions regarding medical care.",
			"last_updated": "2026-03-18",
			"results":      map[string]any{"skip": skip, "limit": limit, "total": len(match)},
		},
		"results": page,
	})
}
