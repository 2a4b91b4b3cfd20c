package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// TestRandomizedConvergenceSnipeIT is the randomized test against the
// Snipe-IT fake, where creates and audits are not idempotent: besides the
// four properties of the ServiceNow run it checks that no audit was
// recorded twice and that every audited device was audited.
// ROUNDS_SNIPE_SEEDS and ROUNDS_SNIPE_ROUNDS scale it (default 2 x 60,
// 1 x 60 under -race).
func TestRandomizedConvergenceSnipeIT(t *testing.T) {
	seeds, rounds := envInt("ROUNDS_SNIPE_SEEDS", 2), envInt("ROUNDS_SNIPE_ROUNDS", 60)
	if raceEnabled {
		seeds = envInt("ROUNDS_SNIPE_SEEDS", 1)
	}
	if testing.Short() {
		seeds, rounds = envInt("ROUNDS_SNIPE_SEEDS", 1), envInt("ROUNDS_SNIPE_ROUNDS", 20)
	}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) { runSnipeSim(t, uint64(seed), rounds) })
	}
}

const firmwareCol = "_snipeit_firmware_2"

type snipeSim struct {
	sim
	fake *snipefake.Server
}

func runSnipeSim(t *testing.T, seed uint64, rounds int) {
	ctx := context.Background()
	s := &snipeSim{sim: sim{t: t, rng: rand.New(rand.NewPCG(seed, 0x5141e)), stats: map[string]int{}}, fake: snipefake.New()}
	s.fake.Token, s.fake.PerMinute, s.fake.SlowDelay = "tok", -1, 60*time.Millisecond
	srv := s.fake.Start()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	var err error
	s.client, err = transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Bearer(secret.New("tok")),
		RoundTripper: tr, MaxAttempts: 3, Timeout: 40 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := snipeit.New(snipeit.Config{Client: s.client, PageSize: 4, OpsPerCall: 3,
		Fields: map[string]string{sync.FieldFirmware: firmwareCol}})
	if err != nil {
		t.Fatal(err)
	}
	s.st, err = store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.st.Close()
	s.eng = &sync.Engine{Store: s.st, Target: "snipe", Conn: conn, Actor: "sim", Concurrency: 2}
	s.fake.AddModel("BD", "Alaris 8015")
	for i := 0; i < 8; i++ {
		s.centralCreate()
	}
	s.fake.FaultFunc = func(r *http.Request) snipefake.Fault {
		if !s.faults.Load() {
			return snipefake.NoFault
		}
		if s.chance(0.02) {
			s.mu.Lock()
			cancel := s.cancel
			s.mu.Unlock()
			if cancel != nil {
				s.count("crashes")
				cancel()
			}
		}
		if !s.chance(0.2) {
			return snipefake.NoFault
		}
		s.count("faults")
		fs := []snipefake.Fault{snipefake.Throttle, snipefake.Unavailable, snipefake.InternalError,
			snipefake.DropAfterCommit, snipefake.Malformed, snipefake.Slow}
		return fs[s.intn(len(fs))]
	}
	s.fake.BeforeList = func() {
		if s.edits.Load() && s.chance(0.3) {
			s.centralEdit()
		}
	}
	s.faults.Store(true)
	s.edits.Store(true)
	for r := 0; r < rounds; r++ {
		for k := s.intn(3); k > 0; k-- {
			s.localEdit()
		}
		if s.chance(0.3) {
			s.centralEdit()
		}
		if s.chance(0.05) {
			s.centralCreate()
		}
		if s.chance(0.05) {
			s.localCreate()
		}
		s.syncOnce(ctx)
		s.fake.Drain()
		if s.chance(0.3) {
			s.resolveSome(ctx, 1, "snipe")
		}
	}
	s.faults.Store(false)
	s.edits.Store(false)
	settled := false
	for i := 0; i < 20 && !settled; i++ {
		s.resolveSome(ctx, 1000, "snipe")
		if _, _, err := s.eng.Sync(ctx, true, true); err != nil {
			t.Fatalf("settling sync %d: %v", i, err)
		}
		st, _ := sync.ReadStatus(ctx, s.st, "snipe")
		settled = st.Queued == 0 && st.OpenConflicts == 0 && st.Undelivered == 0
	}
	if !settled {
		st, _ := sync.ReadStatus(ctx, s.st, "snipe")
		t.Fatalf("not settled after 20 quiet rounds: %+v", st)
	}
	s.check(ctx)
	t.Logf("seed %d: %v", seed, s.stats)
}

func (s *snipeSim) location(prefix string) string {
	name := "B/1/" + s.next(prefix)
	s.fake.AddLocation(name)
	return name
}

var labels = []string{"Ready to Deploy", "Out for Repair", "Lost/Stolen", "Archived"}

func (s *snipeSim) centralCreate() {
	tag := s.next("C-")
	loc := s.location("c")
	s.fake.Put(snipefake.Asset{Tag: tag, Serial: "S" + tag, ModelID: s.modelID(), StatusID: s.fake.StatusID("Ready to Deploy"),
		LocationID: s.fake.LocationID(loc), Custom: map[string]string{firmwareCol: s.next("c")}})
}

func (s *snipeSim) modelID() int {
	for _, a := range s.fake.Assets() {
		return a.ModelID
	}
	return s.fake.AddModel("BD", "Alaris 8015")
}

func (s *snipeSim) centralEdit() {
	as := s.fake.Assets()
	if len(as) == 0 {
		return
	}
	a := as[s.intn(len(as))]
	var f map[string]string
	switch s.intn(5) {
	case 0:
		f = map[string]string{"serial": s.next("c")}
	case 1:
		f = map[string]string{"status_id": strconv.Itoa(s.fake.StatusID(labels[s.intn(4)]))}
	case 2:
		f = map[string]string{"location_id": strconv.Itoa(s.fake.LocationID(s.location("c")))}
	case 3:
		f = map[string]string{firmwareCol: s.next("c")}
	case 4:
		n := a.Notes
		if n != "" {
			n += "\n"
		}
		f = map[string]string{"notes": n + "central " + s.next("c")}
	}
	s.fake.Edit(a.ID, f)
	s.count("central edits")
}

func (s *snipeSim) localEdit() {
	ds := s.devices()
	if len(ds) == 0 {
		return
	}
	d := ds[s.intn(len(ds))]
	kind := s.intn(6)
	var loc string
	if kind == 2 || kind == 5 {
		loc = s.location("l")
	}
	err := s.st.Write(context.Background(), "tech", func(w *store.Writer) error {
		if kind == 4 {
			return w.AddNote(d.AssetTag, "note "+s.next("l"))
		}
		op := store.OpUpdate
		if kind == 5 {
			op = store.OpAudit
		}
		_, err := w.UpdateDevice(d.AssetTag, op, func(d *store.Device) error {
			switch kind {
			case 0:
				d.Serial = s.next("l")
			case 1:
				d.Status = []store.Status{store.StatusInService, store.StatusInRepair, store.StatusRetired, store.StatusMissing}[s.intn(4)]
			case 2:
				d.LocationKey = loc
			case 3:
				d.FirmwareVersion = s.next("l")
			case 5:
				d.LocationKey = loc
				d.LastAudited = time.Now().UTC()
			}
			return nil
		})
		return err
	})
	if err != nil {
		s.t.Fatalf("local edit: %v", err)
	}
	s.count("local edits")
}

func (s *snipeSim) localCreate() {
	tag := s.next("L-")
	loc := s.location("l")
	err := s.st.Write(context.Background(), "tech", func(w *store.Writer) error {
		_, err := w.PutDevice(store.Device{AssetTag: tag, Serial: "S" + tag, LocationKey: loc, FirmwareVersion: s.next("l"),
			Manufacturer: "BD", Model: "Alaris 8015"})
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
}

func (s *snipeSim) columns() []column {
	labelStatus := func(id string) string {
		n, _ := strconv.Atoi(id)
		for st, l := range snipeit.DefaultStatus {
			if s.fake.StatusID(l) == n {
				return st
			}
		}
		return ""
	}
	locName := func(id string) string { n, _ := strconv.Atoi(id); return s.fake.LocationName(n) }
	same := func(v string) string { return v }
	return []column{
		{sync.FieldSerial, "serial", same},
		{sync.FieldStatus, "status_id", labelStatus},
		{sync.FieldLocation, "location_id", locName},
		{sync.FieldFirmware, firmwareCol, same},
	}
}

func (s *snipeSim) check(ctx context.Context) {
	t := s.t
	byTag := map[string]snipefake.Asset{}
	for _, a := range s.fake.Assets() {
		if _, dup := byTag[a.Tag]; dup {
			t.Errorf("duplicate asset for %s", a.Tag)
		}
		byTag[a.Tag] = a
	}
	journal, _ := s.st.Journal(ctx, store.JournalQuery{})
	conflicts, _ := sync.Conflicts(ctx, s.st, "snipe", true)
	audits := map[string]int{}
	for _, e := range journal {
		if e.State != store.StateAcked && e.State != store.StateConflict {
			t.Errorf("entry %d (%s %s) ended %s: %s", e.Seq, e.AssetTag, e.Op, e.State, e.LastError)
		}
		if e.Op == store.OpAudit {
			audits[e.AssetTag]++
		}
	}
	for tag, n := range audits {
		if a := byTag[tag]; a.Audits == 0 || a.Audits > n {
			t.Errorf("%s: %d audits recorded for %d local audits", tag, a.Audits, n)
		}
	}
	devs := s.devices()
	if len(devs) != len(byTag) {
		t.Errorf("%d local devices, %d assets", len(devs), len(byTag))
	}
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
	for _, d := range devs {
		a, ok := byTag[d.AssetTag]
		if !ok {
			t.Errorf("%s is not on the server", d.AssetTag)
			continue
		}
		local := sync.DeviceFields(d)
		for _, c := range s.columns() {
			if got := c.canon(field(a, c.col)); got != local[c.field] {
				t.Errorf("%s %s: local %q, server %q", d.AssetTag, c.field, local[c.field], got)
			}
		}
	}
	type key struct{ tag, field string }
	changes := map[key][]store.Change{}
	for _, e := range journal {
		for _, c := range e.Changes {
			changes[key{e.AssetTag, c.Field}] = append(changes[key{e.AssetTag, c.Field}], c)
		}
	}
	has := func(tag, field string, match func(sync.Conflict) bool) bool {
		for _, c := range conflicts {
			if c.AssetTag == tag && c.Field == field && match(c) {
				return true
			}
		}
		return false
	}
	for _, c := range s.columns() {
		for k, chs := range changes {
			if k.field != c.field {
				continue
			}
			hist := s.fake.History(byTag[k.tag].ID, c.col)
			for i, ch := range chs {
				delivered := false
				for _, w := range hist {
					if c.canon(w.Value) == ch.New {
						delivered = true
					}
				}
				superseded := false
				for _, n := range chs[i+1:] {
					if n.Old == ch.New {
						superseded = true
					}
				}
				lost := has(k.tag, k.field, func(x sync.Conflict) bool {
					return x.Local == ch.New && (x.Resolution == sync.KeepServer || x.Resolution == sync.AutoServer)
				})
				if !delivered && !superseded && !lost {
					t.Errorf("lost change: %s %s %q -> %q", k.tag, k.field, ch.Old, ch.New)
				}
			}
		}
	}
	for tag, a := range byTag {
		for _, c := range s.columns() {
			hist := s.fake.History(a.ID, c.col)
			for i := 1; i < len(hist); i++ {
				prev, cur := hist[i-1], hist[i]
				if cur.By != "api" || prev.By != "central" || prev.Value == cur.Value {
					continue
				}
				seen := c.canon(prev.Value)
				knew := false
				for _, ch := range changes[key{tag, c.field}] {
					if ch.Old == seen {
						knew = true
					}
				}
				if !knew && !has(tag, c.field, func(x sync.Conflict) bool {
					return x.Server == seen && (x.Resolution == sync.KeepLocal || x.Resolution == sync.AutoLocal)
				}) {
					t.Errorf("silent overwrite: %s %s: central %q replaced by %q", tag, c.field, seen, c.canon(cur.Value))
				}
			}
		}
		for _, line := range strings.Split(a.Notes, "\n") {
			if line != "" && strings.Count(a.Notes, line) != 1 {
				t.Errorf("%s: note line repeated: %q", tag, line)
			}
		}
	}
	for _, e := range journal {
		if e.Op == store.OpNote {
			if n := strings.Count(byTag[e.AssetTag].Notes, "[rounds:"+e.IdempotencyID+"]"); n != 1 {
				t.Errorf("%s: note %s delivered %d times", e.AssetTag, e.IdempotencyID, n)
			}
		}
	}
}
