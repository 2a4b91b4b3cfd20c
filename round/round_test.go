package round_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func engine(t *testing.T) (*round.Engine, store.Round) {
	t.Helper()
	st := roundtest.Open(t)
	_, clock := roundtest.Clock()
	e := &round.Engine{Store: st, Reconcile: roundtest.Reconciler(st), Now: clock, Actor: "tech",
		Sources: roundtest.Sources(map[string][]scan.Observation{roundtest.Rooms[0]: roundtest.Room12()}, 0)}
	rd, err := st.CreateRound(context.Background(), "wing 3", "tech", roundtest.T0, roundtest.Rooms)
	if err != nil {
		t.Fatal(err)
	}
	return e, rd
}

// sweptVisit sweeps room 3W-12 to the end and finishes the visit.
func sweptVisit(t *testing.T, e *round.Engine, rd store.Round) round.Visit {
	t.Helper()
	ctx := context.Background()
	room, err := e.Store.Location(ctx, roundtest.Rooms[0])
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.Begin(ctx, rd.ID, room)
	if err != nil {
		t.Fatal(err)
	}
	srcs, err := e.RoomSources(ctx, room)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan round.Event)
	go round.Sweep(ctx, srcs, events)
	var obs []scan.Observation
	done := 0
	for ev := range events {
		if ev.Done {
			done++
			if ev.Err != nil {
				t.Fatal(ev.Err)
			}
			continue
		}
		obs = append(obs, ev.Obs)
	}
	if done != 1 || len(obs) != 5 {
		t.Fatalf("done %d, %d observations", done, len(obs))
	}
	v, err := e.Finish(ctx, id, room, obs, round.Swept{IP: true})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func item(t *testing.T, v round.Visit, kind reconcile.Kind, tag string) round.Item {
	t.Helper()
	for _, it := range v.Items {
		if it.Finding.Kind != kind {
			continue
		}
		if tag == "" || (it.Finding.Device != nil && it.Finding.Device.AssetTag == tag) {
			return it
		}
	}
	t.Fatalf("no %s finding for %q in %+v", kind, tag, v.Items)
	return round.Item{}
}

func TestFinishStoresFindings(t *testing.T) {
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	kinds := map[reconcile.Kind]int{}
	for _, it := range v.Items {
		kinds[it.Finding.Kind]++
	}
	want := map[reconcile.Kind]int{reconcile.Verified: 2, reconcile.MovedHere: 1, reconcile.Unknown: 2, reconcile.Missing: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s = %d, want %d (all %v)", k, kinds[k], n, kinds)
		}
	}
	if v.Status != store.VisitSwept {
		t.Errorf("status %s", v.Status)
	}
	rooms, err := e.Store.RoundRooms(context.Background(), rd.ID, roundtest.T0)
	if err != nil {
		t.Fatal(err)
	}
	if rooms[0].Visit.ID != v.ID || rooms[0].Visit.Kinds["unknown"] != 2 || rooms[0].Expected != 3 ||
		rooms[0].PMDue != 1 || rooms[0].AuditDue != 1 || rooms[1].Visit.ID != 0 {
		t.Errorf("round rooms = %+v", rooms)
	}
	// A re-sweep replaces the findings instead of adding to them.
	v2, err := e.Finish(context.Background(), v.ID, v.Room, roundtest.Room12()[:1], round.Swept{IP: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(v2.Items) != 3 {
		t.Errorf("re-sweep items = %d, want 3", len(v2.Items))
	}
}

// journalFor returns the journal entries of one device.
func journalFor(t *testing.T, st *store.Store, tag string) []store.Entry {
	t.Helper()
	es, err := st.Journal(context.Background(), store.JournalQuery{AssetTag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestActions(t *testing.T) {
	tests := []struct {
		name   string
		kind   reconcile.Kind
		tag    string
		action round.Action
		op     store.Op
		word   string
		check  func(t *testing.T, st *store.Store, it round.Item)
	}{
		{"confirm", reconcile.Verified, "BME-1001", round.Action{Kind: round.Confirm}, store.OpAudit, "confirmed",
			func(t *testing.T, st *store.Store, it round.Item) {
				d, _ := st.Device(context.Background(), "BME-1001")
				if !d.LastAudited.Equal(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) || d.NextAuditDue.Year() != 2027 {
					t.Errorf("audit dates %v %v", d.LastAudited, d.NextAuditDue)
				}
			}},
		{"move here", reconcile.MovedHere, "BME-1004", round.Action{Kind: round.MoveHere}, store.OpAudit, "moved here",
			func(t *testing.T, st *store.Store, it round.Item) {
				d, _ := st.Device(context.Background(), "BME-1004")
				if d.LocationKey != roundtest.Rooms[0] || it.Finding.Device.LocationKey != roundtest.Rooms[0] {
					t.Errorf("location %s", d.LocationKey)
				}
			}},
		{"mark missing", reconcile.Missing, "BME-1003", round.Action{Kind: round.MarkMissing}, store.OpUpdate, "marked missing",
			func(t *testing.T, st *store.Store, it round.Item) {
				d, _ := st.Device(context.Background(), "BME-1003")
				if d.Status != store.StatusMissing {
					t.Errorf("status %s", d.Status)
				}
			}},
		{"correct firmware", reconcile.Verified, "BME-1001", round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "12.1.2"},
			store.OpUpdate, "firmware corrected to 12.1.2",
			func(t *testing.T, st *store.Store, it round.Item) {
				d, _ := st.Device(context.Background(), "BME-1001")
				if d.FirmwareVersion != "12.1.2" {
					t.Errorf("firmware %s", d.FirmwareVersion)
				}
			}},
		{"correct serial", reconcile.Verified, "BME-1002", round.Action{Kind: round.Correct, Field: round.FieldSerial, Value: "MX-43"},
			store.OpUpdate, "serial corrected to MX-43",
			func(t *testing.T, st *store.Store, it round.Item) {
				if ds, _ := st.DevicesByIdentifier(context.Background(), store.IdentSerial, "MX-43"); len(ds) != 1 {
					t.Errorf("serial identifier not indexed")
				}
			}},
		{"note", reconcile.Missing, "BME-1003", round.Action{Kind: round.Note, Text: "ask charge nurse\x1b[31m"}, store.OpNote, "note added",
			func(t *testing.T, st *store.Store, it round.Item) {
				ns, _ := st.Notes(context.Background(), "BME-1003")
				if len(ns) != 1 || ns[0].Text != "ask charge nurse�" || ns[0].Actor != "tech" {
					t.Errorf("notes %+v", ns)
				}
			}},
		{"adopt", reconcile.Unknown, "", round.Action{Kind: round.Adopt, AssetTag: "BME-2001", Manufacturer: "Masimo", Model: "Rad-97"},
			store.OpCreate, "adopted as BME-2001",
			func(t *testing.T, st *store.Store, it round.Item) {
				d, err := st.Device(context.Background(), "BME-2001")
				if err != nil || d.LocationKey != roundtest.Rooms[0] || d.MAC != "00:11:22:33:44:55" || d.Serial != "RAD-5150" ||
					d.FirmwareVersion != "1.2" || d.LastAudited.IsZero() {
					t.Errorf("adopted %+v, %v", d, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rd := engine(t)
			v := sweptVisit(t, e, rd)
			it := item(t, v, tt.kind, tt.tag)
			if !round.Applies(tt.action.Kind, it) {
				t.Fatalf("%s does not apply", tt.action.Kind)
			}
			got, err := e.Apply(context.Background(), v, it, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			if got.Action != tt.word || got.ActedAt.IsZero() {
				t.Errorf("action %q at %v, want %q", got.Action, got.ActedAt, tt.word)
			}
			tag := tt.tag
			if tag == "" {
				tag = tt.action.AssetTag
			}
			es := journalFor(t, e.Store, tag)
			if len(es) == 0 || es[len(es)-1].Op != tt.op || es[len(es)-1].Actor != "tech" {
				t.Fatalf("journal %+v, want last op %s", es, tt.op)
			}
			// The finding's action is stored with the change.
			v2, err := e.Visit(context.Background(), v.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, it2 := range v2.Items {
				if it2.ID == it.ID && it2.Action != tt.word {
					t.Errorf("stored action %q", it2.Action)
				}
			}
			tt.check(t, e.Store, got)
		})
	}
}

func TestActionsRefused(t *testing.T) {
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	ctx := context.Background()
	unknown := item(t, v, reconcile.Unknown, "")
	missing := item(t, v, reconcile.Missing, "BME-1003")
	count := func() int {
		es, _ := e.Store.Journal(ctx, store.JournalQuery{})
		return len(es)
	}
	before := count()
	tests := []struct {
		name string
		it   round.Item
		a    round.Action
		want error
	}{
		{"move a missing device here", missing, round.Action{Kind: round.MoveHere}, round.ErrNotApplicable},
		{"confirm an unknown", unknown, round.Action{Kind: round.Confirm}, round.ErrNotApplicable},
		{"adopt under a taken tag", unknown, round.Action{Kind: round.Adopt, AssetTag: "BME-1001", Manufacturer: "Masimo", Model: "Rad-97"}, round.ErrTagTaken},
		{"adopt without model", unknown, round.Action{Kind: round.Adopt, AssetTag: "BME-3000"}, nil},
		{"adopt with bad tag", unknown, round.Action{Kind: round.Adopt, AssetTag: "BME 3000", Manufacturer: "Masimo", Model: "Rad-97"}, nil},
		{"empty note", missing, round.Action{Kind: round.Note, Text: "  "}, nil},
		{"correct with control chars", missing, round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "1\x1b[2J"}, nil},
	}
	for _, tt := range tests {
		_, err := e.Apply(ctx, v, tt.it, tt.a)
		if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
	if n := count(); n != before {
		t.Errorf("refused actions journalled %d entries", n-before)
	}
	if _, err := e.Store.Device(ctx, "BME-3000"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused adoption left a device: %v", err)
	}
}

func TestActionsAccumulate(t *testing.T) {
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	it := item(t, v, reconcile.Verified, "BME-1001")
	ctx := context.Background()
	var err error
	for _, a := range []round.Action{{Kind: round.Confirm}, {Kind: round.Note, Text: "bezel cracked"}} {
		if it, err = e.Apply(ctx, v, it, a); err != nil {
			t.Fatal(err)
		}
	}
	if it.Action != "confirmed; note added" {
		t.Errorf("action = %q", it.Action)
	}
	// A second confirm would queue an empty change: it is refused.
	if _, err := e.Apply(ctx, v, it, round.Action{Kind: round.Confirm}); !errors.Is(err, round.ErrAlreadyDone) {
		t.Errorf("second confirm: %v", err)
	}
	if es := journalFor(t, e.Store, "BME-1001"); len(es) != 2 {
		t.Errorf("journal has %d entries, want 2", len(es))
	}
}

func TestSweepCancelIsPromptAndClean(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	slow := roundtest.Sweeper{Obs: roundtest.Room12(), Gap: time.Hour}
	fails := roundtest.Sweeper{Err: errors.New("adapter gone")}
	events := make(chan round.Event)
	go round.Sweep(ctx, []round.Source{{Name: "slow", Sweeper: slow}, {Name: "fails", Sweeper: fails}}, events)
	ev := <-events
	if !ev.Done || ev.Source != 1 || ev.Err == nil {
		t.Fatalf("first event %+v, want the failing source done", ev)
	}
	start := time.Now()
	cancel()
	for range events {
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("cancel took %v", d)
	}
}

func TestSweepRecoversPanickingSource(t *testing.T) {
	events := make(chan round.Event)
	go round.Sweep(context.Background(), []round.Source{{Name: "bad", Sweeper: panicky{}}}, events)
	var got []round.Event
	for ev := range events {
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].Err == nil {
		t.Fatalf("events = %+v", got)
	}
}

type panicky struct{}

func (panicky) Sweep(context.Context, chan<- scan.Observation) error { panic("boom") }

func TestReport(t *testing.T) {
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	ctx := context.Background()
	if _, err := e.Apply(ctx, v, item(t, v, reconcile.Missing, "BME-1003"), round.Action{Kind: round.MarkMissing}); err != nil {
		t.Fatal(err)
	}
	if err := e.Done(ctx, v.ID); err != nil {
		t.Fatal(err)
	}
	r, err := e.Report(ctx, rd.ID)
	if err != nil {
		t.Fatal(err)
	}
	tt := r.Totals()
	if tt.Rooms != 3 || tt.Visited != 1 || tt.Done != 1 || tt.Acted != 1 || tt.Kinds[reconcile.Unknown] != 2 {
		t.Errorf("totals %+v", tt)
	}
	if lv, err := e.LatestVisit(ctx, rd.ID, roundtest.Rooms[0]); err != nil || lv.ID != v.ID || lv.Status != store.VisitDone {
		t.Errorf("latest visit %+v, %v", lv, err)
	}
}

func TestStoreReconciler(t *testing.T) {
	e, rd := engine(t)
	e.Reconcile = &round.StoreReconciler{Store: e.Store}
	v := sweptVisit(t, e, rd)
	kinds := map[reconcile.Kind][]string{}
	for _, it := range v.Items {
		tag := ""
		if it.Finding.Device != nil {
			tag = it.Finding.Device.AssetTag
		}
		kinds[it.Finding.Kind] = append(kinds[it.Finding.Kind], tag)
	}
	if len(kinds[reconcile.Verified]) != 2 || len(kinds[reconcile.MovedHere]) != 1 || kinds[reconcile.MovedHere][0] != "BME-1004" ||
		len(kinds[reconcile.Missing]) != 1 || kinds[reconcile.Missing][0] != "BME-1003" || len(kinds[reconcile.Unknown]) != 2 {
		t.Fatalf("findings %v", kinds)
	}
	pump := item(t, v, reconcile.Verified, "BME-1001")
	var fw bool
	for _, f := range pump.Finding.Flags {
		fw = fw || f.Kind == reconcile.FirmwareBelowMin
	}
	if !fw {
		t.Errorf("BME-1001 flags %+v, want firmware below minimum", pump.Finding.Flags)
	}
}
