package round_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// failingRecompute is the store-backed reconciler whose recompute fails
// once armed, as a reconcile that errors inside the action would.
type failingRecompute struct {
	round.StoreReconciler
	armed bool
}

func (f *failingRecompute) Prepare(ctx context.Context, room store.Location, obs []scan.Observation, swept round.Swept, now time.Time) (func(...store.Device) ([]reconcile.Finding, error), error) {
	run, err := f.StoreReconciler.Prepare(ctx, room, obs, swept, now)
	if err != nil {
		return nil, err
	}
	return func(ch ...store.Device) ([]reconcile.Finding, error) {
		if f.armed {
			return nil, errors.New("recompute failed")
		}
		return run(ch...)
	}, nil
}

func (f *failingRecompute) Reconcile(ctx context.Context, room store.Location, obs []scan.Observation, swept round.Swept, now time.Time) ([]reconcile.Finding, error) {
	run, err := f.Prepare(ctx, room, obs, swept, now)
	if err != nil {
		return nil, err
	}
	return run()
}

// TestRecomputeFailureRollsBackTheAction: the flags are recomputed in the
// action's transaction, so a recompute that fails leaves the device, the
// journal and the finding as they were. (Before, the action committed
// first and the flags were written by a second transaction.)
func TestRecomputeFailureRollsBackTheAction(t *testing.T) {
	e, rd := engine(t)
	fr := &failingRecompute{StoreReconciler: round.StoreReconciler{Store: e.Store}}
	e.Reconcile = fr
	v := sweptVisit(t, e, rd)
	it := item(t, v, reconcile.Verified, "BME-1001")
	before := len(journalFor(t, e.Store, "BME-1001"))
	fr.armed = true
	if _, err := e.Apply(context.Background(), v, it, round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "12.1.2"}); err == nil {
		t.Fatal("Apply succeeded with a failing recompute")
	}
	d, err := e.Store.Device(context.Background(), "BME-1001")
	if err != nil || d.FirmwareVersion == "12.1.2" {
		t.Fatalf("firmware %q (%v): the action was kept", d.FirmwareVersion, err)
	}
	if n := len(journalFor(t, e.Store, "BME-1001")); n != before {
		t.Fatalf("journal %d entries, was %d", n, before)
	}
	v2, err := e.Visit(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, it2 := range v2.Items {
		if it2.ID == it.ID && it2.Action != "" {
			t.Fatalf("finding action %q stored", it2.Action)
		}
	}
	// Disarmed, the same action goes through with its new flags.
	fr.armed = false
	got, err := e.Apply(context.Background(), v, it, round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "12.1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if hasFlag(got, reconcile.FirmwareBelowMin) {
		t.Errorf("flags %+v: firmware corrected yet still below minimum", got.Finding.Flags)
	}
}

// TestActionFlagsCommitWithTheAction: with the store-backed reconciler
// the finding's flags and kind, as stored, are those of the record after
// the action.
func TestActionFlagsCommitWithTheAction(t *testing.T) {
	tests := []struct {
		name   string
		kind   reconcile.Kind
		tag    string
		action round.Action
		check  func(t *testing.T, f reconcile.Finding)
	}{
		{"firmware corrected", reconcile.Verified, "BME-1001", round.Action{Kind: round.Correct, Field: round.FieldFirmware, Value: "12.1.2"},
			func(t *testing.T, f reconcile.Finding) {
				if hasFlag(round.Item{Finding: f}, reconcile.FirmwareBelowMin) {
					t.Errorf("still below minimum: %+v", f.Flags)
				}
			}},
		{"adopted", reconcile.Unknown, "", round.Action{Kind: round.Adopt, AssetTag: "BME-2001", Manufacturer: "Masimo", Model: "Rad-97"},
			func(t *testing.T, f reconcile.Finding) {
				if f.Kind == reconcile.Unknown || f.Device == nil || f.Device.AssetTag != "BME-2001" {
					t.Errorf("adopted finding %s %+v", f.Kind, f.Device)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, rd := engine(t)
			e.Reconcile = &round.StoreReconciler{Store: e.Store}
			v := sweptVisit(t, e, rd)
			it := item(t, v, tt.kind, tt.tag)
			got, err := e.Apply(context.Background(), v, it, tt.action)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got.Finding)
			v2, err := e.Visit(context.Background(), v.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, it2 := range v2.Items {
				if it2.ID == it.ID {
					tt.check(t, it2.Finding)
				}
			}
		})
	}
}

// TestUndoNoteWithdraws: a note not yet synced is taken back by a
// compensating note naming it; the finding reads as before; the original
// stays (notes and the journal are only added to). An adoption is still
// refused.
func TestUndoNoteWithdraws(t *testing.T) {
	ctx := context.Background()
	e, rd := engine(t)
	v := sweptVisit(t, e, rd)
	it := item(t, v, reconcile.Missing, "BME-1003")
	got, err := e.Apply(ctx, v, it, round.Action{Kind: round.Note, Text: "behind the curtain"})
	if err != nil {
		t.Fatal(err)
	}
	before := len(journalFor(t, e.Store, "BME-1003"))
	back, err := e.Undo(ctx, v, got)
	if err != nil {
		t.Fatal(err)
	}
	if back.Action != "" {
		t.Errorf("finding action %q after undo", back.Action)
	}
	ns, err := e.Store.Notes(ctx, "BME-1003")
	if err != nil || len(ns) != 2 || ns[0].Text != "behind the curtain" || ns[1].Text != "withdrawn: behind the curtain" {
		t.Fatalf("notes %+v %v", ns, err)
	}
	es := journalFor(t, e.Store, "BME-1003")
	if len(es) != before+1 || es[len(es)-1].Op != store.OpNote {
		t.Fatalf("journal %+v: want one compensating note entry", es)
	}
	if _, err := e.Undo(ctx, v, back); !errors.Is(err, round.ErrNothingToUndo) {
		t.Fatalf("second undo: %v", err)
	}

	unk := item(t, v, reconcile.Unknown, "")
	ad, err := e.Apply(ctx, v, unk, round.Action{Kind: round.Adopt, AssetTag: "BME-2001", Manufacturer: "Masimo", Model: "Rad-97"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Undo(ctx, v, ad); !errors.Is(err, round.ErrNotApplicable) {
		t.Fatalf("undo of an adoption: %v", err)
	}
}
