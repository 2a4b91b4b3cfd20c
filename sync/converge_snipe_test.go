package sync_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/synctest"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// TestRandomizedConvergenceSnipeIT is the randomized test against the
// Snipe-IT fake, where creates and audits are not idempotent: besides the
// properties synctest checks for every connector it checks that no audit
// was recorded twice and that every audited device was audited.
// ROUNDS_SNIPE_SEEDS and ROUNDS_SNIPE_ROUNDS scale it (default 2 x 60,
// 1 x 60 under -race, 1 x 20 with -short).
func TestRandomizedConvergenceSnipeIT(t *testing.T) {
	seeds, rounds := synctest.EnvInt("ROUNDS_SNIPE_SEEDS", 2), synctest.EnvInt("ROUNDS_SNIPE_ROUNDS", 60)
	if raceEnabled {
		seeds = synctest.EnvInt("ROUNDS_SNIPE_SEEDS", 1)
	}
	if testing.Short() {
		seeds, rounds = synctest.EnvInt("ROUNDS_SNIPE_SEEDS", 1), synctest.EnvInt("ROUNDS_SNIPE_ROUNDS", 20)
	}
	synctest.Seeds(t, seeds, func(t *testing.T, seed uint64) map[string]int {
		st := runSnipeSim(t, synctest.Params{Seed: seed, Stream: 0x5141e, Rounds: rounds, Initial: 8})
		t.Logf("seed %d: %v", seed, st)
		return st
	})
}

const firmwareCol = "_snipeit_firmware_2"

var labels = []string{"Ready to Deploy", "Out for Repair", "Lost/Stolen", "Archived"}

// snipeFaults are the faults the Snipe-IT fake can inject.
var snipeFaults = []fault.Kind{fault.Throttle, fault.Unavailable, fault.InternalError,
	fault.DropAfterCommit, fault.Malformed, fault.Slow}

func runSnipeSim(t *testing.T, p synctest.Params) map[string]int {
	s := synctest.NewSim(t, p)
	fake := snipefake.New()
	fake.Token, fake.PerMinute, fake.SlowDelay = "tok", -1, 60*time.Millisecond
	srv := fake.Start()
	// Closed after the client drops its idle connections (cleanups run
	// last in, first out).
	t.Cleanup(srv.Close)
	client := synctest.Client(t, transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Bearer(secret.New("tok")),
		MaxAttempts: 3, Timeout: 40 * time.Millisecond})
	conn, err := snipeit.New(snipeit.Config{Client: client, PageSize: 4, OpsPerCall: 3,
		Fields: map[string]string{sync.FieldFirmware: firmwareCol}})
	if err != nil {
		t.Fatal(err)
	}
	model := fake.AddModel("BD", "Alaris 8015")
	id := func(s string) int { n, _ := strconv.Atoi(s); return n }
	field := func(a snipefake.Asset, col string) string {
		switch col {
		case "serial":
			return a.Serial
		case "status_id":
			return strconv.Itoa(a.StatusID)
		case "location_id":
			return strconv.Itoa(a.LocationID)
		}
		return a.Custom[col]
	}
	centralEdit := func(s *synctest.Sim) {
		as := fake.Assets()
		if len(as) == 0 {
			return
		}
		a := as[s.Intn(len(as))]
		var f map[string]string
		switch s.Intn(5) {
		case 0:
			f = map[string]string{"serial": s.Next("c")}
		case 1:
			f = map[string]string{"status_id": strconv.Itoa(fake.StatusID(labels[s.Intn(4)]))}
		case 2:
			f = map[string]string{"location_id": strconv.Itoa(fake.LocationID(s.Location("c")))}
		case 3:
			f = map[string]string{firmwareCol: s.Next("c")}
		case 4:
			n := a.Notes
			if n != "" {
				n += "\n"
			}
			f = map[string]string{"notes": n + "central " + s.Next("c")}
		}
		fake.Edit(a.ID, f)
		s.Count("central edits")
	}
	s.B = &synctest.Backend{
		Target:   "snipe",
		Laptop:   "api",
		Engine:   &sync.Engine{Store: s.Store, Target: "snipe", Conn: conn, Actor: "sim", Concurrency: 2},
		Drain:    fake.Drain,
		Location: func(name string) { fake.AddLocation(name) },
		CentralCreate: func(s *synctest.Sim) {
			tag := s.Next("C-")
			loc := s.Location("c")
			fake.Put(snipefake.Asset{Tag: tag, Serial: "S" + tag, ModelID: model, StatusID: fake.StatusID("Ready to Deploy"),
				LocationID: fake.LocationID(loc), Custom: map[string]string{firmwareCol: s.Next("c")}})
			s.Count("central creates")
		},
		CentralEdit: centralEdit,
		LocalEdits: []func(*synctest.Sim, *store.Device){
			func(s *synctest.Sim, d *store.Device) { d.Serial = s.Next("l") },
			synctest.EditStatus,
			synctest.EditLocation,
			synctest.EditFirmware,
		},
		Columns: func() []synctest.Column {
			labelStatus := func(v string) string {
				for st, l := range snipeit.DefaultStatus {
					if fake.StatusID(l) == id(v) {
						return st
					}
				}
				return ""
			}
			same := func(v string) string { return v }
			return []synctest.Column{
				{Field: sync.FieldSerial, Col: "serial", Canon: same},
				{Field: sync.FieldStatus, Col: "status_id", Canon: labelStatus},
				{Field: sync.FieldLocation, Col: "location_id", Canon: func(v string) string { return fake.LocationName(id(v)) }},
				{Field: sync.FieldFirmware, Col: firmwareCol, Canon: same},
			}
		},
		Records: func() []synctest.Record {
			var out []synctest.Record
			for _, a := range fake.Assets() {
				out = append(out, synctest.Record{Tag: a.Tag, ID: strconv.Itoa(a.ID), Notes: a.Notes,
					Get: func(col string) string { return field(a, col) }})
			}
			return out
		},
		History: func(rid, col string) []synctest.Write {
			var out []synctest.Write
			for _, w := range fake.History(id(rid), col) {
				out = append(out, synctest.Write{Value: w.Value, By: w.By})
			}
			return out
		},
		NotesCol: "notes",
		NoteMark: func(e store.Entry) string { return "[rounds:" + e.IdempotencyID + "]" },
		// Creates and audits are not idempotent in Snipe-IT: every
		// audited device was audited, never more often than locally.
		Check: func(s *synctest.Sim, journal []store.Entry, _ map[string]synctest.Record) {
			audits := map[string]int{}
			for _, e := range journal {
				if e.Op == store.OpAudit {
					audits[e.AssetTag]++
				}
			}
			byTag := map[string]snipefake.Asset{}
			for _, a := range fake.Assets() {
				byTag[a.Tag] = a
			}
			for tag, n := range audits {
				if a := byTag[tag]; a.Audits == 0 || a.Audits > n {
					s.T.Errorf("%s: %d audits recorded for %d local audits", tag, a.Audits, n)
				}
			}
		},
		Requests: func() int { return fake.Stats().Requests },
	}
	fake.FaultFunc = func(*http.Request) fault.Kind {
		if i := s.Fault(0.2, len(snipeFaults)); i >= 0 {
			return snipeFaults[i]
		}
		return fault.None
	}
	fake.BeforeList = func() {
		if s.Editing() && s.Chance(0.3) {
			centralEdit(s)
		}
	}
	return s.Run(p)
}
