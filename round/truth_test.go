package round_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

func byTag(t *testing.T, v round.Visit, tag string) round.Item {
	t.Helper()
	for _, it := range v.Items {
		if it.Finding.Device != nil && it.Finding.Device.AssetTag == tag {
			return it
		}
	}
	t.Fatalf("no finding for %s", tag)
	return round.Item{}
}

func hasFlag(it round.Item, k reconcile.FlagKind) bool {
	for _, f := range it.Finding.Flags {
		if f.Kind == k {
			return true
		}
	}
	return false
}

// A unit missing in one room but found present in another room of the
// round is shown as seen there, and mark missing is refused.
func TestSeenElsewhereRefusesMissing(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v12 := sweptVisit(t, e, rd)
	missing := byTag(t, v12, "BME-1003")
	if missing.Finding.Kind != reconcile.Missing {
		t.Fatalf("BME-1003 is %s", missing.Finding.Kind)
	}
	// BME-1003 turns up in 3W-14: its sweep sees the pump's MAC.
	room14, err := e.Store.Location(ctx, roundtest.Rooms[1])
	if err != nil {
		t.Fatal(err)
	}
	id, err := e.Begin(ctx, rd.ID, room14)
	if err != nil {
		t.Fatal(err)
	}
	v14, err := e.Finish(ctx, id, room14, []scan.Observation{roundtest.IPObs("127.0.14.20", "00:09:fb:00:00:03")}, round.Swept{IP: true})
	if err != nil {
		t.Fatal(err)
	}
	if it := byTag(t, v14, "BME-1003"); it.Finding.Kind != reconcile.MovedHere {
		t.Fatalf("BME-1003 in 3W-14 is %s", it.Finding.Kind)
	}
	v12, err = e.Visit(ctx, v12.ID)
	if err != nil {
		t.Fatal(err)
	}
	it := byTag(t, v12, "BME-1003")
	if it.SeenIn != roundtest.Rooms[1] || it.Open() {
		t.Fatalf("BME-1003 in 3W-12: seen in %q, open %v", it.SeenIn, it.Open())
	}
	n := journalLen(t, e.Store)
	_, err = e.Apply(ctx, v12, it, round.Action{Kind: round.MarkMissing})
	if !errors.Is(err, round.ErrSeenElsewhere) {
		t.Fatalf("mark missing: %v, want ErrSeenElsewhere", err)
	}
	if journalLen(t, e.Store) != n {
		t.Fatal("refused action journalled")
	}
	rep, err := e.Report(ctx, rd.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, rm := range rep.Rooms {
		for _, f := range rm.Findings {
			if f.Kind == reconcile.Missing && f.Counted() {
				t.Errorf("report counts %s missing in %s (%q)", f.Device.AssetTag, rm.Key, f.Resolution)
			}
		}
	}
}

func journalLen(t *testing.T, st *store.Store) int {
	t.Helper()
	es, err := st.Journal(context.Background(), store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

// Flags follow the record after an action: corrected firmware clears
// FW<MIN, a confirmation clears AUDIT DUE; a second confirm is refused.
func TestFlagsRecomputedAfterAction(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	pump := byTag(t, v, "BME-1001")
	if !hasFlag(pump, reconcile.FirmwareBelowMin) {
		t.Fatal("setup: no FW<MIN")
	}
	got, err := e.Apply(ctx, v, pump, round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "12.4"})
	if err != nil {
		t.Fatal(err)
	}
	if hasFlag(got, reconcile.FirmwareBelowMin) {
		t.Fatal("FW<MIN still shown after the correction")
	}
	mon := byTag(t, v, "BME-1002")
	got, err = e.Apply(ctx, v, mon, round.Action{Kind: round.Confirm})
	if err != nil {
		t.Fatal(err)
	}
	if hasFlag(got, reconcile.AuditOverdue) {
		t.Fatal("AUDIT DUE still shown after confirming")
	}
	// Stored, not only returned.
	v, err = e.Visit(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if hasFlag(byTag(t, v, "BME-1002"), reconcile.AuditOverdue) {
		t.Fatal("stored finding keeps AUDIT DUE")
	}
	n := journalLen(t, e.Store)
	if _, err := e.Apply(ctx, v, byTag(t, v, "BME-1002"), round.Action{Kind: round.Confirm}); !errors.Is(err, round.ErrAlreadyDone) {
		t.Fatalf("second confirm: %v", err)
	}
	if journalLen(t, e.Store) != n {
		t.Fatal("second confirm journalled")
	}
}

// An unknown unit whose model is not in the catalog can be adopted; an
// unknown unit dismissed is remembered by identity across a re-sweep.
func TestAdoptOutsideCatalogAndDismiss(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	var ble, ip round.Item
	for _, it := range v.Items {
		if it.Finding.Kind == reconcile.Unknown && len(it.Finding.Observations) > 0 {
			if it.Finding.Observations[0].BLE != nil {
				ble = it
			} else {
				ip = it
			}
		}
	}
	got, err := e.Apply(ctx, v, ip, round.Action{Kind: round.Adopt, AssetTag: "BME-3001", Manufacturer: "Acme", Model: "Gluco 9"})
	if err != nil {
		t.Fatalf("adopt outside the catalog: %v", err)
	}
	if got.Finding.Kind == reconcile.Unknown {
		t.Error("adopted unit still unknown")
	}
	if _, err := e.Apply(ctx, v, ble, round.Action{Kind: round.Dismiss, Text: "patient-owned"}); err != nil {
		t.Fatal(err)
	}
	room, _ := e.Store.Location(ctx, roundtest.Rooms[0])
	again, err := e.Finish(ctx, v.ID, room, roundtest.Room12(), round.Swept{IP: true, BLE: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range again.Items {
		if it.Finding.Kind == reconcile.Unknown && it.Finding.Observations[0].BLE != nil {
			if it.Dismissed != "patient-owned" || it.Open() {
				t.Fatalf("re-swept dismissed unit: %q open %v", it.Dismissed, it.Open())
			}
			return
		}
	}
	t.Fatal("BLE unit not found after re-sweep")
}

// Undo takes an unsent action back with a compensating entry, in one
// transaction; once sent, it is refused.
func TestUndo(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	missing := byTag(t, v, "BME-1003")
	got, err := e.Apply(ctx, v, missing, round.Action{Kind: round.MarkMissing})
	if err != nil {
		t.Fatal(err)
	}
	back, err := e.Undo(ctx, v, got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Action != "" || !back.Open() {
		t.Fatalf("after undo: action %q open %v", back.Action, back.Open())
	}
	d, err := e.Store.Device(ctx, "BME-1003")
	if err != nil || d.Status != store.StatusInService {
		t.Fatalf("status %s, %v", d.Status, err)
	}
	es, err := e.Store.Journal(ctx, store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[1].Op != store.OpUpdate {
		t.Fatalf("journal %+v, want the change and its compensation", es)
	}
	if _, err := e.Undo(ctx, v, back); !errors.Is(err, round.ErrNothingToUndo) {
		t.Fatalf("second undo: %v", err)
	}
	// Sent actions stay.
	got, err = e.Apply(ctx, v, back, round.Action{Kind: round.MarkMissing})
	if err != nil {
		t.Fatal(err)
	}
	es, _ = e.Store.Journal(ctx, store.JournalQuery{})
	if err := e.Store.SetStates(ctx, []store.Transition{{Seq: es[len(es)-1].Seq, State: store.StateInFlight}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Undo(ctx, v, got); !errors.Is(err, round.ErrSynced) {
		t.Fatalf("undo of a sent action: %v", err)
	}
	hist, err := e.History(ctx, rd.ID)
	if err != nil || len(hist) != 2 || hist[1].UndoneAt.IsZero() {
		t.Fatalf("history %+v, %v", hist, err)
	}
}

// The report folds undone actions under the finding and carries notes
// with author and time, in every format.
func TestReportFoldsUndoAndNotes(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	it := byTag(t, v, "BME-1003")
	got, err := e.Apply(ctx, v, it, round.Action{Kind: round.MarkMissing})
	if err != nil {
		t.Fatal(err)
	}
	if got, err = e.Undo(ctx, v, got); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(ctx, v, got, round.Action{Kind: round.Note, Text: "found in CT, bezel cracked"}); err != nil {
		t.Fatal(err)
	}
	rep, err := e.Report(ctx, rd.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []report.Format{report.Text, report.CSV, report.HTML, report.JSON} {
		var b strings.Builder
		if err := report.Write(&b, f, rep); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"marked missing", "found in CT, bezel cracked", "tech"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("%s report lacks %q", f, want)
			}
		}
	}
}
