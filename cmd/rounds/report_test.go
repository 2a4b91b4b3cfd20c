package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/demo"
)

// rounds report reads a real round from the database: the demo round,
// walked headless, then reported in every format, the technician named
// once with --technician.
func TestReportCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps the loopback ward")
	}
	t.Setenv("CI", "true")
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--db", filepath.Join(t.TempDir(), "real.db"), "--technician", "Ana Ruiz",
		"demo", "--headless", "--dir", dir}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("demo: exit %d: %s", code, errb.String())
	}
	db := filepath.Join(dir, demo.DBName)
	for _, f := range []string{"csv", "json", "html", "text"} {
		out.Reset()
		errb.Reset()
		code := run(context.Background(), []string{"--db", db, "report", "--format", f}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", f, code, errb.String())
		}
		if !strings.Contains(out.String(), "DEMO/3/3W-12") {
			t.Errorf("%s report lacks the rooms:\n%.400s", f, out.String())
		}
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	_ = rows
	_ = err
	// --out writes a 0600 file.
	p := filepath.Join(t.TempDir(), "r.html")
	if code := run(context.Background(), []string{"--db", db, "report", "--format", "html", "-o", p}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi, err)
	}
	b, _ := os.ReadFile(p)
	if !strings.Contains(string(b), "Ana Ruiz") || !strings.Contains(string(b), "Checked by") {
		t.Errorf("html lacks the technician or the sign-off lines")
	}
	// A round that does not exist is named in the error.
	errb.Reset()
	if code := run(context.Background(), []string{"--db", db, "report", "--round", "999"}, strings.NewReader(""), &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), "round 999") {
		t.Errorf("missing round: exit %d, %q", code, errb.String())
	}
}
