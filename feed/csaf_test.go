package feed

import (
	"context"
	"errors"
	"net"
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
)

var catalog = feedtest.Catalog

func checkOutcomes(t *testing.T, rep ProviderReport, want map[string][2]string) {
	t.Helper()
	got := map[string][2]string{}
	for _, r := range rep.Results {
		got[r.ID] = [2]string{r.Outcome, r.Reason}
	}
	for id, w := range want {
		if got[id] != w {
			t.Errorf("%s: got %v, want %v", id, got[id], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d results %v, want %d", len(got), got, len(want))
	}
}

func TestUpdateAdvisories(t *testing.T) {
	for _, directory := range []bool{false, true} {
		name := "rolie"
		if directory {
			name = "directory"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			p := feedtest.NewProvider(t)
			p.Mu.Lock()
			p.Directory = directory
			p.Mu.Unlock()
			p.PublishStandardSet()
			want := feedtest.StandardOutcomes
			st := openStore(t, catalog...)
			opts := AdvisoryOptions{Providers: []string{p.URL()}, Backoff: time.Millisecond, Rate: 1000}

			reps, err := UpdateAdvisories(ctx, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			rep := reps[0]
			checkOutcomes(t, rep, want)
			if !rep.Pinned || !slices.Equal(rep.Keys, []string{p.Fingerprint()}) {
				t.Errorf("keys %v pinned %v, want %s pinned on first use", rep.Keys, rep.Pinned, p.Fingerprint())
			}
			if got := storedIDs(t, st, store.RefAdvisory); !slices.Equal(got, []string{"ICSA-17-059-01", "ICSMA-17-082-01", "ICSMA-17-082-02"}) {
				t.Errorf("stored %v, want exactly the verified medical documents", got)
			}
			if n := p.Count("tlp-amber.json"); n != 0 {
				t.Errorf("the TLP:AMBER feed was requested %d times", n)
			}
			// Skipped documents cost one request: no hash or signature.
			for _, n := range []string{"icsa-18-151-01.json.sha512", "icsma-17-215-01.json.asc"} {
				if c := p.Count(n); c != 0 {
					t.Errorf("%s requested %d times for a skipped document", n, c)
				}
			}

			// The feed grows by one: the second update fetches only it.
			p.Add("icsma-17-215-02.json", "2024-02-01T06:00:00Z", nil)
			p.ResetCounts()
			reps, err = UpdateAdvisories(ctx, st, opts)
			if err != nil {
				t.Fatal(err)
			}
			rep = reps[0]
			if docs := p.DocRequests(); !slices.Equal(docs, []string{"/csaf/white/2017/icsma-17-215-02.json"}) {
				t.Errorf("second update fetched documents %v, want only the new one", docs)
			}
			if len(rep.Results) != 1 || rep.Results[0].ID != "ICSMA-17-215-02" || rep.Results[0].Outcome != Imported {
				t.Errorf("second update results %+v", rep.Results)
			}
			if rep.Unchanged != 8 || rep.Listed != 9 {
				t.Errorf("listed %d unchanged %d, want 9 and 8", rep.Listed, rep.Unchanged)
			}
			if rep.Watermark != "2024-02-01T06:00:00Z" {
				t.Errorf("watermark %q", rep.Watermark)
			}
			// Requests: metadata, key, one listing (+ none), three for the new document.
			if rep.Requests != 6 {
				t.Errorf("second update sent %d requests, want 6", rep.Requests)
			}

			// A third update with nothing new fetches no document.
			p.ResetCounts()
			if _, err := UpdateAdvisories(ctx, st, opts); err != nil {
				t.Fatal(err)
			}
			if docs := p.DocRequests(); len(docs) != 0 {
				t.Errorf("third update fetched %v", docs)
			}
		})
	}
}

// TestProviderByDomain: a provider named by its root is read from
// /.well-known/csaf/provider-metadata.json.
func TestProviderByDomain(t *testing.T) {
	p := feedtest.NewProvider(t)
	p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	st := openStore(t, catalog...)
	reps, err := UpdateAdvisories(context.Background(), st, AdvisoryOptions{Providers: []string{p.BaseURL()}, Backoff: time.Millisecond, Rate: 1000})
	if err != nil || reps[0].Provider != p.URL() || reps[0].Count(Imported) != 1 {
		t.Fatalf("%v %+v", err, reps)
	}
	for in, want := range map[string]string{
		"https://www.cisa.gov":  "https://www.cisa.gov/.well-known/csaf/provider-metadata.json",
		"https://www.cisa.gov/": "https://www.cisa.gov/.well-known/csaf/provider-metadata.json",
		DefaultProvider:         DefaultProvider,
	} {
		if got := MetadataURL(in); got != want {
			t.Errorf("MetadataURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRetryRefusedAfterFix(t *testing.T) {
	ctx := context.Background()
	p := feedtest.NewProvider(t)
	d := p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	good := d.Asc
	d.Asc = feedtest.Sign(t, feedtest.NewKey(t), d.Body) // signed by a stranger
	st := openStore(t, catalog...)
	opts := AdvisoryOptions{Providers: []string{p.URL()}, Backoff: time.Millisecond, Rate: 1000}
	reps, err := UpdateAdvisories(ctx, st, opts)
	if err != nil || reps[0].Count(Refused) != 1 || reps[0].Results[0].Reason != ReasonBadSignature {
		t.Fatalf("first update: %v %+v", err, reps)
	}
	p.Mu.Lock()
	d.Asc = good
	p.Mu.Unlock()
	reps, _ = UpdateAdvisories(ctx, st, opts)
	if len(reps[0].Results) != 0 {
		t.Fatalf("an unchanged refused entry was fetched again without --retry-refused: %+v", reps[0].Results)
	}
	opts.RetryRefused = true
	reps, err = UpdateAdvisories(ctx, st, opts)
	if err != nil || reps[0].Count(Imported) != 1 {
		t.Fatalf("retry: %v %+v", err, reps[0].Results)
	}
}

func TestKeyPinning(t *testing.T) {
	ctx := context.Background()
	p := feedtest.NewProvider(t)
	p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	st := openStore(t, catalog...)
	opts := AdvisoryOptions{Providers: []string{p.URL()}, Backoff: time.Millisecond, Rate: 1000}
	if _, err := UpdateAdvisories(ctx, st, opts); err != nil {
		t.Fatal(err)
	}
	first := p.Fingerprint()
	pins, _ := st.FeedPins(ctx, p.URL())
	if !slices.Equal(pins, []string{first}) {
		t.Fatalf("pins %v, want %s", pins, first)
	}

	// The provider (or someone in its place) now lists another key and
	// signs with it: nothing is imported until the user accepts it.
	p.Rekey()
	p.Add("icsma-17-082-01.json", "2024-01-03T06:00:00Z", nil)
	reps, err := UpdateAdvisories(ctx, st, opts)
	if !errors.Is(err, ErrKeyChanged) {
		t.Fatalf("err %v, want ErrKeyChanged", err)
	}
	if !strings.Contains(err.Error(), first) || !strings.Contains(err.Error(), p.Fingerprint()) || !strings.Contains(err.Error(), "--accept-new-keys") {
		t.Errorf("error does not show both fingerprints and the flag: %v", err)
	}
	if len(reps[0].Results) != 0 || len(storedIDs(t, st, store.RefAdvisory)) != 1 {
		t.Errorf("documents handled under an unpinned key: %+v", reps[0].Results)
	}

	opts.AcceptNewKeys = true
	reps, err = UpdateAdvisories(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reps[0].Pinned || reps[0].Count(Imported) != 1 {
		t.Errorf("after accepting: pinned %v results %+v", reps[0].Pinned, reps[0].Results)
	}
	pins, _ = st.FeedPins(ctx, p.URL())
	if !slices.Equal(pins, []string{p.Fingerprint()}) {
		t.Errorf("pins %v, want the new key", pins)
	}
}

func TestOffline(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	st := openStore(t, catalog...)
	_, err = UpdateAdvisories(context.Background(), st, AdvisoryOptions{
		Providers: []string{"http://" + addr + "/.well-known/csaf/provider-metadata.json"}, Backoff: time.Millisecond, Rate: 1000})
	if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("err %v, want ErrOffline naming %s", err, addr)
	}
	_, err = UpdateRecalls(context.Background(), st, RecallOptions{BaseURL: "http://" + addr, Backoff: time.Millisecond, Rate: 1000})
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("recalls: err %v, want ErrOffline", err)
	}
}

// TestDroppedConnection: a connection dropped on one document leaves it
// for the next update, which fetches only it.
func TestDroppedConnection(t *testing.T) {
	ctx := context.Background()
	p := feedtest.NewProvider(t)
	p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	p.Add("icsma-17-082-01.json", "2024-01-03T06:00:00Z", nil)
	p.Hangup["/csaf/white/2017/icsma-17-082-01.json"] = true
	st := openStore(t, catalog...)
	opts := AdvisoryOptions{Providers: []string{p.URL()}, Backoff: time.Millisecond, Rate: 1000}
	reps, err := UpdateAdvisories(ctx, st, opts)
	if err == nil || len(reps[0].Failed) != 1 || reps[0].Count(Imported) != 1 {
		t.Fatalf("err %v failed %+v results %+v", err, reps[0].Failed, reps[0].Results)
	}
	if reps[0].Watermark != "" {
		t.Errorf("watermark moved on an incomplete pass")
	}
	p.Mu.Lock()
	p.Hangup = map[string]bool{}
	p.Mu.Unlock()
	p.ResetCounts()
	reps, err = UpdateAdvisories(ctx, st, opts)
	if err != nil {
		t.Fatal(err)
	}
	if docs := p.DocRequests(); !slices.Equal(docs, []string{"/csaf/white/2017/icsma-17-082-01.json"}) {
		t.Errorf("resumed update fetched %v", docs)
	}
	if got := storedIDs(t, st, store.RefAdvisory); len(got) != 2 {
		t.Errorf("stored %v", got)
	}
}

// TestHelperAdvisoryChild is the child process of
// TestAdvisoriesResumeAfterKill.
func TestHelperAdvisoryChild(t *testing.T) {
	db, provider := os.Getenv("FEED_CHILD_DB"), os.Getenv("FEED_CHILD_PROVIDER")
	if db == "" || provider == "" {
		t.Skip("child process of TestAdvisoriesResumeAfterKill")
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	_, err = UpdateAdvisories(context.Background(), st, AdvisoryOptions{Providers: []string{provider}, Workers: 1, Backoff: time.Millisecond, Rate: 1000})
	t.Fatalf("the child should have been killed: %v", err)
}

// TestAdvisoriesResumeAfterKill SIGKILLs a child process while it
// fetches the third document and checks that the next update fetches
// only the documents the child had not finished.
func TestAdvisoriesResumeAfterKill(t *testing.T) {
	p := feedtest.NewProvider(t)
	p.Add("icsma-17-082-02.json", "2024-01-02T06:00:00Z", nil)
	p.Add("icsma-17-082-01.json", "2024-01-03T06:00:00Z", nil)
	p.Add("icsma-17-215-02.json", "2024-01-04T06:00:00Z", nil)
	p.Add("icsa-18-151-01.json", "2024-01-05T06:00:00Z", nil)
	db := filepath.Join(t.TempDir(), "rounds.db")
	st := openStoreAt(t, db, catalog...)
	st.Close()

	// The feed lists newest first and one worker takes them in order:
	// 18-151, 215-02, then 082-01, where the child is killed.
	const victim = "/csaf/white/2017/icsma-17-082-01.json"
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	p.Mu.Lock()
	p.OnRequest[victim] = func() {
		once.Do(func() { close(reached) })
		select {
		case <-release:
		case <-time.After(30 * time.Second):
		}
	}
	p.Mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperAdvisoryChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEED_CHILD_DB="+db, "FEED_CHILD_PROVIDER="+p.URL())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-reached:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		t.Fatal("the child never fetched the third document")
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	close(release)
	p.Mu.Lock()
	delete(p.OnRequest, victim)
	p.Mu.Unlock()
	p.ResetCounts()

	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got := storedIDs(t, st, store.RefAdvisory); !slices.Equal(got, []string{"ICSMA-17-215-02"}) {
		t.Fatalf("the killed child stored %v", got)
	}
	reps, err := UpdateAdvisories(context.Background(), st, AdvisoryOptions{Providers: []string{p.URL()}, Backoff: time.Millisecond, Rate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	docs := p.DocRequests()
	slices.Sort(docs)
	if !slices.Equal(docs, []string{victim, "/csaf/white/2017/icsma-17-082-02.json"}) {
		t.Errorf("resumed update fetched %v, want only the two the child had not finished", docs)
	}
	if reps[0].Unchanged != 2 {
		t.Errorf("unchanged %d, want 2", reps[0].Unchanged)
	}
	if got := storedIDs(t, st, store.RefAdvisory); len(got) != 3 {
		t.Errorf("stored %v", got)
	}
}
