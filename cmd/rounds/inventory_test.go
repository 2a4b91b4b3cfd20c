package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the command line against a database in dir.
func runCLI(t *testing.T, db string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"--db", db}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

const cliSample = "asset_tag,serial,manufacturer,model,device_class,building,floor,room,mac,ble_address,ip,hostname,firmware_version,os,os_version,last_pm,next_pm_due,next_audit_due,status,cmdb_id\n" +
	"BME-1,SN1,BD,Alaris 8015 PC Unit,infusion pump,MAIN,3,3W-12,00-09-FB-12-34-56,,10.3.12.21,pump-1,12.1.2,,,2025-03-01,2026-03-01,2026-09-01,In Service,abc123\n" +
	"BME-2,SN2,Philips,IntelliVue MX450,patient monitor,MAIN,3,3W-12,00:09:fb:00:00:02,,10.3.12.22,,M.00.03,,,,,,,\n" +
	"BME-3,SN3,Insulet,Omnipod 5,insulin pump,MAIN,3,3W-14,,c0:11:22:33:44:55,,,1.1.4,,,,,,missing,\n"

func TestImportExportDevicesCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	in := filepath.Join(dir, "in.csv")
	os.WriteFile(in, []byte(cliSample), 0o600)

	code, out, errs := runCLI(t, db, "import", in)
	if code != 0 || !strings.Contains(out, "in.csv: 3 rows of devices: 3 created, 0 updated, 0 unchanged, 0 skipped") {
		t.Fatalf("import: %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI(t, db, "import", "--json", in)
	var res struct{ Unchanged int }
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Unchanged != 3 {
		t.Fatalf("re-import --json: %d %q", code, out)
	}

	// Export to a private file; export → import → export is stable.
	exp := filepath.Join(dir, "out.csv")
	if code, _, errs := runCLI(t, db, "export", "--format", "csv", "--out", exp); code != 0 {
		t.Fatalf("export: %d %s", code, errs)
	}
	fi, err := os.Stat(exp)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v %v, want mode 0600", fi.Mode(), err)
	}
	first, _ := os.ReadFile(exp)
	db2 := filepath.Join(dir, "r2.db")
	if code, _, errs := runCLI(t, db2, "import", exp); code != 0 {
		t.Fatalf("import export: %s", errs)
	}
	_, second, _ := runCLI(t, db2, "export")
	if second != string(first) {
		t.Fatalf("round trip differs:\n%s\n%s", first, second)
	}

	// devices lists a room, as a table and as JSON.
	code, out, _ = runCLI(t, db, "devices", "--room", "MAIN/3/3W-12")
	if code != 0 || strings.Count(out, "\n") != 3 || !strings.Contains(out, "BME-2") || strings.Contains(out, "BME-3") {
		t.Fatalf("devices --room: %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, db, "devices", "--room", "MAIN/3/3W-14", "--json")
	var ds []struct {
		AssetTag string `json:"asset_tag"`
		Status   string `json:"status"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &ds) != nil || len(ds) != 1 || ds[0].AssetTag != "BME-3" || ds[0].Status != "missing" {
		t.Fatalf("devices --json: %d %q", code, out)
	}
	code, out, _ = runCLI(t, db, "devices", "--status", "missing", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &ds) != nil || len(ds) != 1 {
		t.Fatalf("devices --status: %d %q", code, out)
	}
	// An unknown room is a usage error (2) in every command, and names
	// the closest rooms.
	if code, _, errs := runCLI(t, db, "devices", "--room", "MAIN/9/NOPE"); code != 2 || !strings.Contains(errs, "no room") || !strings.Contains(errs, "MAIN/3/3W-12") {
		t.Fatalf("unknown room: %d %q", code, errs)
	}
}

func TestImportErrorsCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("asset_tag,last_pm\nA-1,2025-01-01\nA-2,01/02/2025\n"), 0o600)
	code, _, errs := runCLI(t, db, "import", bad)
	if code != 1 || !strings.Contains(errs, "rounds: bad.csv:3: last_pm: bad date") {
		t.Fatalf("bad file: %d %q", code, errs)
	}
	code, out, errs := runCLI(t, db, "import", "--skip-bad", bad)
	if code != 0 || !strings.Contains(errs, "skipped bad.csv:3: last_pm") || !strings.Contains(out, "1 created") {
		t.Fatalf("--skip-bad: %d %q %q", code, out, errs)
	}
	for _, args := range [][]string{
		{"import", "--kind", "bogus", bad},
		{"import"},
		{"import", "--map", "nokey", bad},
		{"export", "--format", "xml"},
		{"export", "--kind", "all"},
		{"devices", "--status", "lost-in-space"},
		{"generate"},
	} {
		if code, _, errs := runCLI(t, db, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (usage); %s", args, code, errs)
		}
	}
	if code, _, _ := runCLI(t, db, "import", filepath.Join(dir, "missing.csv")); code != 1 {
		t.Errorf("missing file: exit %d, want 1", code)
	}
	for _, c := range []string{"import", "export", "devices", "generate"} {
		if code, out, _ := runCLI(t, db, c, "--help"); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: %d", c, code)
		}
	}
}

func TestImportStdinAndBaselineCLI(t *testing.T) {
	db := filepath.Join(t.TempDir(), "r.db")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"--db", db, "import", "--baseline", "-"}, strings.NewReader(cliSample), &out, &errb)
	if code != 0 || !strings.Contains(out.String(), "stdin: 3 rows") || !strings.Contains(out.String(), "baseline") {
		t.Fatalf("stdin import: %d %q %q", code, out.String(), errb.String())
	}
}

func TestGenerateCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	code, out, errs := runCLI(t, db, "generate", "--devices", "300", "--date", "2026-05-04", "--out", filepath.Join(dir, "inv"))
	if code != 0 {
		t.Fatalf("generate: %d %s", code, errs)
	}
	for _, k := range []string{"locations", "models", "devices"} {
		p := filepath.Join(dir, "inv", k+".csv")
		if !strings.Contains(out, p) {
			t.Errorf("output does not name %s", p)
		}
		if code, _, errs := runCLI(t, db, "import", "--baseline", p); code != 0 {
			t.Fatalf("import %s: %s", k, errs)
		}
	}
	_, devs, _ := runCLI(t, db, "devices", "--json")
	var ds []json.RawMessage
	if json.Unmarshal([]byte(devs), &ds) != nil || len(ds) != 300 {
		t.Fatalf("%d devices after importing generated files", len(ds))
	}
	db2 := filepath.Join(dir, "r2.db")
	if code, out, errs := runCLI(t, db2, "generate", "--devices", "300", "--date", "2026-05-04", "--load"); code != 0 || !strings.Contains(out, "loaded 300 devices") {
		t.Fatalf("generate --load: %d %q %q", code, out, errs)
	}
	// Loading and importing the files give the same inventory.
	_, a, _ := runCLI(t, db, "export", "--format", "json", "--kind", "all")
	_, b, _ := runCLI(t, db2, "export", "--format", "json", "--kind", "all")
	if a != b {
		t.Fatal("generate --load and importing generated files differ")
	}
}

func TestVersionAndDBFromEnvironment(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, strings.NewReader(""), &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "rounds ") {
		t.Fatalf("--version: %d %q", code, out.String())
	}
	db := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("ROUNDS_DB", db)
	out.Reset()
	if code := run(context.Background(), []string{"import", "-"}, strings.NewReader(cliSample), &out, &errb); code != 0 {
		t.Fatalf("import: %d %s", code, errb.String())
	}
	fi, err := os.Stat(db)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("database from ROUNDS_DB: %v %v, want a 0600 file", fi, err)
	}
}
