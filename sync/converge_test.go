package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/servicenow/snfake"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// The randomized convergence test: many sync rounds against the fake
// ServiceNow with random faults (throttling, 5xx, answers lost after the
// commit, truncated JSON, partial batches, per-item errors, slow answers),
// crashes in the middle of a sync, local edits between rounds and central
// edits landing at random points of the pulls. At the end, with faults
// off, a few rounds settle everything, and the test checks:
//
//   - no duplicate record: one CI per asset tag;
//   - no lost change: every local change reached the server, or was
//     superseded by a later local change made from it, or lost a
//     recorded conflict or ownership decision;
//   - no silent overwrite: whenever the laptop replaced a value written
//     centrally, it had seen that value (a local change made from it) or
//     a conflict or ownership decision names it;
//   - convergence: every synced field is equal on both sides, the outbox
//     is empty, no conflict is open.
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

var statusCode = map[store.Status]string{store.StatusInService: "1", store.StatusInRepair: "3",
	store.StatusRetired: "7", store.StatusMissing: "100"}
var codeStatus = map[string]string{"1": "in_service", "3": "in_repair", "7": "retired", "100": "missing"}

type sim struct {
	t      *testing.T
	rng    *rand.Rand
	mu     gosync.Mutex // guards rng for the fault hook
	fake   *snfake.Server
	st     *store.Store
	eng    *sync.Engine
	client *transport.Client
	n      int // unique value counter
	faults atomic.Bool
	edits  atomic.Bool
	cancel context.CancelFunc
	stats  map[string]int
}

func (s *sim) next(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return prefix + strconv.Itoa(s.n)
}

func (s *sim) count(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats[k]++
}

func (s *sim) chance(p float64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

func (s *sim) intn(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.IntN(n)
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func TestRandomizedConvergence(t *testing.T) {
	seeds, rounds := envInt("ROUNDS_SYNC_SEEDS", 3), envInt("ROUNDS_SYNC_ROUNDS", 80)
	if raceEnabled {
		seeds = envInt("ROUNDS_SYNC_SEEDS", 2)
	}
	if testing.Short() {
		seeds, rounds = envInt("ROUNDS_SYNC_SEEDS", 1), envInt("ROUNDS_SYNC_ROUNDS", 40)
	}
	total := map[string]int{}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			st := runSim(t, uint64(seed), rounds)
			for k, v := range st {
				total[k] += v
			}
		})
	}
	t.Logf("totals over %d seeds x %d rounds: %v", seeds, rounds, total)
	// The run must have exercised what it claims to test.
	for _, k := range []string{"faults", "central edits", "local edits", "crashes", "sync errors"} {
		if total[k] == 0 && !testing.Short() {
			t.Errorf("no %s happened: the test proves less than it says", k)
		}
	}
	if total["conflicts"]+total["overrides"] == 0 && !testing.Short() {
		t.Error("no conflict and no ownership decision happened: the test proves less than it says")
	}
}

func runSim(t *testing.T, seed uint64, rounds int) map[string]int {
	ctx := context.Background()
	s := &sim{t: t, rng: rand.New(rand.NewPCG(seed, 0x5eed)), fake: snfake.New(), stats: map[string]int{}}
	s.fake.User, s.fake.Password = laptop, "pw-"+strconv.FormatUint(seed, 10)
	s.fake.SlowDelay = 60 * time.Millisecond
	srv := s.fake.Start()
	defer srv.Close()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	defer tr.CloseIdleConnections()
	var err error
	s.client, err = transport.New(transport.Config{BaseURL: srv.URL, AllowInsecureHTTP: true, Auth: transport.Basic(laptop, secret.New(s.fake.Password)),
		RoundTripper: tr, MaxAttempts: 3, Timeout: 40 * time.Millisecond,
		Sleep: func(ctx context.Context, d time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	// last_seen goes to a custom column: the IRE stamps last_discovered
	// on every item (snfake does too), so it cannot carry it.
	fields := map[string]string{}
	for k, v := range servicenow.DefaultFields {
		fields[k] = v
	}
	fields[sync.FieldLastSeen] = "u_rounds_last_seen"
	conn, err := servicenow.New(servicenow.Config{Client: s.client, PageSize: 4, ItemsPerPayload: 2, PayloadsPerBatch: 2, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	s.st, err = store.Open(ctx, filepath.Join(t.TempDir(), "r.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.st.Close()
	s.eng = &sync.Engine{Store: s.st, Target: "snow", Conn: conn, Actor: "sim", Concurrency: 2}

	s.fake.Put("core_company", snfake.Record{"name": "BD", "sys_id": "company-bd"})
	for _, m := range []string{"Alaris 8015", "Alaris 8100"} {
		s.fake.Put("cmdb_model", snfake.Record{"name": m, "sys_id": "model-" + strings.ReplaceAll(m, " ", "")})
	}
	for i := 0; i < 10; i++ {
		s.centralCreate()
	}
	s.fake.FaultFunc = s.fault
	s.fake.BeforeList = func(table, q string) {
		if s.edits.Load() && table == "cmdb_ci_med_device" && strings.Contains(q, "sys_updated_on") && s.chance(0.3) {
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
		// Requests a sync sent, including those it gave up on (timeouts,
		// a crash), are carried out before the next sync starts (in the
		// field, minutes apart): a write that lands after a later central
		// edit is a delayed write no unconditional API lets a client
		// detect.
		s.fake.Drain()
		if s.chance(0.3) {
			s.resolveSome(ctx, 1)
		}
	}
	// Settle: no faults, no central edits, every conflict resolved.
	s.faults.Store(false)
	s.edits.Store(false)
	settled := false
	for i := 0; i < 20 && !settled; i++ {
		s.resolveSome(ctx, 1000)
		if _, _, err := s.eng.Sync(ctx, true, true); err != nil {
			t.Fatalf("settling sync %d: %v", i, err)
		}
		status, err := sync.ReadStatus(ctx, s.st, "snow")
		if err != nil {
			t.Fatal(err)
		}
		settled = status.Queued == 0 && status.OpenConflicts == 0 && status.Undelivered == 0
	}
	if !settled {
		st, _ := sync.ReadStatus(ctx, s.st, "snow")
		t.Fatalf("not settled after 20 quiet rounds: %+v", st)
	}
	s.check(ctx)
	return s.stats
}

// fault picks a random fault; it also crashes the sync now and then by
// cancelling its context mid-request, like a laptop lid closing.
func (s *sim) fault(r *http.Request) snfake.Fault {
	if !s.faults.Load() {
		return snfake.NoFault
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
	if !s.chance(0.25) {
		return snfake.NoFault
	}
	s.count("faults")
	fs := []snfake.Fault{snfake.Throttle, snfake.Unavailable, snfake.InternalError, snfake.DropAfterCommit,
		snfake.Malformed, snfake.PartialBatch, snfake.ItemError, snfake.Slow}
	return fs[s.intn(len(fs))]
}

func (s *sim) syncOnce(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	_, _, err := s.eng.Sync(ctx, true, true)
	cancel()
	if err != nil {
		s.count("sync errors")
	}

}

func (s *sim) location(prefix string) string {
	name := "B/1/" + s.next(prefix)
	s.fake.Put("cmn_location", snfake.Record{"name": name})
	return name
}

func (s *sim) locationID(name string) string {
	for _, r := range s.fake.All("cmn_location") {
		if r["name"] == name {
			return r["sys_id"]
		}
	}
	s.t.Fatalf("no location %s", name)
	return ""
}

func (s *sim) centralCreate() {
	tag := s.next("C-")
	s.fake.Put("cmdb_ci_med_device", snfake.Record{"asset_tag": tag, "name": tag, "serial_number": "S" + tag,
		"install_status": "1", "firmware_version": s.next("c"), "location": s.locationID(s.location("c")),
		"model_id": "model-Alaris8015", "manufacturer": "company-bd"})
	s.count("central creates")
}

func (s *sim) centralEdit() {
	cis := s.fake.All("cmdb_ci_med_device")
	if len(cis) == 0 {
		return
	}
	ci := cis[s.intn(len(cis))]
	var f snfake.Record
	switch s.intn(5) {
	case 0:
		f = snfake.Record{"firmware_version": s.next("c")}
	case 1:
		f = snfake.Record{"install_status": []string{"1", "3", "7", "100"}[s.intn(4)]}
	case 2:
		f = snfake.Record{"location": s.locationID(s.location("c"))}
	case 3:
		f = snfake.Record{"model_id": []string{"model-Alaris8015", "model-Alaris8100"}[s.intn(2)]}
	case 4:
		c := ci["comments"]
		if c != "" {
			c += "\n"
		}
		f = snfake.Record{"comments": c + "central " + s.next("c")}
	}
	s.fake.Edit(ci["sys_id"], f)
	s.count("central edits")
}

func (s *sim) devices() []store.Device {
	var out []store.Device
	s.st.EachDevice(context.Background(), store.Filter{}, func(d store.Device) error { out = append(out, d); return nil })
	return out
}

func (s *sim) localEdit() {
	ds := s.devices()
	if len(ds) == 0 {
		return
	}
	d := ds[s.intn(len(ds))]
	ctx := context.Background()
	kind := s.intn(7)
	var loc string
	if kind == 2 || kind == 5 {
		loc = s.location("l")
	}
	err := s.st.Write(ctx, "tech", func(w *store.Writer) error {
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
				d.FirmwareVersion = s.next("l")
			case 1:
				d.Status = []store.Status{store.StatusInService, store.StatusInRepair, store.StatusRetired, store.StatusMissing}[s.intn(4)]
			case 2:
				d.LocationKey = loc
			case 3:
				if d.Model == "Alaris 8015" {
					d.Model = "Alaris 8100"
				} else {
					d.Manufacturer, d.Model = "BD", "Alaris 8015"
				}
			case 5:
				d.LocationKey = loc
				d.LastAudited = time.Now().UTC()
			case 6:
				d.LastSeen = time.Now().UTC().Add(time.Duration(s.intn(1e6)) * time.Second)
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

func (s *sim) localCreate() {
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
	s.count("local creates")
}

func (s *sim) resolveSome(ctx context.Context, n int, target ...string) {
	tgt := "snow"
	if len(target) > 0 {
		tgt = target[0]
	}
	cs, err := sync.Conflicts(ctx, s.st, tgt, false)
	if err != nil {
		s.t.Fatal(err)
	}
	for i, c := range cs {
		if i >= n {
			return
		}
		choice := sync.KeepLocal
		if s.intn(2) == 0 {
			choice = sync.KeepServer
		}
		if err := sync.Resolve(ctx, s.st, tgt, c.ID, choice, "alice", time.Now()); err != nil &&
			!strings.Contains(err.Error(), "newer local change") {
			s.t.Fatalf("resolve: %v", err)
		}
	}
}

// column maps a checked canonical field to its server column and a
// function from server values to canonical ones.
type column struct {
	field, col string
	canon      func(string) string
}

func (s *sim) columns() []column {
	name := func(table string) func(string) string {
		return func(id string) string { return s.fake.Name(table, id) }
	}
	return []column{
		{sync.FieldFirmware, "firmware_version", func(v string) string { return v }},
		{sync.FieldStatus, "install_status", func(v string) string { return codeStatus[v] }},
		{sync.FieldLocation, "location", name("cmn_location")},
		{sync.FieldModel, "model_id", name("cmdb_model")},
	}
}

func (s *sim) check(ctx context.Context) {
	t := s.t
	cis := s.fake.All("cmdb_ci_med_device")
	byTag := map[string]snfake.Record{}
	for _, ci := range cis {
		if _, dup := byTag[ci["asset_tag"]]; dup {
			t.Errorf("duplicate record for %s", ci["asset_tag"])
		}
		byTag[ci["asset_tag"]] = ci
	}
	journal, err := s.st.Journal(ctx, store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	conflicts, err := sync.Conflicts(ctx, s.st, "snow", true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conflicts {
		if c.Resolution == sync.AutoLocal || c.Resolution == sync.AutoServer {
			s.count("overrides")
		} else {
			s.count("conflicts")
		}
	}
	for _, e := range journal {
		if e.State != store.StateAcked && e.State != store.StateConflict {
			t.Errorf("entry %d (%s %s) ended %s: %s", e.Seq, e.AssetTag, e.Op, e.State, e.LastError)
		}
	}
	// Convergence.
	devs := s.devices()
	if len(devs) != len(cis) {
		t.Errorf("%d local devices, %d server records", len(devs), len(cis))
	}
	for _, d := range devs {
		ci, ok := byTag[d.AssetTag]
		if !ok {
			t.Errorf("%s is not on the server", d.AssetTag)
			continue
		}
		local := sync.DeviceFields(d)
		for _, c := range s.columns() {
			if got := c.canon(ci[c.col]); got != local[c.field] {
				t.Errorf("%s %s: local %q, server %q", d.AssetTag, c.field, local[c.field], got)
			}
		}
		if want := d.LastSeen; !want.IsZero() && ci["u_rounds_last_seen"] != want.UTC().Format("2006-01-02 15:04:05") {
			t.Errorf("%s last_seen: local %v, server %q", d.AssetTag, want, ci["u_rounds_last_seen"])
		}
	}
	// No lost change.
	type key struct{ tag, field string }
	later := map[key][]store.Change{}
	for _, e := range journal {
		for _, c := range e.Changes {
			later[key{e.AssetTag, c.Field}] = append(later[key{e.AssetTag, c.Field}], c)
		}
	}
	conflictWith := func(tag, field string, match func(sync.Conflict) bool) bool {
		for _, c := range conflicts {
			if c.AssetTag == tag && c.Field == field && match(c) {
				return true
			}
		}
		return false
	}
	for _, c := range s.columns() {
		for k, changes := range later {
			if k.field != c.field {
				continue
			}
			ci := byTag[k.tag]
			hist := s.fake.History(ci["sys_id"], c.col)
			for i, ch := range changes {
				delivered := false
				for _, w := range hist {
					if c.canon(w.Value) == ch.New {
						delivered = true
					}
				}
				superseded := false
				for _, n := range changes[i+1:] {
					if n.Old == ch.New {
						superseded = true
					}
				}
				lost := conflictWith(k.tag, k.field, func(x sync.Conflict) bool {
					return x.Local == ch.New && (x.Resolution == sync.KeepServer || x.Resolution == sync.AutoServer)
				})
				if !delivered && !superseded && !lost {
					t.Errorf("lost change: %s %s %q -> %q", k.tag, k.field, ch.Old, ch.New)
				}
			}
		}
	}
	// No silent overwrite.
	for _, ci := range cis {
		tag := ci["asset_tag"]
		for _, c := range s.columns() {
			hist := s.fake.History(ci["sys_id"], c.col)
			for i := 1; i < len(hist); i++ {
				prev, cur := hist[i-1], hist[i]
				if cur.By != laptop || prev.By != "central" || prev.Value == cur.Value {
					continue
				}
				seen := c.canon(prev.Value)
				knew := false
				for _, ch := range later[key{tag, c.field}] {
					if ch.Old == seen {
						knew = true
					}
				}
				if !knew && !conflictWith(tag, c.field, func(x sync.Conflict) bool {
					return x.Server == seen && (x.Resolution == sync.KeepLocal || x.Resolution == sync.AutoLocal)
				}) {
					t.Errorf("silent overwrite: %s %s: central %q replaced by %q without a trace", tag, c.field, seen, c.canon(cur.Value))
				}
			}
		}
		// Notes: every central line and every local note survive, once.
		for _, line := range strings.Split(ci["comments"], "\n") {
			if line != "" && strings.Count(ci["comments"], line) != 1 {
				t.Errorf("%s: comment line repeated: %q", tag, line)
			}
		}
		for _, w := range s.fake.History(ci["sys_id"], "comments") {
			if w.By == "central" {
				last := w.Value[strings.LastIndex(w.Value, "\n")+1:]
				if !strings.Contains(ci["comments"], last) {
					t.Errorf("%s: central comment %q was lost", tag, last)
				}
			}
		}
	}
	for _, e := range journal {
		if e.Op != store.OpNote {
			continue
		}
		if ci := byTag[e.AssetTag]; strings.Count(ci["comments"], e.Changes[0].New+" [rounds:"+e.IdempotencyID+"]") != 1 {
			t.Errorf("%s: note %q not delivered exactly once: %q", e.AssetTag, e.Changes[0].New, ci["comments"])
		}
	}
	st := s.fake.Stats()
	s.stats["requests"] += st.Requests
}
