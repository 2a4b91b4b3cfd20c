package feed

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/feed/feedtest"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/secret"
)

var recallCatalog = []string{"Alcon Research, LLC", "Becton, Dickinson and Company", "Covidien"}

func TestUpdateRecalls(t *testing.T) {
	ctx := context.Background()
	f := feedtest.NewFDA(t)
	f.Mu.Lock()
	f.Throttle = 1 // one 429 first, as openFDA answers past its rate
	f.Mu.Unlock()
	st := openStore(t, recallCatalog...)
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	opts := RecallOptions{BaseURL: f.URL(), Since: time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), Now: now,
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
	firms := map[string]bool{}
	for _, q := range f.Log() {
		if q.Limit < 1 || q.Limit > 1000 || q.APIKey != "k3y-for-test" {
			t.Errorf("request %+v: limit out of openFDA's range or key missing", q)
		}
		if strings.Count(q.Search, "recalling_firm:") != 1 {
			t.Errorf("search %q: want one firm per query", q.Search)
		}
		firms[q.Search[:strings.Index(q.Search, " AND ")]] = true
		if q.Path == "/device/enforcement.json" && !strings.Contains(q.Search, " AND report_date:[20170101 TO 20240601]") {
			t.Errorf("first window: %q", q.Search)
		}
	}
	for _, want := range []string{`recalling_firm:"alcon research"`, `recalling_firm:"becton dickinson"`, `recalling_firm:"covidien"`} {
		if !firms[want] {
			t.Errorf("no query for %s: %v", want, firms)
		}
	}

	// The next update reads from the last window's end less 30 days:
	// nothing new there (openFDA's 404 NOT_FOUND), nothing changes.
	n := len(f.Log())
	opts.Now = now.AddDate(0, 1, 0)
	rep, err = UpdateRecalls(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if q := f.Log()[n]; !strings.Contains(q.Search, "report_date:[20240502 TO 20240701]") {
		t.Errorf("second window: %q", q.Search)
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
	f := feedtest.NewFDA(t)
	f.Mu.Lock()
	f.Fail = 1000
	f.Mu.Unlock()
	st := openStore(t, recallCatalog...)
	_, err := UpdateRecalls(context.Background(), st, RecallOptions{BaseURL: f.URL(), Backoff: time.Millisecond, Rate: 1000,
		APIKey: secret.New("s3cr3t/key+x")})
	if err == nil {
		t.Fatal("no error from a failing server")
	}
	if strings.Contains(err.Error(), "s3cr3t") || !strings.Contains(err.Error(), "[redacted]") {
		t.Errorf("error shows the key or hides the URL entirely: %v", err)
	}
	if n := len(f.Log()); n != 4 {
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
// middle of an update (one firm per query, one record per page: after
// the pages of "alcon research" and the first of "becton dickinson" were
// stored, while it waits for the second), and checks that the next
// update resumes at that page, stores everything once, and fetches no
// page twice.
func TestRecallsResumeAfterKill(t *testing.T) {
	f := feedtest.NewFDA(t)
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
	f.Mu.Lock()
	f.OnSkip[1] = func() {
		once.Do(func() { close(reached) })
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	f.Mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperRecallChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEED_CHILD_DB="+db, "FEED_CHILD_BASE="+f.URL())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		t.Fatal("the child never asked for the second page of its second firm")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)
	f.Mu.Lock()
	delete(f.OnSkip, 1)
	f.Mu.Unlock()
	before := len(f.Log())

	st, err = store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := storedIDs(t, st, store.RefRecall); len(got) != 2 {
		t.Fatalf("killed child stored %v, want the two pages before the kill", got)
	}
	rep, err := UpdateRecalls(context.Background(), st, childOpts(f.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed {
		t.Error("the update did not say it resumed")
	}
	after := f.Log()[before:]
	if after[0].Path != "/device/enforcement.json" || after[0].Skip != 1 || !strings.Contains(after[0].Search, "becton") {
		t.Errorf("resumed at %+v, want enforcement, becton dickinson, skip 1", after[0])
	}
	if got := storedIDs(t, st, store.RefRecall); len(got) != 4 {
		t.Errorf("stored %v, want 4", got)
	}
	if rep.Records[store.RefAdded] != 2 || rep.Records[store.RefUnchanged] != 0 {
		t.Errorf("resumed run: %v, want 2 added and no page read twice", rep.Records)
	}
}
