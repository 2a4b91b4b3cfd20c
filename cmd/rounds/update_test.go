package main

import (
	"context"
	"encoding/json"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/feed/feedtest"
	"github.com/biomed-rounds/rounds/store"
)

func catalogDB(t *testing.T, manufacturers []string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "r.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Write(context.Background(), "test", func(w *store.Writer) error {
		for _, m := range manufacturers {
			if _, err := w.PutModel(store.Model{Manufacturer: m, Model: "M-" + m}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func listedIDs(t *testing.T, db string) []string {
	t.Helper()
	code, out, errs := runCLI(t, db, "advisories", "list", "--json")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errs)
	}
	var docs []store.RefDoc
	if err := json.Unmarshal([]byte(out), &docs); err != nil {
		t.Fatalf("advisories list --json is not one JSON array: %v\n%s", err, out)
	}
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestAdvisoriesUpdateCLI is the "done when" for advisories:
// against a local provider the update imports exactly the medical
// documents, refuses the tampered and badly signed ones with named
// reasons, and a second run fetches only the new document.
func TestAdvisoriesUpdateCLI(t *testing.T) {
	p := feedtest.NewProvider(t)
	p.PublishStandardSet()
	db := catalogDB(t, feedtest.Catalog)

	code, out, errs := runCLI(t, db, "advisories", "update", "--provider", p.URL())
	t.Logf("first update:\n%s%s", out, errs)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (documents refused)\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"OpenPGP keys pinned now: " + p.Fingerprint(),
		"imported ICSMA-17-082-02",
		"imported ICSA-17-059-01",
		"REFUSED  ICSMA-18-240-01    hash mismatch",
		"REFUSED  ICSMA-17-017-01    bad signature",
		"REFUSED  ICSMA-18-058-01    missing hash",
		"8 listed, 0 unchanged since last update, 3 imported, 2 skipped, 3 refused, 0 not fetched",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errs, "3 documents refused") {
		t.Errorf("stderr: %s", errs)
	}
	if got := listedIDs(t, db); !slices.Equal(got, []string{"ICSA-17-059-01", "ICSMA-17-082-01", "ICSMA-17-082-02"}) {
		t.Errorf("imported %v", got)
	}

	p.Add("icsma-17-215-02.json", "2024-02-01T06:00:00Z", nil)
	p.ResetCounts()
	code, out, errs = runCLI(t, db, "advisories", "update", "--provider", p.URL())
	t.Logf("second update:\n%s%s", out, errs)
	if code != 0 {
		t.Fatalf("second update: exit %d\n%s\n%s", code, out, errs)
	}
	if docs := p.DocRequests(); !slices.Equal(docs, []string{"/csaf/white/2017/icsma-17-215-02.json"}) {
		t.Errorf("second update fetched %v", docs)
	}
	if !strings.Contains(out, "OpenPGP keys (pinned): "+p.Fingerprint()) || !strings.Contains(out, "9 listed, 8 unchanged since last update, 1 imported") {
		t.Errorf("second update:\n%s", out)
	}

	// The provider's key changes: the update stops, shows both, and
	// needs the flag.
	p.Rekey()
	code, _, errs = runCLI(t, db, "advisories", "update", "--provider", p.URL())
	if code != 1 || !strings.Contains(errs, "keys changed") || !strings.Contains(errs, "--accept-new-keys") {
		t.Errorf("key change: exit %d: %s", code, errs)
	}
}

func TestAdvisoriesUpdateOfflineCLI(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := catalogDB(t, feedtest.Catalog)
	code, _, errs := runCLI(t, db, "advisories", "update", "--provider", "http://"+addr+"/.well-known/csaf/provider-metadata.json")
	if code != 1 || !strings.Contains(errs, "offline") || !strings.Contains(errs, "already on this laptop still work") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// TestRecallsUpdateCLI is the same for recalls: the catalog's firms, an
// API key from the environment, idempotent.
func TestRecallsUpdateCLI(t *testing.T) {
	f := feedtest.NewFDA(t)
	db := catalogDB(t, []string{"Alcon Research, LLC", "Becton, Dickinson and Company", "Covidien"})
	t.Setenv("ROUNDS_OPENFDA_API_KEY", "cli-test-key")
	code, out, errs := runCLI(t, db, "recalls", "update", "--base-url", f.URL(), "--since", "2017-01-01", "--page-size", "2")
	if code != 0 || !strings.Contains(out, "4 added, 0 updated, 0 unchanged") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	for _, q := range f.Log() {
		if q.APIKey != "cli-test-key" || q.Limit != 2 {
			t.Errorf("request %+v", q)
		}
	}
	if strings.Contains(out+errs, "cli-test-key") {
		t.Error("the API key was printed")
	}
	code, out, _ = runCLI(t, db, "recalls", "update", "--base-url", f.URL())
	if code != 0 || !strings.Contains(out, "0 added") {
		t.Errorf("second update: exit %d\n%s", code, out)
	}
	code, _, errs = runCLI(t, db, "recalls", "update", "--since", "yesterday")
	if code != 2 || !strings.Contains(errs, "YYYY-MM-DD") {
		t.Errorf("bad --since: exit %d %s", code, errs)
	}
}
