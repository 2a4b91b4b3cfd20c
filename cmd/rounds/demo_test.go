package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoHeadless(t *testing.T) {
	if testing.Short() {
		t.Skip("sweeps the loopback ward")
	}
	t.Setenv("CI", "true")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--db", filepath.Join(t.TempDir(), "real.db"), "demo", "--headless", "--format", "json"},
		strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var r struct {
		Rooms  []struct{ Key string } `json:"rooms"`
		Totals struct {
			Visited int            `json:"visited"`
			Kinds   map[string]int `json:"kinds"`
			Flags   map[string]int `json:"flags"`
		} `json:"totals"`
	}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if len(r.Rooms) != 4 || r.Totals.Visited != 4 || r.Totals.Kinds["missing"] == 0 || r.Totals.Kinds["unknown"] == 0 ||
		r.Totals.Kinds["moved_here"] == 0 || r.Totals.Flags["advisory"] == 0 || r.Totals.Flags["segmentation"] == 0 {
		t.Errorf("report %+v", r)
	}
	if !strings.Contains(errb.String(), "swept DEMO/3/3W-12") {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestDemoRefusesBadUse(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"demo", "--headless", "--format", "pdf"}, "unknown format"},
		{"demo dir is the inventory", []string{"--db", filepath.Join(dir, "demo.db"), "demo", "--headless", "--dir", dir}, "inventory database"},
		{"no terminal", []string{"demo", "--dir", dir}, "needs a terminal"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(context.Background(), tt.args, strings.NewReader(""), &out, &errb)
		if code != exitUsage || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("%s: exit %d, stderr %q", tt.name, code, errb.String())
		}
	}
}
