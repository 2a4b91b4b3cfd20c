package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

const cliModels = "manufacturer,model,device_class,fda_class,min_firmware,latest_firmware,os,os_eol,support_end,allowed_tags\n" +
	"BD,Alaris 8015 PC Unit,infusion pump,II,12.1.0,12.3.0,,,,clinical\n" +
	"Philips,IntelliVue MX450,patient monitor,II,M.00.01,M.00.04,,,,clinical\n"

// sweptRoom imports the sample inventory and sweeps MAIN/3/3W-12 once:
// BME-1 verified, BME-2 missing, BME-3 moved here (recorded in 3W-14) and
// an unknown host at 127.3.12.99.
func sweptRoom(t *testing.T) (db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "r.db")
	for _, in := range []struct{ kind, body string }{{"models", cliModels}, {"devices", cliSample}} {
		if code, _, errs := runCLI(t, db, "import", "--kind", in.kind, writeFile(t, dir, in.kind+".csv", in.body)); code != 0 {
			t.Fatalf("import %s: %s", in.kind, errs)
		}
	}
	now := time.Now()
	pump := scan.Observation{Time: now, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.21"), MAC: "00:09:fb:12:34:56", Alive: true}
	stranger := scan.Observation{Time: now, Source: scan.SourceIP, IP: netip.MustParseAddr("127.3.12.99"), MAC: "00:09:fb:99:99:99", Alive: true,
		Hints: scan.Hints{Serial: "SN-NEW-1", Firmware: "12.2.0"}}
	insulin := scan.Observation{Time: now, Source: scan.SourceBLE, BLE: &scan.BLE{Address: "C0:11:22:33:44:55",
		AddressType: scan.AddrPublic, Placement: scan.InRoom}}
	var nets []netip.Prefix
	fakeSources(t, []roomSource{{scan.SourceIP, fixedSweeper{obs: []scan.Observation{pump, stranger}}},
		{scan.SourceBLE, fixedSweeper{obs: []scan.Observation{insulin}}}}, &nets)
	if code, out, errs := runCLI(t, db, "scan", "--room", "MAIN/3/3W-12", "--net", "127.3.12.0/24"); code != 0 {
		t.Fatalf("scan: %d\n%s\n%s", code, out, errs)
	}
	return db
}

func journalOf(t *testing.T, db, tag string) []store.Entry {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.Journal(context.Background(), store.JournalQuery{AssetTag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func deviceOf(t *testing.T, db, tag string) store.Device {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d, err := st.Device(context.Background(), tag)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestActionsCLI runs each scriptable action, and each refusal, against the
// same finding kinds as the TUI (round.Applies): an action that applies
// writes one journal entry; a refused one writes nothing and exits 3.
func TestActionsCLI(t *testing.T) {
	t.Setenv("ROUNDS_ACTOR", "jdoe")
	db := sweptRoom(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		tag      string // device whose journal grows by journal entries
		journal  int
		want     string // in stdout (or stderr when failing)
		validate func(t *testing.T)
	}{
		// Refusals first, on findings where the TUI greys the action out.
		{"confirm a moved-here device", []string{"confirm", "BME-3", "--room", "MAIN/3/3W-12"}, exitConflicts, "BME-3", 0, "does not apply", nil},
		{"mark a verified device missing", []string{"missing", "BME-1", "--room", "MAIN/3/3W-12"}, exitConflicts, "BME-1", 0, "does not apply", nil},
		{"move a verified device", []string{"move", "BME-1", "--room", "MAIN/3/3W-12"}, exitConflicts, "BME-1", 0, "does not apply", nil},
		{"device not in the sweep", []string{"confirm", "BME-3"}, exitConflicts, "BME-3", 0, "never swept", nil},
		{"adopt under a taken tag", []string{"adopt", "BME-1", "--room", "MAIN/3/3W-12", "--seen", "127.3.12.99", "--model", "Alaris 8015 PC Unit"}, exitConflicts, "BME-1", 0, "already in use", nil},
		{"adopt a known device", []string{"adopt", "BME-777", "--room", "MAIN/3/3W-12", "--seen", "127.3.12.21", "--model", "Alaris 8015 PC Unit"}, exitConflicts, "BME-777", 0, "does not apply", nil},
		// Usage errors.
		{"unknown tag", []string{"confirm", "BME-404"}, exitUsage, "BME-404", 0, "no device", nil},
		{"move without a room", []string{"move", "BME-3"}, exitUsage, "BME-3", 0, "needs --room", nil},
		{"bad room", []string{"confirm", "BME-1", "--room", "MAIN/3/3W-13"}, exitUsage, "BME-1", 0, "did you mean", nil},
		{"empty note", []string{"note", "BME-1", " "}, exitUsage, "BME-1", 0, "empty note", nil},
		{"adopt an unknown model", []string{"adopt", "BME-900", "--room", "MAIN/3/3W-12", "--seen", "127.3.12.99", "--model", "Alaris 9000"}, exitUsage, "BME-900", 0, "Alaris 8015", nil},
		{"tag with a slash", []string{"adopt", "BME/900", "--room", "MAIN/3/3W-12", "--seen", "127.3.12.99", "--model", "Alaris 8015 PC Unit"}, exitUsage, "BME/900", 0, "slashes", nil},
		// Actions that apply.
		{"confirm", []string{"confirm", "BME-1"}, exitOK, "BME-1", 1, "BME-1 in MAIN/3/3W-12", func(t *testing.T) {
			if d := deviceOf(t, db, "BME-1"); d.LastAudited.IsZero() {
				t.Errorf("no audit recorded: %+v", d)
			}
		}},
		{"move here", []string{"move", "BME-3", "--room", "MAIN/3/3W-12"}, exitOK, "BME-3", 1, "moved here", func(t *testing.T) {
			if d := deviceOf(t, db, "BME-3"); d.LocationKey != "MAIN/3/3W-12" {
				t.Errorf("BME-3 in %s", d.LocationKey)
			}
		}},
		{"mark missing", []string{"missing", "BME-2"}, exitOK, "BME-2", 1, "marked missing", func(t *testing.T) {
			if d := deviceOf(t, db, "BME-2"); d.Status != store.StatusMissing {
				t.Errorf("BME-2 status %s", d.Status)
			}
		}},
		{"note", []string{"note", "BME-1", "battery", "door", "cracked"}, exitOK, "BME-1", 1, "note added", nil},
		{"adopt", []string{"adopt", "BME-900", "--room", "MAIN/3/3W-12", "--seen", "00:09:FB:99:99:99", "--model", "alaris 8015 pc unit"}, exitOK, "BME-900", 1, "adopted as BME-900", func(t *testing.T) {
			d := deviceOf(t, db, "BME-900")
			if d.Manufacturer != "BD" || d.DeviceClass != "infusion pump" || d.IP != "127.3.12.99" || d.Serial != "SN-NEW-1" || d.LocationKey != "MAIN/3/3W-12" {
				t.Errorf("adopted record %+v", d)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(journalOf(t, db, tc.tag))
			code, out, errs := runCLI(t, db, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out, errs)
			}
			text := out
			if code != 0 {
				text = errs
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("output lacks %q:\n%s", tc.want, text)
			}
			after := journalOf(t, db, tc.tag)
			if len(after)-before != tc.journal {
				t.Fatalf("journal of %s grew by %d, want %d", tc.tag, len(after)-before, tc.journal)
			}
			if tc.journal > 0 && after[len(after)-1].Actor != "jdoe" {
				t.Errorf("journal actor %q", after[len(after)-1].Actor)
			}
			if tc.validate != nil {
				tc.validate(t)
			}
		})
	}
}

// TestActionJSON: --json prints one object with the finding acted on.
func TestActionJSON(t *testing.T) {
	db := sweptRoom(t)
	code, out, errs := runCLI(t, db, "confirm", "BME-1", "--json")
	var res actionResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("%d %s %s", code, out, errs)
	}
	if res.Action != round.Confirm || res.Tag != "BME-1" || res.Room != "MAIN/3/3W-12" || res.Visit != 1 || res.Done != "confirmed" ||
		res.Device == nil || res.Device.LastAudited.IsZero() {
		t.Errorf("result %+v", res)
	}
	// Again: refused as in the TUI (a second confirm would queue an empty
	// change), with the reason, and nothing on stdout.
	code, out, errs = runCLI(t, db, "confirm", "BME-1", "--json")
	if code != 1 || out != "" || !strings.Contains(errs, "already confirmed") {
		t.Errorf("second confirm: %d %q %q", code, out, errs)
	}
}
