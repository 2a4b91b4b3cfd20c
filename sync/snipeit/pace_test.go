package snipeit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// A push costs one PATCH per changed device and two listings (the
// changes since the pull, and the archived ones), whatever the number of
// devices: no read per device. Against the server's throttle (a fixed
// window of a minute, announced in X-RateLimit-* headers) it gets no 429
// and finishes as soon as the allowance permits: every window but the
// last is used to the full. The clock is virtual: the waits advance it.
func TestPushRequestsAndPacing(t *testing.T) {
	for _, tc := range []struct {
		name       string
		perMinute  int
		devices    int
		freshStart bool // the push starts in a window of its own
		chunk      int  // devices per push chunk (0: the default)
	}{
		{"60/min, 150 changes, own window", 60, 150, true, 0},
		{"60/min, 150 changes, after the pull in its window", 60, 150, false, 0},
		{"120/min (default), 300 changes", 120, 300, true, 0},
		{"no throttle, 40 changes", -1, 40, true, 0},
		{"60/min, 150 changes in chunks of 50", 60, 150, true, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 500; c.OpsPerCall = 25 })
			e.fake.PerMinute, e.fake.MaxLimit = tc.perMinute, 500
			e.eng.ChunkSize = tc.chunk
			for i := 0; i < tc.devices; i++ {
				e.asset(fmt.Sprintf("BME-%04d", i), "MAIN/3/3W-12")
			}
			if _, err := e.eng.Pull(ctx); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.devices; i++ {
				e.edit(fmt.Sprintf("BME-%04d", i), store.OpUpdate, func(d *store.Device) { d.Serial = fmt.Sprint("NEW-", i) })
			}
			if tc.freshStart {
				e.clock.Advance(time.Minute)
			}
			before, start := e.fake.Stats(), e.clock.Now()
			ps, err := e.eng.Push(ctx)
			if err != nil {
				t.Fatal(err)
			}
			took := e.clock.Now().Sub(start)
			after := e.fake.Stats()
			if ps.Acked != tc.devices {
				t.Fatalf("push = %+v, want %d acked", ps, tc.devices)
			}
			patches, lists, gets := after.Patches-before.Patches, after.Lists-before.Lists, after.Gets-before.Gets
			requests := after.Requests - before.Requests
			if patches != tc.devices || lists != 2 || gets != 0 || requests != tc.devices+2 {
				t.Errorf("push of %d changes: %d requests (%d PATCH, %d lists, %d GET), want %d PATCH and 2 lists",
					tc.devices, requests, patches, lists, gets, tc.devices)
			}
			if n := after.Throttled - before.Throttled; n != 0 {
				t.Errorf("%d requests refused with 429: the push did not keep to the announced limit", n)
			}
			for i := 0; i < tc.devices; i += 37 {
				if a := e.byTag(fmt.Sprintf("BME-%04d", i)); len(a) != 1 || a[0].Serial != fmt.Sprint("NEW-", i) {
					t.Fatalf("BME-%04d on the server = %+v", i, a)
				}
			}
			if tc.perMinute <= 0 {
				if took != 0 {
					t.Errorf("push waited %v without a throttle", took)
				}
				return
			}
			// Windows the requests need, the pull's share of the first
			// one counted when they share it.
			n := requests
			if !tc.freshStart {
				n += before.Requests
			}
			need := time.Duration((n+tc.perMinute-1)/tc.perMinute-1) * time.Minute
			if took > need+2*time.Second {
				t.Errorf("push of %d requests at %d/min took %v, the allowance permits %v: it paced below the limit",
					requests, tc.perMinute, took, need)
			}
			if took < need-time.Minute {
				t.Errorf("push took %v, less than the limit permits (%v)", took, need)
			}
			if st := e.client.Stats(); st.Paced == 0 && need > 0 {
				t.Errorf("client stats: no pacing recorded: %+v", st)
			}
		})
	}
}

// The listing of changes since the pull replaces the per-device reads
// without losing what they were for: a central edit made after the pull
// is seen before the write, and the device goes to a person as a
// conflict instead of being overwritten. A push of one or two devices
// reads them by tag (no dearer than the listing); a push after a pull so
// old that the listing would cost more than half the reads falls back to
// reading the rest by tag.
func TestPushSeesCentralEditsSincePull(t *testing.T) {
	for _, tc := range []struct {
		name string
		// devices pushed, central edits made after the pull before the push
		devices, noise int
		wantGets       int // -1: some, the devices the listing did not reach
		wantListsMax   int
	}{
		{"ten devices", 10, 0, 0, 2},
		{"two devices: by tag", 2, 0, 2, 0},
		{"many central changes: listing cut short", 10, 40, -1, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 10 })
			e.fake.PerMinute, e.fake.MaxLimit = -1, 10
			ids := map[string]int{}
			for i := 0; i < tc.devices+tc.noise; i++ {
				tag := fmt.Sprintf("BME-%03d", i)
				ids[tag] = e.asset(tag, "MAIN/3/3W-12")
			}
			if _, err := e.eng.Pull(ctx); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(10 * time.Minute) // past the pull's overlap
			// After the pull: the central edits, then the local ones.
			contested := "BME-001"
			e.fake.Edit(ids[contested], map[string]string{"serial": "CENTRAL"})
			for i := tc.devices; i < tc.devices+tc.noise; i++ {
				e.clock.Advance(time.Second)
				e.fake.Edit(ids[fmt.Sprintf("BME-%03d", i)], map[string]string{"serial": fmt.Sprint("NOISE-", i)})
			}
			for i := 0; i < tc.devices; i++ {
				e.edit(fmt.Sprintf("BME-%03d", i), store.OpUpdate, func(d *store.Device) { d.Serial = fmt.Sprint("LOCAL-", i) })
			}
			before := e.fake.Stats()
			ps, err := e.eng.Push(ctx)
			if err != nil {
				t.Fatal(err)
			}
			after := e.fake.Stats()
			if ps.Conflicts != 1 || ps.Acked != tc.devices-1 {
				t.Errorf("push = %+v, want %s in conflict and the others acked", ps, contested)
			}
			if a := e.byTag(contested); len(a) != 1 || a[0].Serial != "CENTRAL" {
				t.Errorf("%s on the server = %+v: the central edit was overwritten", contested, a)
			}
			if a := e.byTag("BME-000"); len(a) != 1 || a[0].Serial != "LOCAL-0" {
				t.Errorf("BME-000 on the server = %+v", a)
			}
			gets, lists := after.Gets-before.Gets, after.Lists-before.Lists
			if tc.wantGets < 0 && gets > 0 && gets < tc.devices && gets+lists <= tc.devices*3/2 {
				tc.wantGets = gets
			}
			if gets != tc.wantGets || lists > tc.wantListsMax {
				t.Errorf("reads: %d GET by tag, %d lists; want %d GET and at most %d lists", gets, lists, tc.wantGets, tc.wantListsMax)
			}
			if p := after.Patches - before.Patches; p > tc.devices {
				t.Errorf("%d PATCH for %d devices", p, tc.devices)
			}
		})
	}
}

// A device archived centrally after the pull is out of the default
// listing (show_archived_in_list off): the archived pass still finds it,
// and a local status change meets the central one as a conflict.
func TestPushSeesCentralArchivalSincePull(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 10 })
	e.fake.PerMinute = -1
	ids := map[string]int{}
	for i := 0; i < 6; i++ {
		tag := fmt.Sprintf("BME-%03d", i)
		ids[tag] = e.asset(tag, "MAIN/3/3W-12")
	}
	if _, err := e.eng.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	e.fake.Edit(ids["BME-002"], map[string]string{"status_id": fmt.Sprint(e.fake.StatusID("Archived"))})
	for i := 0; i < 6; i++ {
		e.edit(fmt.Sprintf("BME-%03d", i), store.OpUpdate, func(d *store.Device) { d.Status = store.StatusInRepair })
	}
	before := e.fake.Stats()
	ps, err := e.eng.Push(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ps.Conflicts != 1 || ps.Acked != 5 {
		t.Errorf("push = %+v, want BME-002 in conflict", ps)
	}
	a, _ := e.fake.Asset(ids["BME-002"])
	if a.StatusID != e.fake.StatusID("Archived") {
		t.Errorf("BME-002 status %d: the central archival was overwritten", a.StatusID)
	}
	if st := e.fake.Stats(); st.Gets != before.Gets || st.Lists-before.Lists != 2 {
		t.Errorf("reads: %d GET, %d lists; want 0 and 2", st.Gets-before.Gets, st.Lists-before.Lists)
	}
}
