package synctest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
)

// Record is one device record on the fake server, as the invariants see it.
type Record struct {
	Tag, ID string
	// Notes is the server's free-text notes or comments field.
	Notes string
	// Get reads a server column's raw value.
	Get func(col string) string
}

// Write is one write in a fake server's history of a column.
type Write struct {
	Value string
	// By is the fake's name of the writer: Backend.Laptop for the
	// connector, "central" for edits made on the server by people.
	By string
}

// Column maps a checked canonical field to its server column and a
// function from server values to canonical ones.
type Column struct {
	Field, Col string
	Canon      func(string) string
}

// Backend describes a connector and its fake server to the convergence
// simulation. Every function is called with the Sim that drives it.
type Backend struct {
	// Target is the engine's target name (journal and conflicts key).
	Target string
	// Laptop is how the fake's history names the connector's writes.
	Laptop string
	// Engine is the engine under test, wired to the fake and s.Store.
	Engine *sync.Engine
	// Drain waits until the fake has carried out every request it got.
	Drain func()
	// Location creates a location called name on the server.
	Location func(name string)
	// CentralCreate and CentralEdit change the server as a person would.
	CentralCreate, CentralEdit func(s *Sim)
	// LocalEdits change one field of a local device each; the simulation
	// adds a note and an audit (with a move) to these.
	LocalEdits []func(s *Sim, d *store.Device)
	// Columns are the synced fields compared at the end.
	Columns func() []Column
	// Records lists the server's device records; History the writes to
	// one column of one record.
	Records func() []Record
	History func(id, col string) []Write
	// NotesCol is the history key of the notes column ("" skips the
	// check that every central note line survives).
	NotesCol string
	// NoteMark gives the text a delivered local note must appear as
	// exactly once in the server's notes.
	NoteMark func(e store.Entry) string
	// Check adds connector-specific invariants (may be nil).
	Check func(s *Sim, journal []store.Entry, byTag map[string]Record)
	// Requests reports the fake's request count for the statistics.
	Requests func() int
}

// Params sets the weights of a simulation run.
type Params struct {
	Seed, Stream uint64
	// Rounds is the number of faulty sync rounds before settling.
	Rounds int
	// Initial is the number of central records made before the start.
	Initial int
	// Budget bounds the run's time (default 3 minutes): the faulty
	// rounds stop early when half of it is spent, and the settling syncs
	// must finish within it. A slow machine then checks fewer rounds
	// rather than hanging the suite.
	Budget time.Duration
}

// Sim drives one randomized run. Its random source and counters are safe
// for use from the fake server's handler goroutines.
type Sim struct {
	T     *testing.T
	Store *store.Store
	B     *Backend

	mu     gosync.Mutex // guards rng, n, stats, cancel
	rng    *rand.Rand
	n      int
	stats  map[string]int
	cancel context.CancelFunc
	faults atomic.Bool
	edits  atomic.Bool
}

// NewSim makes a simulation on a fresh store; call Run once the Backend
// (whose Engine uses s.Store) is set in s.B.
func NewSim(t *testing.T, p Params) *Sim {
	return &Sim{T: t, Store: Store(t), rng: rand.New(rand.NewPCG(p.Seed, p.Stream)), stats: map[string]int{}}
}

// Next returns prefix followed by a number unique in the run.
func (s *Sim) Next(prefix string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return prefix + strconv.Itoa(s.n)
}

// Count adds one to the statistic k.
func (s *Sim) Count(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats[k]++
}

// Chance is true with probability p.
func (s *Sim) Chance(p float64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.Float64() < p
}

// Intn returns a random number in [0, n).
func (s *Sim) Intn(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rng.IntN(n)
}

// Editing reports whether central edits may land during a pull now.
func (s *Sim) Editing() bool { return s.edits.Load() }

// Fault is the fault hook's core, for the fake's FaultFunc: while faults
// are on it crashes the running sync now and then by cancelling its
// context mid-request, like a laptop lid closing, and with probability p
// returns the index of one of n faults; otherwise -1.
func (s *Sim) Fault(p float64, n int) int {
	if !s.faults.Load() {
		return -1
	}
	if s.Chance(0.02) {
		s.mu.Lock()
		cancel := s.cancel
		s.mu.Unlock()
		if cancel != nil {
			s.Count("crashes")
			cancel()
		}
	}
	if !s.Chance(p) {
		return -1
	}
	s.Count("faults")
	return s.Intn(n)
}

// Location makes a new location on the server and returns its key.
func (s *Sim) Location(prefix string) string {
	name := "B/1/" + s.Next(prefix)
	s.B.Location(name)
	return name
}

// Devices lists the local devices.
func (s *Sim) Devices() []store.Device {
	var out []store.Device
	if err := s.Store.EachDevice(context.Background(), store.Filter{}, func(d store.Device) error { out = append(out, d); return nil }); err != nil {
		s.T.Fatal(err)
	}
	return out
}

// Statuses are the local statuses edits pick from.
var Statuses = []store.Status{store.StatusInService, store.StatusInRepair, store.StatusRetired, store.StatusMissing}

// EditStatus, EditLocation and EditFirmware are local field edits most
// connectors sync.
func EditStatus(s *Sim, d *store.Device)   { d.Status = Statuses[s.Intn(len(Statuses))] }
func EditLocation(s *Sim, d *store.Device) { d.LocationKey = s.Location("l") }
func EditFirmware(s *Sim, d *store.Device) { d.FirmwareVersion = s.Next("l") }

func (s *Sim) localEdit() {
	ds := s.Devices()
	if len(ds) == 0 {
		return
	}
	d := ds[s.Intn(len(ds))]
	edits := len(s.B.LocalEdits)
	kind := s.Intn(edits + 2)
	var loc string
	if kind == edits+1 {
		loc = s.Location("l")
	}
	err := s.Store.Write(context.Background(), "tech", func(w *store.Writer) error {
		if kind == edits {
			return w.AddNote(d.AssetTag, "note "+s.Next("l"))
		}
		op := store.OpUpdate
		if kind == edits+1 {
			op = store.OpAudit
		}
		_, err := w.UpdateDevice(d.AssetTag, op, func(d *store.Device) error {
			if kind < edits {
				s.B.LocalEdits[kind](s, d)
				return nil
			}
			d.LocationKey = loc
			d.LastAudited = time.Now().UTC()
			return nil
		})
		return err
	})
	if err != nil {
		s.T.Fatalf("local edit: %v", err)
	}
	s.Count("local edits")
}

func (s *Sim) localCreate() {
	tag := s.Next("L-")
	loc := s.Location("l")
	err := s.Store.Write(context.Background(), "tech", func(w *store.Writer) error {
		_, err := w.PutDevice(store.Device{AssetTag: tag, Serial: "S" + tag, LocationKey: loc, FirmwareVersion: s.Next("l"),
			Manufacturer: "BD", Model: "Alaris 8015"})
		return err
	})
	if err != nil {
		s.T.Fatal(err)
	}
	s.Count("local creates")
}

func (s *Sim) syncOnce(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s.mu.Lock()
	s.cancel = cancel
	s.mu.Unlock()
	_, _, err := s.B.Engine.Sync(ctx, true, true)
	cancel()
	s.mu.Lock()
	s.cancel = nil
	s.mu.Unlock()
	if err != nil {
		s.Count("sync errors")
	}
}

func (s *Sim) resolveSome(ctx context.Context, n int) {
	cs, err := sync.Conflicts(ctx, s.Store, s.B.Target, false)
	if err != nil {
		s.T.Fatal(err)
	}
	for i, c := range cs {
		if i >= n {
			return
		}
		choice := sync.KeepLocal
		if s.Intn(2) == 0 {
			choice = sync.KeepServer
		}
		if err := sync.Resolve(ctx, s.Store, s.B.Target, c.ID, choice, "alice", time.Now()); err != nil &&
			!strings.Contains(err.Error(), "newer local change") {
			s.T.Fatalf("resolve: %v", err)
		}
	}
}

// Run makes p.Initial central records, runs p.Rounds faulty rounds with
// local and central edits and crashes, settles with faults off (at most
// 20 quiet rounds), checks the invariants and returns the statistics.
// p.Budget bounds it in time.
func (s *Sim) Run(p Params) map[string]int {
	if p.Budget <= 0 {
		p.Budget = 3 * time.Minute
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), p.Budget)
	defer cancel()
	for i := 0; i < p.Initial; i++ {
		s.B.CentralCreate(s)
	}
	s.faults.Store(true)
	s.edits.Store(true)
	for r := 0; r < p.Rounds; r++ {
		if time.Since(start) > p.Budget/2 {
			s.T.Logf("time budget: stopped after %d of %d rounds", r, p.Rounds)
			break
		}
		for k := s.Intn(3); k > 0; k-- {
			s.localEdit()
		}
		if s.Chance(0.3) {
			s.B.CentralEdit(s)
		}
		if s.Chance(0.05) {
			s.B.CentralCreate(s)
		}
		if s.Chance(0.05) {
			s.localCreate()
		}
		s.syncOnce(ctx)
		// Requests a sync sent, including those it gave up on (timeouts,
		// a crash), are carried out before the next sync starts (in the
		// field, minutes apart): a write that lands after a later central
		// edit is a delayed write no unconditional API lets a client
		// detect.
		s.B.Drain()
		if s.Chance(0.3) {
			s.resolveSome(ctx, 1)
		}
	}
	// Settle: no faults, no central edits, every conflict resolved.
	s.faults.Store(false)
	s.edits.Store(false)
	settled := false
	for i := 0; i < 20 && !settled; i++ {
		s.resolveSome(ctx, 1000)
		if _, _, err := s.B.Engine.Sync(ctx, true, true); err != nil {
			s.T.Fatalf("settling sync %d: %v", i, err)
		}
		status, err := sync.ReadStatus(ctx, s.Store, s.B.Target)
		if err != nil {
			s.T.Fatal(err)
		}
		settled = status.Queued == 0 && status.OpenConflicts == 0 && status.Undelivered == 0
	}
	if !settled {
		st, _ := sync.ReadStatus(context.Background(), s.Store, s.B.Target)
		s.T.Fatalf("not settled after 20 quiet rounds: %+v", st)
	}
	s.check(context.Background())
	if s.B.Requests != nil {
		s.stats["requests"] += s.B.Requests()
	}
	return s.stats
}

// Seeds runs one subtest per seed and returns the summed statistics.
func Seeds(t *testing.T, seeds int, run func(t *testing.T, seed uint64) map[string]int) map[string]int {
	total := map[string]int{}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprintf("seed-%d", seed), func(t *testing.T) {
			for k, v := range run(t, uint64(seed)) {
				total[k] += v
			}
		})
	}
	return total
}

// RequireExercised fails t when one of the named statistics is zero: a
// run that made no fault or no conflict proves less than it says.
func RequireExercised(t *testing.T, total map[string]int, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if total[k] == 0 {
			t.Errorf("no %s happened: the test proves less than it says", k)
		}
	}
	if total["conflicts"]+total["overrides"] == 0 {
		t.Error("no conflict and no ownership decision happened: the test proves less than it says")
	}
}

// check asserts the invariants:
//   - no duplicate record: one record per asset tag;
//   - every journal entry ended acknowledged or in conflict;
//   - convergence: every synced field is equal on both sides;
//   - no lost change: every local change reached the server, or was
//     superseded by a later local change made from it, or lost a
//     recorded conflict or ownership decision;
//   - no silent overwrite: whenever the laptop replaced a value written
//     centrally, it had seen that value (a local change made from it) or
//     a conflict or ownership decision names it;
//   - notes: no line repeated, every central line kept, every local note
//     delivered exactly once.
func (s *Sim) check(ctx context.Context) {
	t := s.T
	recs := s.B.Records()
	byTag := map[string]Record{}
	for _, r := range recs {
		if _, dup := byTag[r.Tag]; dup {
			t.Errorf("duplicate record for %s", r.Tag)
		}
		byTag[r.Tag] = r
	}
	journal, err := s.Store.Journal(ctx, store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	conflicts, err := sync.Conflicts(ctx, s.Store, s.B.Target, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conflicts {
		if c.Resolution == sync.AutoLocal || c.Resolution == sync.AutoServer {
			s.Count("overrides")
		} else {
			s.Count("conflicts")
		}
	}
	for _, e := range journal {
		if e.State != store.StateAcked && e.State != store.StateConflict {
			t.Errorf("entry %d (%s %s) ended %s: %s", e.Seq, e.AssetTag, e.Op, e.State, e.LastError)
		}
	}
	columns := s.B.Columns()
	// Convergence.
	devs := s.Devices()
	if len(devs) != len(byTag) {
		t.Errorf("%d local devices, %d server records", len(devs), len(byTag))
	}
	for _, d := range devs {
		r, ok := byTag[d.AssetTag]
		if !ok {
			t.Errorf("%s is not on the server", d.AssetTag)
			continue
		}
		local := sync.DeviceFields(d)
		for _, c := range columns {
			if got := c.Canon(r.Get(c.Col)); got != local[c.Field] {
				t.Errorf("%s %s: local %q, server %q", d.AssetTag, c.Field, local[c.Field], got)
			}
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
	for _, c := range columns {
		for k, changes := range later {
			if k.field != c.Field {
				continue
			}
			hist := s.B.History(byTag[k.tag].ID, c.Col)
			for i, ch := range changes {
				delivered := false
				for _, w := range hist {
					if c.Canon(w.Value) == ch.New {
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
	for _, r := range recs {
		for _, c := range columns {
			hist := s.B.History(r.ID, c.Col)
			for i := 1; i < len(hist); i++ {
				prev, cur := hist[i-1], hist[i]
				if cur.By != s.B.Laptop || prev.By != "central" || prev.Value == cur.Value {
					continue
				}
				seen := c.Canon(prev.Value)
				knew := false
				for _, ch := range later[key{r.Tag, c.Field}] {
					if ch.Old == seen {
						knew = true
					}
				}
				if !knew && !conflictWith(r.Tag, c.Field, func(x sync.Conflict) bool {
					return x.Server == seen && (x.Resolution == sync.KeepLocal || x.Resolution == sync.AutoLocal)
				}) {
					t.Errorf("silent overwrite: %s %s: central %q replaced by %q without a trace", r.Tag, c.Field, seen, c.Canon(cur.Value))
				}
			}
		}
	}
	s.checkNotes(journal, recs, byTag)
	if s.B.Check != nil {
		s.B.Check(s, journal, byTag)
	}
}

// checkNotes: every central line and every local note survive, once.
func (s *Sim) checkNotes(journal []store.Entry, recs []Record, byTag map[string]Record) {
	t := s.T
	for _, r := range recs {
		for _, line := range strings.Split(r.Notes, "\n") {
			if line != "" && strings.Count(r.Notes, line) != 1 {
				t.Errorf("%s: note line repeated: %q", r.Tag, line)
			}
		}
		if s.B.NotesCol == "" {
			continue
		}
		for _, w := range s.B.History(r.ID, s.B.NotesCol) {
			if w.By == "central" {
				last := w.Value[strings.LastIndex(w.Value, "\n")+1:]
				if !strings.Contains(r.Notes, last) {
					t.Errorf("%s: central note %q was lost", r.Tag, last)
				}
			}
		}
	}
	for _, e := range journal {
		if e.Op != store.OpNote {
			continue
		}
		if n := strings.Count(byTag[e.AssetTag].Notes, s.B.NoteMark(e)); n != 1 {
			t.Errorf("%s: note %s delivered %d times: %q", e.AssetTag, e.IdempotencyID, n, byTag[e.AssetTag].Notes)
		}
	}
}
