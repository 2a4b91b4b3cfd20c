package feed

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/secret"
)

// fakeFDA behaves like api.fda.gov for the device endpoints: search=
// with recalling_firm phrases OR-ed and a date range, skip/limit paging
// with its limits (limit ≤ 1000, skip ≤ 25000), the meta envelope, and a
// 404 NOT_FOUND answer when nothing matches. Its records are the real
// enforcement reports in testdata.
type fakeFDA struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	records  map[string][]json.RawMessage // by endpoint path
	queries  []fdaQuery
	fail     int // answer 500 to this many requests first
	apiKey   string
	onSkip   map[int]func() // called (unlocked) before answering that skip
	throttle int            // answer 429 to this many requests first
}

type fdaQuery struct {
	path        string
	search      string
	skip, limit int
	apiKey      string
}

func newFakeFDA(t *testing.T) *fakeFDA {
	f := &fakeFDA{t: t, records: map[string][]json.RawMessage{}, onSkip: map[int]func(){}}
	for _, n := range []string{"enforcement-Z-0103-2017.json", "enforcement-Z-0198-2018.json", "enforcement-Z-2958-2018.json",
		"enforcement-Z-2099-2023.json", "enforcement-Z-0099-2024.json"} {
		var page struct{ Results []json.RawMessage }
		if err := json.Unmarshal(readTestdata(t, "openfda/"+n), &page); err != nil {
			t.Fatal(err)
		}
		f.records["/device/enforcement.json"] = append(f.records["/device/enforcement.json"], page.Results...)
	}
	var rec struct{ Results []json.RawMessage }
	if err := json.Unmarshal(readTestdata(t, "openfda/device-recall-docs-example-Z-1067-2003.json"), &rec); err != nil {
		t.Fatal(err)
	}
	f.records["/device/recall.json"] = rec.Results
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

var (
	firmRE  = regexp.MustCompile(`recalling_firm:"([^"]*)"`)
	rangeRE = regexp.MustCompile(`(\w+):\[(\S+) TO (\S+)\]`)
)

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

func (f *fakeFDA) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	skip, _ := strconv.Atoi(q.Get("skip"))
	limit, _ := strconv.Atoi(q.Get("limit"))
	f.mu.Lock()
	f.queries = append(f.queries, fdaQuery{path: r.URL.Path, search: q.Get("search"), skip: skip, limit: limit, apiKey: q.Get("api_key")})
	hook := f.onSkip[skip]
	if r.URL.Path != "/device/enforcement.json" {
		hook = nil
	}
	if f.throttle > 0 {
		f.throttle--
		f.mu.Unlock()
		w.Header().Set("Retry-After", "0")
		fdaError(w, http.StatusTooManyRequests, "TOO_MANY_REQUESTS", "rate limit")
		return
	}
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		fdaError(w, http.StatusInternalServerError, "SERVER_ERROR", "Check your request and try again")
		return
	}
	recs := f.records[r.URL.Path]
	f.mu.Unlock()
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

func (f *fakeFDA) log() []fdaQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queries)
}

var recallCatalog = []string{"Alcon Research, LLC", "Becton, Dickinson and Company", "Covidien"}

func TestUpdateRecalls(t *testing.T) {
	ctx := context.Background()
	f := newFakeFDA(t)
	f.throttle = 1 // one 429 first, as openFDA answers past its rate
	st := openStore(t, recallCatalog...)
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	opts := RecallOptions{BaseURL: f.srv.URL, Since: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), Now: now,
		PageSize: 1, Backoff: time.Millisecond, Rate: 1000, APIKey: secret.New("k3y-for-test")}
	rep, err := UpdateRecalls(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Z-0099-2024", "Z-0198-2018", "Z-2099-2023", "Z-2958-2018"} // Roche is not in the catalog
	if got := storedIDs(t, st, store.RefRecall); !slices.Equal(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
	if rep.Records[store.RefAdded] != 4 {
		t.Errorf("records %v", rep.Records)
	}
	for _, q := range f.log() {
		if q.limit < 1 || q.limit > 1000 || q.apiKey != "k3y-for-test" {
			t.Errorf("request %+v: limit out of openFDA's range or key missing", q)
		}
		if !strings.Contains(q.search, `recalling_firm:"alcon research"`) || !strings.Contains(q.search, `recalling_firm:"becton dickinson"`) {
			t.Errorf("search %q does not name the catalog's firms", q.search)
		}
	}
	first := f.log()[1] // [0] was throttled
	if !strings.Contains(first.search, "report_date:[20170101 TO 20240601]") {
		t.Errorf("first window: %q", first.search)
	}

	// The next update reads from the last window's end less 30 days:
	// nothing new there (openFDA's 404 NOT_FOUND), nothing changes.
	n := len(f.log())
	opts.Now = now.AddDate(0, 1, 0)
	rep, err = UpdateRecalls(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.log()[n]; !strings.Contains(q.search, "report_date:[20240502 TO 20240701]") {
		t.Errorf("second window: %q", q.search)
	}
	if len(rep.Records) != 0 || len(storedIDs(t, st, store.RefRecall)) != 4 {
		t.Errorf("second update: %v", rep.Records)
	}

	// Idempotent: reading the whole window again changes nothing.
	if err := st.Write(ctx, "test", func(w *store.Writer) error { return w.DeleteFeedMark("openfda:" + Enforcement.Path) }); err != nil {
		t.Fatal(err)
	}
	rep, err = UpdateRecalls(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Records[store.RefUnchanged] != 4 || rep.Records[store.RefAdded] != 0 {
		t.Errorf("re-read: %v, want 4 unchanged", rep.Records)
	}
}

func TestRecallsKeyNeverPrinted(t *testing.T) {
	f := newFakeFDA(t)
	f.fail = 1000
	st := openStore(t, recallCatalog...)
	_, err := UpdateRecalls(context.Background(), st, RecallOptions{BaseURL: f.srv.URL, Backoff: time.Millisecond, Rate: 1000,
		APIKey: secret.New("s3cr3t/key+x")})
	if err == nil {
		t.Fatal("no error from a failing server")
	}
	if strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error shows the key or hides the URL entirely: %v", err)
	}
	if n := len(f.log()); n != 4 {
		t.Errorf("%d attempts, want 4 (one and three retries)", n)
	}
}

// TestHelperRecallChild is the child process of TestRecallsResumeAfterKill.
func TestHelperRecallChild(t *testing.T) {
	db, base := os.Getenv("FEED_CHILD_DB"), os.Getenv("FEED_CHILD_BASE")
	if db == "" {
		t.Skip("child process of TestRecallsResumeAfterKill")
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = UpdateRecalls(context.Background(), st, childOpts(base))
	t.Fatalf("the child should have been killed: %v", err)
}

func childOpts(base string) RecallOptions {
	return RecallOptions{BaseURL: base, Since: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC),
		Now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC), PageSize: 1, Backoff: time.Millisecond, Rate: 1000}
}

// TestRecallsResumeAfterKill kills (SIGKILL) a child process in the
// middle of an update, after two pages were stored and while it waits
// for the third, and checks that the next update resumes at the third
// page, stores everything once, and fetches no page twice.
func TestRecallsResumeAfterKill(t *testing.T) {
	f := newFakeFDA(t)
	db := filepath.Join(t.TempDir(), "rounds.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Write(context.Background(), "test", func(w *store.Writer) error {
		for _, m := range recallCatalog {
			if _, err := w.PutModel(store.Model{Manufacturer: m, Model: "M"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	reached := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	f.onSkip[2] = func() {
		once.Do(func() { close(reached) })
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperRecallChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEED_CHILD_DB="+db, "FEED_CHILD_BASE="+f.srv.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		t.Fatal("the child never asked for the third page")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)
	f.mu.Lock()
	delete(f.onSkip, 2)
	before := len(f.queries)
	f.mu.Unlock()

	st, err = store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := storedIDs(t, st, store.RefRecall); len(got) != 2 {
		t.Fatalf("killed child stored %v, want the two pages before the kill", got)
	}
	rep, err := UpdateRecalls(context.Background(), st, childOpts(f.srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed {
		t.Error("the update did not say it resumed")
	}
	after := f.log()[before:]
	if after[0].path != "/device/enforcement.json" || after[0].skip != 2 {
		t.Errorf("resumed at %+v, want enforcement skip 2", after[0])
	}
	if got := storedIDs(t, st, store.RefRecall); len(got) != 4 {
		t.Errorf("stored %v, want 4", got)
	}
	if rep.Records[store.RefAdded] != 2 || rep.Records[store.RefUnchanged] != 0 {
		t.Errorf("resumed run: %v, want 2 added and no page read twice", rep.Records)
	}
}
