package snipeit_test

// Tests against the fake behaving like real Snipe-IT servers (issue 13,
// items 1-10). Each failed on the connector before the fix.

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/snipeit/snipefake"
	"github.com/biomed-rounds/rounds/sync/synctest/fault"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// Item 1: notes come back as Parsedown HTML; appending to the rendered
// text and writing it back corrupts the central note.
func TestNotesRenderedAsHTMLSurviveAppend(t *testing.T) {
	ctx := context.Background()
	central := "**Do not** move: see https://wiki.example.org/a?b=1&c=2 and `code` <b>raw</b> \"quoted\" it's"
	e := newEnv(t)
	id := e.asset("BME-1", "MAIN/3/3W-12")
	e.fake.Edit(id, map[string]string{"notes": central})
	e.sync()
	must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
		return w.AddNote("BME-1", "pump **sticky** key")
	}))
	e.sync()
	a, _ := e.fake.Asset(id)
	if !strings.HasPrefix(a.Notes, central+"\n") || strings.Contains(a.Notes, "<strong>") || strings.Contains(a.Notes, "&amp;") {
		t.Fatalf("central note corrupted: %q", a.Notes)
	}
	// A second sync sends nothing and changes nothing.
	_, ps := e.sync()
	if b, _ := e.fake.Asset(id); b.Notes != a.Notes || ps.Ops != 0 {
		t.Errorf("second sync: %+v, notes %q", ps, b.Notes)
	}
}

// Item 2: MAX_RESULTS caps the limit; a short page is not the end.
func TestPullPastMaxResults(t *testing.T) {
	for _, max := range []int{100, 7} {
		t.Run(fmt.Sprint(max), func(t *testing.T) {
			e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 500 })
			e.fake.MaxLimit = max
			for i := 0; i < 250; i++ {
				e.fake.Put(snipefake.Asset{Tag: fmt.Sprintf("A-%03d", i), ModelID: e.model, StatusID: e.fake.StatusID("Ready to Deploy"),
					LocationID: e.fake.LocationID("MAIN/3/3W-12"), UpdatedAt: e.clock.Now().Add(time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")})
			}
			e.clock.Advance(time.Hour)
			e.sync()
			if n, _ := e.st.CountDevices(context.Background()); n != 250 {
				t.Fatalf("%d devices pulled, want 250", n)
			}
		})
	}
}

// Item 3: equal updated_at come back in a different order on each request;
// paging by offset must still see every record.
func TestPullBulkEditWithinOneSecond(t *testing.T) {
	e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) { c.PageSize = 50 })
	e.fake.MaxLimit = 50
	same := e.clock.Now().Format("2006-01-02 15:04:05")
	for i := 0; i < 1200; i++ {
		ts := same
		if i%10 == 0 {
			ts = e.clock.Now().Add(-time.Duration(i) * time.Second).Format("2006-01-02 15:04:05")
		}
		e.fake.Put(snipefake.Asset{Tag: fmt.Sprintf("B-%04d", i), ModelID: e.model, StatusID: e.fake.StatusID("Ready to Deploy"), UpdatedAt: ts})
	}
	e.clock.Advance(time.Minute)
	e.fake.PerMinute = -1
	e.sync()
	if n, _ := e.st.CountDevices(context.Background()); n != 1200 {
		t.Fatalf("%d devices pulled, want 1200", n)
	}
}

// Item 4: archived assets are hidden from lists unless the server's
// show_archived_in_list is on; a central retirement must still arrive.
func TestCentralRetirementArrives(t *testing.T) {
	for _, show := range []bool{false, true} {
		t.Run(fmt.Sprint(show), func(t *testing.T) {
			e := newEnv(t)
			e.fake.ShowArchivedInList = show
			id := e.asset("BME-1", "MAIN/3/3W-12")
			e.asset("BME-2", "MAIN/3/3W-12")
			e.sync()
			e.clock.Advance(time.Hour)
			e.fake.Edit(id, map[string]string{"status_id": fmt.Sprint(e.fake.StatusID("Archived"))})
			e.sync()
			if d := e.device("BME-1"); d.Status != store.StatusRetired {
				t.Fatalf("status = %q, want retired", d.Status)
			}
		})
	}
}

// Item 5: "not found" is read from the answer's shape, not its English
// text: a fr-FR or de-DE server creates new devices too.
func TestLocalizedServerCreates(t *testing.T) {
	for _, loc := range []string{"en-US", "fr-FR", "de-DE"} {
		t.Run(loc, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t)
			e.fake.Locale = loc
			must(t, e.st.Write(ctx, "tech", func(w *store.Writer) error {
				_, err := w.PutDevice(store.Device{AssetTag: "NEW-1", Serial: "S1", Manufacturer: "BD", Model: "Alaris 8015"})
				return err
			}))
			_, ps := e.sync()
			if len(e.byTag("NEW-1")) != 1 || ps.Acked != 1 {
				t.Fatalf("push = %+v, assets %+v", ps, e.byTag("NEW-1"))
			}
		})
	}
}

// Item 6: before v8.1.0 the audit route is POST /hardware/audit with
// asset_tag.
func TestAuditOnPre81Server(t *testing.T) {
	for _, v := range []string{"v6.4.2", "v8.0.4", "v8.1.0"} {
		t.Run(v, func(t *testing.T) {
			e := newEnv(t)
			e.fake.Version = v
			e.asset("BME-1", "MAIN/3/3W-12")
			e.sync()
			e.edit("BME-1", store.OpAudit, func(d *store.Device) { d.LastAudited = e.clock.Now() })
			_, ps := e.sync()
			if a := e.byTag("BME-1")[0]; a.Audits != 1 || ps.Acked != 1 {
				t.Fatalf("audits %d, push %+v", a.Audits, ps)
			}
		})
	}
}

// Item 7: last_audit_date is in the server's time zone; a lost audit
// answer is recognised there too, and the audit is posted once.
func TestAuditInServerZonePostedOnce(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Pacific/Auckland", "Asia/Kolkata"} {
		t.Run(zone, func(t *testing.T) {
			loc, err := time.LoadLocation(zone)
			if err != nil {
				t.Skip(err)
			}
			e := newEnv(t)
			e.fake.Zone = loc
			e.asset("BME-1", "MAIN/3/3W-12")
			e.sync()
			e.edit("BME-1", store.OpAudit, func(d *store.Device) { d.LastAudited = e.clock.Now() })
			e.fake.InjectWrite(fault.DropAfterCommit, fault.DropAfterCommit)
			for i := 0; i < 6; i++ {
				e.sync()
			}
			if a := e.byTag("BME-1")[0]; a.Audits != 1 {
				t.Fatalf("%d audits after 6 syncs, want 1", a.Audits)
			}
		})
	}
}

// Item 8: a retried audit keeps next_audit_date. An edited audit date
// goes out as an audit; when its first attempt fails after the PATCH of
// next_audit_date landed, the retry's merge finds next_audit_due agreed,
// and the audit must still carry it (the server otherwise resets it to
// now plus its audit_interval).
func TestRetriedAuditKeepsNextAuditDate(t *testing.T) {
	for _, op := range []store.Op{store.OpUpdate, store.OpAudit} {
		t.Run(string(op), func(t *testing.T) {
			e := newEnv(t)
			e.asset("BME-1", "MAIN/3/3W-12")
			e.sync()
			e.edit("BME-1", op, func(d *store.Device) {
				d.LastAudited = e.clock.Now()
				d.NextAuditDue = time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)
			})
			failAudit := true
			e.fake.FaultFunc = func(r *http.Request) fault.Kind {
				if failAudit && strings.HasSuffix(r.URL.Path, "audit") {
					return fault.Unavailable // refused without acting
				}
				return fault.None
			}
			e.sync()
			failAudit = false
			e.sync()
			e.sync()
			a := e.byTag("BME-1")[0]
			if a.Audits == 0 || a.NextAudit != "2027-03-01" {
				t.Fatalf("audits %d, next audit %q, want 2027-03-01", a.Audits, a.NextAudit)
			}
		})
	}
}

// Item 9: a read error during the audit re-check is transient: the audit
// and the device's other changes are retried, and other devices go on.
func TestAuditRecheckReadErrorIsTransient(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.asset("BME-1", "MAIN/3/3W-12")
	e.asset("BME-2", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpAudit, func(d *store.Device) { d.LastAudited = e.clock.Now(); d.Serial = "NEW-SERIAL" })
	e.edit("BME-2", store.OpUpdate, func(d *store.Device) { d.Serial = "OTHER" })
	phase := "audit-fails"
	e.fake.FaultFunc = func(r *http.Request) fault.Kind {
		switch {
		case phase == "audit-fails" && strings.HasSuffix(r.URL.Path, "/audit"):
			return fault.Unavailable // not acted on: the op is retried
		case phase == "read-fails" && r.Method == http.MethodGet && regexp.MustCompile(`^/api/v1/hardware/\d+$`).MatchString(r.URL.Path):
			return fault.InternalError // the re-check cannot read
		}
		return fault.None
	}
	e.sync()
	phase = "read-fails"
	e.sync()
	phase = ""
	if c := e.counts(); c[store.StateRejected] != 0 {
		es, _ := e.st.Journal(ctx, store.JournalQuery{States: []store.EntryState{store.StateRejected}})
		t.Fatalf("journal = %v: %+v", c, es)
	}
	e.sync()
	if c := e.counts(); c[store.StateAcked] != 2 || c[store.StateRejected] != 0 {
		t.Fatalf("journal = %v", c)
	}
	if a := e.byTag("BME-1")[0]; a.Audits != 1 || a.Serial != "NEW-SERIAL" {
		t.Fatalf("BME-1 = %+v", a)
	}
}

// Item 9 (second half): one failed read in the pre-push fetch does not
// abandon the push of the other devices. The listing of changes since
// the pull fails too here, so that the push falls back to reading each
// device.
func TestFetchReadErrorIsolatesDevice(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for i := 1; i <= 3; i++ {
		e.asset(fmt.Sprintf("BME-%d", i), "MAIN/3/3W-12")
	}
	e.sync()
	for i := 1; i <= 3; i++ {
		e.edit(fmt.Sprintf("BME-%d", i), store.OpUpdate, func(d *store.Device) { d.Serial = fmt.Sprint("X", i) })
	}
	n := 0
	e.fake.FaultFunc = func(r *http.Request) fault.Kind {
		if strings.Contains(r.URL.Path, "bytag/BME-2") || r.Method == http.MethodGet && r.URL.Path == "/api/v1/hardware" {
			n++
			return fault.InternalError
		}
		return fault.None
	}
	_, ps, err := e.eng.Sync(ctx, false, true)
	if err != nil {
		t.Fatalf("push failed as a whole: %v", err)
	}
	if ps.Acked != 2 {
		t.Fatalf("push = %+v, want the two readable devices acked", ps)
	}
	if c := e.counts(); c[store.StateRejected] != 0 {
		t.Fatalf("journal = %v", c)
	}
}

// Item 10: custom fields outside the model's fieldset are ignored by the
// server; the change is not acked as delivered.
func TestCustomFieldOutsideFieldsetNotAcked(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, func(c *snipeit.Config, _ *transport.Config) {
		c.Fields = map[string]string{"mac": "_snipeit_mac_address_1", "firmware_version": "_snipeit_firmware_3"}
	})
	e.fake.Fieldsets = map[int][]string{e.model: {"_snipeit_mac_address_1"}}
	e.asset("BME-1", "MAIN/3/3W-12")
	e.sync()
	e.edit("BME-1", store.OpUpdate, func(d *store.Device) { d.FirmwareVersion = "2.1" })
	e.sync()
	es, _ := e.st.Journal(ctx, store.JournalQuery{AssetTag: "BME-1"})
	last := es[len(es)-1]
	if last.State == store.StateAcked {
		t.Fatalf("a write the server ignored was acked: %+v", last)
	}
	if !strings.Contains(last.LastError, "_snipeit_firmware_3") || !strings.Contains(last.LastError, "fieldset") {
		t.Errorf("error does not say why: %q", last.LastError)
	}
}
