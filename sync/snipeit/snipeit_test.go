package snipeit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
	"github.com/biomed-rounds/rounds/sync/transport"
)

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 0; i < 7; i++ {
		e.asset(fmt.Sprintf("BME-%d", i), "MAIN/3/3W-12")
	}
	id := e.byTag("BME-1")[0].ID
	e.fake.Edit(id, map[string]string{"_snipeit_mac_address_1": "00-09-FB-12-34-56"})
	pr, _ := e.sync()
	if pr.Created != 7 {
		t.Fatalf("pull = %+v", pr)
	}
	d := e.device("BME-1")
	if d.LocationKey != "MAIN/3/3W-12" || d.Model != "Alaris 8015" || d.Manufacturer != "BD" || d.MAC != "00:09:fb:12:34:56" ||
		d.Status != store.StatusInService || d.CMDBID != fmt.Sprint(id) {
		t.Fatalf("pulled device = %+v", d)
	}
	// A local edit is PATCHed; an audit goes through the audit endpoint.
	e.edit("BME-1", store.OpUpdate, func(d *store.Device) { d.Status = store.StatusInRepair })
	e.edit("BME-2", store.OpAudit, func(d *store.Device) {
		d.LocationKey = "MAIN/4/ICU-1"
		d.LastAudited = e.clock.Now()
		d.NextAuditDue = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
	})
	_, ps := e.sync()
	if ps.Acked != 2 {
		t.Fatalf("push = %+v", ps)
	}
	if a, _ := e.fake.Asset(id); a.StatusID != e.fake.StatusID("Out for Repair") {
		t.Errorf("status not pushed: %+v", a)
	}
	a2 := e.byTag("BME-2")[0]
	if a2.Audits != 1 || a2.LocationID != e.fake.LocationID("MAIN/4/ICU-1") || a2.NextAudit != "2027-03-01" || a2.LastAudit == "" {
		t.Errorf("audit not recorded: %+v", a2)
	}
	// The next pull brings the audit back without a conflict and nothing
	// is sent again.
	_, ps = e.sync()
	if ps.Ops != 0 {
		t.Errorf("idle push = %+v", ps)
	}
	if cs, _ := sync.Conflicts(ctx, e.st, "snipe", false); len(cs) != 0 {
		t.Errorf("conflicts = %+v", cs)
	}
	if e.byTag("BME-2")[0].Audits != 1 {
		t.Error("audit sent twice")
	}
	// Create: POST after a bytag miss.
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
		_, err := w.PutDevice(store.Device{AssetTag: "NEW-1", Serial: "S-NEW", Manufacturer: "BD", Model: "Alaris 8015", LocationKey: "MAIN/3/3W-14"})
		return err
	}))
	_, ps = e.sync()
	if n := e.byTag("NEW-1"); len(n) != 1 || n[0].LocationID != e.fake.LocationID("MAIN/3/3W-14") || ps.Acked != 1 {
		t.Fatalf("create: %+v, %+v", n, ps)
	}
}

func TestIncrementalPullStopsAtWatermark(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 5; c.Overlap = time.Second })
	for i := 0; i < 40; i++ {
		e.asset(fmt.Sprintf("A-%02d", i), "MAIN/3/3W-12")
	}
	if _, err := e.eng.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Hour)
	e.fake.Edit(e.byTag("A-07")[0].ID, map[string]string{"serial": "CHANGED"})
	before := e.fake.Stats().Lists
	rep, err := e.eng.Pull(ctx)
	must(t, err)
	// One page of the main listing and one of the archived assets, which
	// real servers list only on request.
	if lists := e.fake.Stats().Lists - before; lists != 2 {
		t.Errorf("incremental pull read %d pages, want 2", lists)
	}
	if rep.Updated != 1 || e.device("A-07").Serial != "CHANGED" {
		t.Errorf("pull = %+v, serial %q", rep, e.device("A-07").Serial)
	}
}

func TestAuditRetryReadsLastAuditFirst(t *testing.T) {
	e := newEnv(t)
	e.asset("BME-1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpAudit, func(d *store.Device) { d.LastAudited = e.clock.Now() })
	// The audit is committed but the answer is lost, twice in a row: the
	// push checks the last audit date instead of auditing again.
	e.fake.InjectWrite(fault.DropAfterCommit)
	e.sync()
	a := e.byTag("BME-1")[0]
	if a.Audits != 1 {
		t.Fatalf("%d audits recorded, want 1", a.Audits)
	}
	if c := e.counts(); c[store.StateAcked] != 1 {
		t.Fatalf("journal = %v", c)
	}
}

func TestAuditResentAfterCrashIsNotDuplicated(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.asset("BME-1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpAudit, func(d *store.Device) { d.LastAudited = e.clock.Now() })
	// First push: the audit reaches the server, then the laptop dies
	// before recording the answer (simulated: put the entry back in flight).
	e.sync()
	es, _ := e.st.Outbox(ctx, 0)
	if len(es) != 0 {
		t.Fatalf("outbox = %+v", es)
	}
	all, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
	must(t, e.st.SetStates(ctx, []store.Transition{{Seq: all[len(all)-1].Seq, State: store.StateInFlight}}))
	e.sync()
	if a := e.byTag("BME-1")[0]; a.Audits != 1 {
		t.Fatalf("%d audits, want 1", a.Audits)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault fault.Kind
		want  store.EntryState
	}{
		{fault.Throttle, store.StateAcked},
		{fault.Unavailable, store.StateAcked},
		{fault.InternalError, store.StateAcked},
		{fault.DropAfterCommit, store.StateAcked},
		{fault.Slow, store.StateAcked},
		{fault.Malformed, store.StateAcked},
		{fault.StatusError, store.StateRejected},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, func(_ *snipeit.Config, tc *transport.Config) {
				if tt.fault == fault.Slow {
					tc.Timeout = 100 * time.Millisecond // shorter than the fake's SlowDelay
				}
			})
			must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
				_, err := w.PutDevice(store.Device{AssetTag: "NEW-1", Serial: "S1", Manufacturer: "BD", Model: "Alaris 8015"})
				return err
			}))
			e.fake.InjectWrite(tt.fault)
			e.sync()
			es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "NEW-1"})
			if es[0].State != tt.want {
				t.Fatalf("entry = %s %q, want %s", es[0].State, es[0].LastError, tt.want)
			}
			if tt.want == store.StateRejected && !strings.Contains(es[0].LastError, "maintenance mode") {
				t.Errorf("rejection does not carry the server's message: %q", es[0].LastError)
			}
			if n := len(e.byTag("NEW-1")); tt.want == store.StateAcked && n != 1 {
				t.Fatalf("%d assets for NEW-1, want 1", n)
			}
		})
	}
}

// The throttle: the client keeps to the limit the server announces
// (X-RateLimit-*) and waits for the window's end instead of meeting a
// 429; a 429 that comes anyway (another client on the same key) is waited
// out as its Retry-After says.
func TestThrottleHonoursRetryAfter(t *testing.T) {
	e := newEnv(t, func(c *snipeit.Config, tc *transport.Config) { c.PageSize = 1; tc.MaxAttempts = 3 })
	e.fake.PerMinute = 4
	for i := 0; i < 6; i++ {
		e.asset(fmt.Sprintf("A-%d", i), "MAIN/3/3W-12")
	}
	start := e.clock.Now()
	// 6 assets in pages of 1: more than 4 requests in the minute, so the
	// client waits for the next window.
	e.sync()
	if n := e.fake.Stats().Throttled; n != 0 {
		t.Errorf("%d requests refused with 429: the client did not keep to the announced limit", n)
	}
	if waited := e.clock.Now().Sub(start); waited < 30*time.Second {
		t.Errorf("waited %v of virtual time, want the rest of the minute", waited)
	}
	if n, _ := e.st.CountDevices(context.Background()); n != 6 {
		t.Errorf("%d devices", n)
	}
	e.fake.Inject(fault.Throttle)
	e.edit("A-1", store.OpUpdate, func(d *store.Device) { d.Serial = "NEW-1" })
	e.sync()
	if e.client.RetryAfterHonoured() == 0 {
		t.Fatal("the injected 429's Retry-After was not waited out")
	}
	if a := e.byTag("A-1"); len(a) != 1 || a[0].Serial != "NEW-1" {
		t.Errorf("A-1 = %+v", a)
	}
}

func TestUnknownLocationRejected(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.asset("BME-1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpUpdate, func(d *store.Device) { d.LocationKey = "NOWHERE/1/X" })
	e.sync()
	es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1", States: []store.EntryState{store.StateRejected}})
	if len(es) != 1 || !strings.Contains(es[0].LastError, "NOWHERE/1/X") {
		t.Fatalf("entries = %+v", es)
	}
}

func TestWrongTokenFailsTheCallNotTheChanges(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.asset("BME-1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpUpdate, func(d *store.Device) { d.Serial = "X" })
	e.fake.Token = "rotated"
	_, _, err := e.eng.Sync(ctx, false, true)
	if err == nil || strings.Contains(err.Error(), token) {
		t.Fatalf("err = %v", err)
	}
	if c := e.counts(); c[store.StateRejected] != 0 || c[store.StatePending]+c[store.StateInFlight] != 1 {
		t.Fatalf("journal = %v", c)
	}
}

func TestIDSet(t *testing.T) {
	var s snipeit.IDSet
	for _, tc := range []struct {
		id  string
		new bool
	}{
		{"1", true}, {"1", false}, {"64", true}, {"63", true}, {"64", false}, {"0", true}, {"0", false},
		{"01", true}, {"01", false}, {"1", false}, // "01" is not the id 1
		{"99999999999", true}, {"99999999999", false}, // beyond the bitmap
		{"-3", true}, {"-3", false}, {"abc", true}, {"abc", false}, {"", true}, {"", false},
		{"100000", true}, {"99999", true}, {"100000", false},
	} {
		if got := s.Add(tc.id); got != tc.new {
			t.Errorf("add(%q) = %v, want %v", tc.id, got, tc.new)
		}
	}
}
