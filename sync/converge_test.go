package sync_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/synctest"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The randomized convergence test: many sync rounds against the fake
// ServiceNow with random faults (throttling, 5xx, answers lost after the
// commit, truncated JSON, partial batches, per-item errors, slow answers),
// crashes in the middle of a sync, local edits between rounds and central
// edits landing at random points of the pulls. At the end, with faults
// off, a few rounds settle everything, and synctest checks no duplicate
// record, no lost change, no silent overwrite and convergence (see
// synctest.Sim.Run).
//
// Concurrent central edits are made while a pull runs (before each page is
// served); the push reads the records it writes again right before
// merging. Two races remain that neither API lets a client close, for want
// of conditional writes, and the model leaves out: a central edit landing
// in the one round trip between that read and the write, and a write sent
// before a crash that the server carries out after a later central edit
// (crashed syncs are drained before the next round). docs/sync.md says so.
//
// ROUNDS_SYNC_SEEDS sets the number of seeds (default 3, 2 under -race,
// 1 with -short),
// ROUNDS_SYNC_ROUNDS the rounds per seed (default 80; 40 with -short).

const laptop = "svc_rounds"

var codeStatus = map[string]string{"1": "in_service", "3": "in_repair", "7": "retired", "100": "missing"}

func TestRandomizedConvergence(t *testing.T) {
	seeds, rounds := synctest.EnvInt("ROUNDS_SYNC_SEEDS", 3), synctest.EnvInt("ROUNDS_SYNC_ROUNDS", 80)
	if raceEnabled {
		seeds = synctest.EnvInt("ROUNDS_SYNC_SEEDS", 2)
	}
	if testing.Short() {
		seeds, rounds = synctest.EnvInt("ROUNDS_SYNC_SEEDS", 1), synctest.EnvInt("ROUNDS_SYNC_ROUNDS", 40)
	}
	total := synctest.Seeds(t, seeds, func(t *testing.T, seed uint64) map[string]int {
		return runSNSim(t, synctest.Params{Seed: seed, Stream: 0x5eed, Rounds: rounds, Initial: 10})
	})
	t.Logf("totals over %d seeds x %d rounds: %v", seeds, rounds, total)
	if !testing.Short() {
		synctest.RequireExercised(t, total, "faults", "central edits", "local edits", "crashes", "sync errors")
	}
}

// snFaults are the faults the ServiceNow fake can inject.
var snFaults = []fault.Kind{fault.Throttle, fault.Unavailable, fault.InternalError, fault.DropAfterCommit,
	fault.Malformed, fault.PartialBatch, fault.ItemError, fault.Slow}

func runSNSim(t *testing.T, p synctest.Params) map[string]int {
	s := synctest.NewSim(t, p)
	fake := snfake.New()
	fake.User, fake.Password = laptop, "pw-"+strconv.FormatUint(p.Seed, 10)
	fake.SlowDelay = 60 * time.Millisecond
	srv := fake.Start()
	// Closed after the client drops its idle connections (cleanups run
	// last in, first out).
	t.Cleanup(srv.Close)
	client := synctest.Client(t, transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true,
		Auth: transport.Basic(laptop, secret.New(fake.Password)), MaxAttempts: 3, Timeout: 40 * time.Millisecond})
	// last_seen goes to a custom column: the IRE stamps last_discovered
	// on every item (snfake does too), so it cannot carry it.
	fields := map[string]string{}
	for k, v := range servicenow.DefaultFields {
		fields[k] = v
	}
	fields[sync.FieldLastSeen] = "u_rounds_last_seen"
	conn, err := servicenow.New(servicenow.Config{Client: client, PageSize: 4, ItemsPerPayload: 2, PayloadsPerBatch: 2, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	location := func(name string) { fake.Put("cmn_location", snfake.Record{"name": name}) }
	locationID := func(name string) string {
		for _, r := range fake.All("cmn_location") {
			if r["name"] == name {
				return r["sys_id"]
			}
		}
		t.Fatalf("no location %s", name)
		return ""
	}
	name := func(table string) func(string) string {
		return func(id string) string { return fake.Name(table, id) }
	}
	centralEdit := func(s *synctest.Sim) {
		cis := fake.All("cmdb_ci_med_device")
		if len(cis) == 0 {
			return
		}
		ci := cis[s.Intn(len(cis))]
		var f snfake.Record
		switch s.Intn(5) {
		case 0:
			f = snfake.Record{"firmware_version": s.Next("c")}
		case 1:
			f = snfake.Record{"install_status": []string{"1", "3", "7", "100"}[s.Intn(4)]}
		case 2:
			f = snfake.Record{"location": locationID(s.Location("c"))}
		case 3:
			f = snfake.Record{"model_id": []string{"model-Alaris8015", "model-Alaris8100"}[s.Intn(2)]}
		case 4:
			c := ci["comments"]
			if c != "" {
				c += "\n"
			}
			f = snfake.Record{"comments": c + "central " + s.Next("c")}
		}
		fake.Edit(ci["sys_id"], f)
		s.Count("central edits")
	}
	s.B = &synctest.Backend{
		Target:   "snow",
		Laptop:   laptop,
		Engine:   &sync.Engine{Store: s.Store, Target: "snow", Conn: conn, Actor: "sim", Concurrency: 2},
		Drain:    fake.Drain,
		Location: location,
		CentralCreate: func(s *synctest.Sim) {
			tag := s.Next("C-")
			fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": tag, "name": tag, "serial_number": "S" + tag,
				"install_status": "1", "firmware_version": s.Next("c"), "location": locationID(s.Location("c")),
				"model_id": "model-Alaris8015", "manufacturer": "company-bd"})
			s.Count("central creates")
		},
		CentralEdit: centralEdit,
		LocalEdits: []func(*synctest.Sim, *store.Device){
			synctest.EditFirmware,
			synctest.EditStatus,
			synctest.EditLocation,
			func(_ *synctest.Sim, d *store.Device) {
				if d.Model == "Alaris 8015" {
					d.Model = "Alaris 8100"
				} else {
					d.Manufacturer, d.Model = "BD", "Alaris 8015"
				}
			},
			func(s *synctest.Sim, d *store.Device) {
				d.LastSeen = time.Now().UTC().Add(time.Duration(s.Intn(1e6)) * time.Second)
			},
		},
		Columns: func() []synctest.Column {
			return []synctest.Column{
				{Field: sync.FieldFirmware, Col: "firmware_version", Canon: func(v string) string { return v }},
				{Field: sync.FieldStatus, Col: "install_status", Canon: func(v string) string { return codeStatus[v] }},
				{Field: sync.FieldLocation, Col: "location", Canon: name("cmn_location")},
				{Field: sync.FieldModel, Col: "model_id", Canon: name("cmdb_model")},
			}
		},
		Records: func() []synctest.Record {
			var out []synctest.Record
			for _, ci := range fake.All("cmdb_ci_med_device") {
				out = append(out, synctest.Record{Tag: ci["asset_tag"], ID: ci["sys_id"], Notes: ci["comments"],
					Get: func(col string) string { return ci[col] }})
			}
			return out
		},
		History: func(id, col string) []synctest.Write {
			var out []synctest.Write
			for _, w := range fake.History(id, col) {
				out = append(out, synctest.Write{Value: w.Value, By: w.By})
			}
			return out
		},
		NotesCol: "comments",
		NoteMark: func(e store.Entry) string { return e.Changes[0].New + " [rounds:" + e.IdempotencyID + "]" },
		Check: func(s *synctest.Sim, _ []store.Entry, byTag map[string]synctest.Record) {
			for _, d := range s.Devices() {
				got := byTag[d.AssetTag].Get("u_rounds_last_seen")
				if want := d.LastSeen; !want.IsZero() && got != want.UTC().Format("2006-01-02 15:04:05") {
					s.T.Errorf("%s last_seen: local %v, server %q", d.AssetTag, want, got)
				}
			}
		},
		Requests: func() int { return fake.Stats().Requests },
	}
	fake.Put("core_company", snfake.Record{"name": "BD", "sys_id": "company-bd"})
	for _, m := range []string{"Alaris 8015", "Alaris 8100"} {
		fake.Put("cmdb_model", snfake.Record{"name": m, "sys_id": "model-" + strings.ReplaceAll(m, " ", "")})
	}
	fake.FaultFunc = func(*http.Request) fault.Kind {
		if i := s.Fault(0.25, len(snFaults)); i >= 0 {
			return snFaults[i]
		}
		return fault.None
	}
	fake.BeforeList = func(table, q string) {
		if s.Editing() && table == "cmdb_ci_med_device" && strings.Contains(q, "sys_updated_on") && s.Chance(0.3) {
			centralEdit(s)
		}
	}
	return s.Run(p)
}
