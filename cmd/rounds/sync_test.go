package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
)

func TestSyncCLI(t *testing.T) {
	const pass = "cli-Pa55-w0rd-secret"
	// No keyring in tests: the environment is the only source.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("ROUNDS_SNOW_PASSWORD", pass)
	fake := snfake.New()
	fake.User, fake.Password = "svc_rounds", pass
	srv := fake.Start()
	defer srv.Close()
	loc := fake.Put("cmn_location", snfake.Record{"name": "MAIN/3/3W-12"})
	fake.Put("cmn_location", snfake.Record{"name": "MAIN/4/ICU-1"})
	id := fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": "BME-1", "name": "BME-1", "serial_number": "SN1",
		"install_status": "1", "location": loc})
	fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": "BME-2", "name": "BME-2", "install_status": "1", "location": loc})

	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[[target]]\nname = \"snow\"\nkind = \"servicenow\"\nurl = %q\noptions = { user = \"svc_rounds\", page_size = \"1\", allow_insecure_http = \"true\" }\n", srv.URL)), 0o600)
	sync := func(args ...string) (int, string, string) {
		t.Helper()
		code, out, errs := runCLI(t, db, append([]string{"--config", cfg, "sync"}, args...)...)
		if strings.Contains(out+errs, pass) {
			t.Fatalf("the password leaked: %s %s", out, errs)
		}
		return code, out, errs
	}
	edit := func(tag string, fn func(*store.Device)) {
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Write(context.Background(), "tech", func(w *store.Writer) error {
			_, err := w.UpdateDevice(tag, store.OpUpdate, func(d *store.Device) error { fn(d); return nil })
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}

	code, out, errs := sync("--json")
	if !strings.Contains(errs, "plain http") {
		t.Errorf("no warning for plain http: %q", errs)
	}
	var res struct {
		Pull struct{ Created int }
		Push struct{ Acked int }
	}
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil || res.Pull.Created != 2 {
		t.Fatalf("first sync: %d %q %q", code, out, errs)
	}
	edit("BME-1", func(d *store.Device) { d.LocationKey = "MAIN/4/ICU-1" })
	before := fake.Stats()
	code, out, _ = sync("--dry-run")
	if code != 0 || !strings.Contains(out, "POST /api/now/v1/batch") || !strings.Contains(out, `"sys_id": "`+id+`"`) ||
		!strings.Contains(out, "cmn_location") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
	if after := fake.Stats(); after.Requests != before.Requests {
		t.Fatalf("the dry run sent %d requests", after.Requests-before.Requests)
	}
	code, out, _ = sync("--status")
	if code != 0 || !regexp.MustCompile(`queued changes\s+1`).MatchString(out) {
		t.Fatalf("status: %d\n%s", code, out)
	}
	if code, _, errs = sync("--push"); code != 0 {
		t.Fatalf("push: %s", errs)
	}
	// A conflict: both sides change the status.
	edit("BME-2", func(d *store.Device) { d.Status = store.StatusInRepair })
	for _, r := range fake.All("cmdb_ci_med_device") {
		if r["asset_tag"] == "BME-2" {
			fake.Edit(r["sys_id"], snfake.Record{"install_status": "7"})
		}
	}
	// Finishing with an open conflict exits 3, so a script notices.
	if code, _, errs := sync(); code != exitConflicts || !strings.Contains(errs, "1 open conflicts") {
		t.Fatalf("sync with a conflict: exit %d, want %d: %s", code, exitConflicts, errs)
	}
	code, out, _ = sync("--conflicts")
	m := regexp.MustCompile(`(?m)^(\d+)\s+BME-2\s+status\s+in_service\s+in_repair\s+retired\s+open`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("conflicts: %d\n%s", code, out)
	}
	if code, _, errs = sync("--resolve", m[1]+"=sideways"); code != exitUsage {
		t.Fatalf("bad resolve: %d %s", code, errs)
	}
	if code, out, errs = sync("--resolve", m[1]+"=server"); code != 0 {
		t.Fatalf("resolve: %d %s %s", code, out, errs)
	}
	sync()
	code, out, _ = sync("--conflicts", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("conflicts after resolution: %s", out)
	}
	// A wrong password fails cleanly, without quoting it.
	t.Setenv("ROUNDS_SNOW_PASSWORD", "wrong-"+pass)
	code, _, errs = runCLI(t, db, "--config", cfg, "sync")
	if code != exitFailure || !strings.Contains(errs, "401") || strings.Contains(errs, pass) {
		t.Fatalf("wrong password: %d %q", code, errs)
	}
	t.Setenv("ROUNDS_SNOW_PASSWORD", "")
	code, _, errs = runCLI(t, db, "--config", cfg, "sync")
	if code != exitFailure || !strings.Contains(errs, "ROUNDS_SNOW_PASSWORD") {
		t.Fatalf("no password: %d %q", code, errs)
	}
}

// writeTarget writes a one-target configuration file.
func writeTarget(t *testing.T, dir, body string) string {
	t.Helper()
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte("[[target]]\n"+body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSyncRefusesPlainHTTPAndUnknownOptions(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("ROUNDS_SNOW_PASSWORD", "pw-123456")
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	tests := []struct {
		name, target, wantErr, notIn string
	}{
		{"plain http", `name = "snow"
kind = "servicenow"
url = "http://cmdb.hospital.example"
options = { user = "svc" }
`, "plain http refused", ""},
		{"unknown option", `name = "snow"
kind = "servicenow"
url = "https://cmdb.hospital.example"
options = { user = "svc", pagesize = "10" }
`, `unknown option "pagesize"`, ""},
		{"secret in password_env", `name = "snow"
kind = "servicenow"
url = "https://cmdb.hospital.example"
options = { user = "svc", password_env = "Tr0ub4dor&3!" }
`, "not an environment variable name", "Tr0ub4dor&3!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := writeTarget(t, dir, tt.target)
			code, out, errs := runCLI(t, db, "--config", cfg, "sync", "--check")
			if code == 0 || !strings.Contains(errs, tt.wantErr) {
				t.Fatalf("code %d, stderr %q", code, errs)
			}
			if tt.notIn != "" && strings.Contains(out+errs, tt.notIn) {
				t.Fatalf("secret echoed: %q", out+errs)
			}
		})
	}
}

func TestSyncCheck(t *testing.T) {
	const pass = "check-Pa55"
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	t.Setenv("ROUNDS_SNOW_PASSWORD", pass)
	for _, noIRE := range []bool{false, true} {
		t.Run(fmt.Sprint("noIRE=", noIRE), func(t *testing.T) {
			fake := snfake.New()
			fake.User, fake.Password, fake.NoIRE = "svc_rounds", pass, noIRE
			srv := fake.Start()
			defer srv.Close()
			dir := t.TempDir()
			cfg := writeTarget(t, dir, fmt.Sprintf("name = \"snow\"\nkind = \"servicenow\"\nurl = %q\noptions = { user = \"svc_rounds\", allow_insecure_http = \"true\", password = \"oops\" }\n", srv.URL))
			code, out, errs := runCLI(t, filepath.Join(dir, "r.db"), "--config", cfg, "sync", "--check")
			if code != 0 {
				t.Fatalf("check: %d %s", code, errs)
			}
			wantIRE := "ok  IRE"
			if noIRE {
				wantIRE = "NO  IRE"
			}
			if !strings.Contains(out, wantIRE) || !strings.Contains(out, "ok  read cmdb_ci_med_device") {
				t.Fatalf("check output:\n%s", out)
			}
			if !strings.Contains(errs, "holds a secret in the configuration file") || strings.Contains(errs, "oops") {
				t.Fatalf("no warning for the password in options: %q", errs)
			}
			if before := fake.Stats(); before.IREItems != 0 || len(fake.All("cmdb_ci_med_device")) != 0 {
				t.Fatalf("check wrote: %+v", before)
			}
		})
	}
}
