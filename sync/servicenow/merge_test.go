package servicenow_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

// setup pulls one CI, BME-1, into a fresh store.
func setup(t *testing.T) (*env, string) {
	e := newEnv(t)
	id := e.ci("BME-1", "SN1", "MAIN/3/3W-12")
	e.sync()
	return e, id
}

func TestMergeTable(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// local and central edits before the sync
		local   func(*store.Device)
		central snfake.Record
		// expectations after one sync
		wantLocal  func(store.Device) bool
		wantServer func(*env, snfake.Record) bool
		wantState  store.EntryState
		wantRes    sync.Resolution // "" means no conflict row
	}{
		{
			name:       "server-only change is applied locally",
			central:    snfake.Record{"firmware_version": "9.9"},
			wantLocal:  func(d store.Device) bool { return d.FirmwareVersion == "9.9" },
			wantServer: func(e *env, r snfake.Record) bool { return r["firmware_version"] == "9.9" },
		},
		{
			name:       "local-only change is pushed",
			local:      func(d *store.Device) { d.FirmwareVersion = "2.0" },
			wantLocal:  func(d store.Device) bool { return d.FirmwareVersion == "2.0" },
			wantServer: func(e *env, r snfake.Record) bool { return r["firmware_version"] == "2.0" },
			wantState:  store.StateAcked,
		},
		{
			name:       "both sides made the same change",
			local:      func(d *store.Device) { d.FirmwareVersion = "3.0" },
			central:    snfake.Record{"firmware_version": "3.0"},
			wantLocal:  func(d store.Device) bool { return d.FirmwareVersion == "3.0" },
			wantServer: func(e *env, r snfake.Record) bool { return r["firmware_version"] == "3.0" },
			wantState:  store.StateAcked,
		},
		{
			name:       "person-owned field changed on both sides is a conflict keeping both values",
			local:      func(d *store.Device) { d.Status = store.StatusInRepair },
			central:    snfake.Record{"install_status": "7"},
			wantLocal:  func(d store.Device) bool { return d.Status == store.StatusInRepair },
			wantServer: func(e *env, r snfake.Record) bool { return r["install_status"] == "7" },
			wantState:  store.StateConflict,
			wantRes:    sync.Open,
		},
		{
			name:       "laptop-owned field changed on both sides: the observation wins, recorded",
			local:      func(d *store.Device) { d.LocationKey = "MAIN/4/ICU-1" },
			central:    snfake.Record{"location": "LOC:MAIN/3/3W-14"},
			wantLocal:  func(d store.Device) bool { return d.LocationKey == "MAIN/4/ICU-1" },
			wantServer: func(e *env, r snfake.Record) bool { return r["location"] == e.locs["MAIN/4/ICU-1"] },
			wantState:  store.StateAcked,
			wantRes:    sync.AutoLocal,
		},
		{
			name:       "server-owned field changed on both sides: the CMDB wins, recorded",
			local:      func(d *store.Device) { d.Model = "Alaris 8100" },
			central:    snfake.Record{"model_id": "model-other"},
			wantLocal:  func(d store.Device) bool { return d.Model == "Other" },
			wantServer: func(e *env, r snfake.Record) bool { return r["model_id"] == "model-other" },
			wantState:  store.StateAcked,
			wantRes:    sync.AutoServer,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, id := setup(t)
			e.fake.Put("cmdb_model", snfake.Record{"name": "Other", "sys_id": "model-other"})
			e.fake.Put("cmdb_model", snfake.Record{"name": "Alaris 8100", "sys_id": "model-8100"})
			if tt.local != nil {
				e.edit("BME-1", tt.local)
			}
			if tt.central != nil {
				c := snfake.Record{}
				for k, v := range tt.central {
					if strings.HasPrefix(v, "LOC:") {
						v = e.locs[strings.TrimPrefix(v, "LOC:")]
					}
					c[k] = v
				}
				e.fake.Edit(id, c)
			}
			e.sync()
			if d := e.device("BME-1"); !tt.wantLocal(d) {
				t.Errorf("local device = %+v", d)
			}
			if r, _ := e.fake.Get(id); !tt.wantServer(e, r) {
				t.Errorf("server record = %v", r)
			}
			if tt.wantState != "" {
				es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
				if got := es[len(es)-1].State; got != tt.wantState {
					t.Errorf("entry state = %s, want %s", got, tt.wantState)
				}
			}
			cs, err := sync.Conflicts(ctx, e.st, "snow", true)
			must(t, err)
			switch {
			case tt.wantRes == "" && len(cs) != 0:
				t.Errorf("conflicts = %+v, want none", cs)
			case tt.wantRes != "" && (len(cs) != 1 || cs[0].Resolution != tt.wantRes):
				t.Errorf("conflicts = %+v, want one %s", cs, tt.wantRes)
			}
			// A second sync changes nothing more.
			e.sync()
			if d := e.device("BME-1"); !tt.wantLocal(d) {
				t.Errorf("after a second sync, local device = %+v", d)
			}
		})
	}
}

func TestPullNeverOverwritesPendingLocalChange(t *testing.T) {
	ctx := context.Background()
	e, id := setup(t)
	e.edit("BME-1", func(d *store.Device) { d.Status = store.StatusInRepair })
	e.fake.Edit(id, snfake.Record{"install_status": "7", "firmware_version": "5.5"})
	if _, err := e.eng.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	d := e.device("BME-1")
	if d.Status != store.StatusInRepair {
		t.Errorf("pull overwrote the pending status: %s", d.Status)
	}
	if d.FirmwareVersion != "5.5" {
		t.Errorf("pull did not apply the untouched field: %q", d.FirmwareVersion)
	}
	if c := e.counts(); c[store.StatePending] != 1 {
		t.Errorf("journal = %v, want the one pending entry", c)
	}
}

func TestResolveConflict(t *testing.T) {
	ctx := context.Background()
	for _, choice := range []sync.Resolution{sync.KeepLocal, sync.KeepServer} {
		t.Run(string(choice), func(t *testing.T) {
			e, id := setup(t)
			e.edit("BME-1", func(d *store.Device) { d.Status = store.StatusInRepair })
			e.fake.Edit(id, snfake.Record{"install_status": "7"})
			e.sync()
			cs, _ := sync.Conflicts(ctx, e.st, "snow", false)
			if len(cs) != 1 || cs[0].Local != "in_repair" || cs[0].Server != "retired" || cs[0].Base != "in_service" {
				t.Fatalf("conflicts = %+v", cs)
			}
			st, _ := sync.ReadStatus(ctx, e.st, "snow")
			if st.OpenConflicts != 1 {
				t.Errorf("status = %+v", st)
			}
			must(t, sync.Resolve(ctx, e.st, "snow", cs[0].ID, choice, "alice", time.Now()))
			if err := sync.Resolve(ctx, e.st, "snow", cs[0].ID, choice, "alice", time.Now()); !errors.Is(err, sync.ErrNoConflict) {
				t.Errorf("second resolve: %v", err)
			}
			e.sync()
			want, code := "in_repair", "3"
			if choice == sync.KeepServer {
				want, code = "retired", "7"
			}
			if d := e.device("BME-1"); string(d.Status) != want {
				t.Errorf("local status = %s, want %s", d.Status, want)
			}
			if r, _ := e.fake.Get(id); r["install_status"] != code {
				t.Errorf("server install_status = %s, want %s", r["install_status"], code)
			}
			if c := e.counts(); c[store.StatePending]+c[store.StateInFlight] != 0 {
				t.Errorf("journal = %v", c)
			}
			st, _ = sync.ReadStatus(ctx, e.st, "snow")
			if st.OpenConflicts != 0 || st.Undelivered != 0 {
				t.Errorf("status after resolution = %+v", st)
			}
		})
	}
}

func TestResolveLocalReopensWhenServerMovedAgain(t *testing.T) {
	ctx := context.Background()
	e, id := setup(t)
	e.edit("BME-1", func(d *store.Device) { d.Status = store.StatusInRepair })
	e.fake.Edit(id, snfake.Record{"install_status": "7"})
	e.sync()
	cs, _ := sync.Conflicts(ctx, e.st, "snow", false)
	must(t, sync.Resolve(ctx, e.st, "snow", cs[0].ID, sync.KeepLocal, "alice", time.Now()))
	e.fake.Edit(id, snfake.Record{"install_status": "100"})
	e.sync()
	if r, _ := e.fake.Get(id); r["install_status"] != "100" {
		t.Fatalf("a value nobody saw was overwritten: %v", r["install_status"])
	}
	cs, _ = sync.Conflicts(ctx, e.st, "snow", false)
	if len(cs) != 1 || cs[0].Server != "missing" || cs[0].Local != "in_repair" {
		t.Fatalf("conflict not reopened with the new server value: %+v", cs)
	}
}

func TestInflightAfterCrashIsResentWithSameID(t *testing.T) {
	ctx := context.Background()
	e, _ := setup(t)
	e.edit("BME-1", func(d *store.Device) { d.FirmwareVersion = "7.0" })
	es, _ := e.st.Outbox(ctx, 0)
	// A crash after marking in flight (and after the server committed).
	must(t, e.st.SetStates(ctx, []store.Transition{{Seq: es[0].Seq, State: store.StateInFlight}}))
	e.fake.Inject(fault.DropAfterCommit)
	e.sync()
	after, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
	last := after[len(after)-1]
	if last.IdempotencyID != es[0].IdempotencyID || last.State != store.StateAcked || last.Attempts < 2 {
		t.Fatalf("entry = %+v", last)
	}
	if n := len(e.byTag("BME-1")); n != 1 {
		t.Fatalf("%d records for BME-1", n)
	}
}

func TestNotesAppendedOnce(t *testing.T) {
	ctx := context.Background()
	e, id := setup(t)
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error { return w.AddNote("BME-1", "cracked housing") }))
	// The first answer is lost after the commit: the retry must not append
	// the note a second time.
	e.fake.Inject(fault.DropAfterCommit)
	e.sync()
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error { return w.AddNote("BME-1", "label replaced") }))
	e.sync()
	r, _ := e.fake.Get(id)
	if strings.Count(r["comments"], "cracked housing") != 1 || strings.Count(r["comments"], "label replaced") != 1 {
		t.Fatalf("comments = %q", r["comments"])
	}
}
