package round

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// Begin opens a visit of room within round roundID (zero for a visit
// outside any round).
func (e *Engine) Begin(ctx context.Context, roundID int64, room store.Location) (int64, error) {
	var id int64
	err := e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
		var err error
		id, err = w.BeginVisit(roundID, room.Key)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("begin visit of %s: %w", room.Key, err)
	}
	return id, nil
}

// Finish reconciles what the sweep of a visit saw and stores the
// observations and findings with the visit, all in one transaction; the
// visit becomes "swept". Finishing a visit again replaces its
// observations and findings (a re-sweep). Visit id zero stores a new visit
// outside any round (a one-off `rounds scan --room`).
func (e *Engine) Finish(ctx context.Context, visitID int64, room store.Location, obs []scan.Observation, swept Swept) (Visit, error) {
	if e.Reconcile == nil {
		return Visit{}, ErrNoReconciler
	}
	obs = Latest(obs)
	fs, err := e.Reconcile.Reconcile(ctx, room, obs, swept, e.now())
	if err != nil {
		return Visit{}, fmt.Errorf("reconcile %s: %w", room.Key, err)
	}
	rec, err := Record(room, obs, fs, swept)
	if err != nil {
		return Visit{}, fmt.Errorf("store visit of %s: %w", room.Key, err)
	}
	rec.ID = visitID
	rec.StartedAt = e.now()
	err = e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
		visitID, err = w.SaveVisit(rec)
		return err
	})
	if err != nil {
		return Visit{}, fmt.Errorf("store visit of %s: %w", room.Key, err)
	}
	return e.Visit(ctx, visitID)
}

// Record turns a room's observations and findings into the stored form of
// a visit.
func Record(room store.Location, obs []scan.Observation, fs []reconcile.Finding, swept Swept) (store.VisitRecord, error) {
	v := store.VisitRecord{LocationKey: room.Key, IPSwept: swept.IP, BLESwept: swept.BLE, Status: store.VisitSwept}
	for _, o := range obs {
		b, err := json.Marshal(o)
		if err != nil {
			return v, err
		}
		v.Observations = append(v.Observations, store.VisitObservation{Key: o.Key(), Source: string(o.Source), SeenAt: o.Time, Data: b})
	}
	for _, f := range fs {
		b, err := json.Marshal(f)
		if err != nil {
			return v, err
		}
		vf := store.VisitFinding{Kind: string(f.Kind), Data: b}
		if f.Device != nil {
			vf.DeviceID = f.Device.ID
		}
		if len(f.Observations) > 0 {
			vf.ObservationKey = f.Observations[0].Key()
		}
		v.Findings = append(v.Findings, vf)
	}
	return v, nil
}

// Latest keeps the last observation for each key (a later observation of
// the same host or advertiser supersedes an earlier one), in the order
// the keys were first seen.
func Latest(obs []scan.Observation) []scan.Observation { return scan.Latest(obs) }

// Done closes a visit: the technician is finished with the room.
func (e *Engine) Done(ctx context.Context, visitID int64) error {
	return e.Store.Write(ctx, e.actor(), func(w *store.Writer) error {
		return w.CloseVisit(visitID)
	})
}

// Visit loads a visit with its findings in stored order. A unit missing
// or unverified here but found present in another room of the same round
// carries where (Item.SeenIn), and an unknown unit dismissed before
// carries the reason (Item.Dismissed).
func (e *Engine) Visit(ctx context.Context, id int64) (Visit, error) {
	head, rows, err := e.Store.Visit(ctx, id)
	if err != nil {
		return Visit{}, err
	}
	v := Visit{ID: head.ID, RoundID: head.RoundID, Status: head.Status, StartedAt: head.StartedAt, FinishedAt: head.FinishedAt}
	if v.Room, err = e.Store.Location(ctx, head.LocationKey); err != nil {
		return v, fmt.Errorf("visit %d: room %s: %w", id, head.LocationKey, err)
	}
	var idents []string
	for _, r := range rows {
		it := Item{ID: r.ID, DeviceID: r.DeviceID, Action: r.Action, ActedAt: r.ActedAt}
		if err := json.Unmarshal([]byte(r.Data), &it.Finding); err != nil {
			return v, fmt.Errorf("visit %d finding %d: %w", id, r.ID, err)
		}
		if it.Finding.Kind == reconcile.Unknown && len(it.Finding.Observations) > 0 {
			idents = append(idents, it.Finding.Observations[0].Key())
		}
		v.Items = append(v.Items, it)
	}
	if err := e.annotate(ctx, &v, idents); err != nil {
		return v, fmt.Errorf("visit %d: %w", id, err)
	}
	return v, nil
}

// annotate marks the items settled outside their own action: units found
// elsewhere in the round, unknown units dismissed before.
func (e *Engine) annotate(ctx context.Context, v *Visit, idents []string) error {
	if v.RoundID != 0 {
		seen, err := e.Store.RoundSightings(ctx, v.RoundID)
		if err != nil {
			return err
		}
		for i := range v.Items {
			it := &v.Items[i]
			if it.DeviceID == 0 || (it.Finding.Kind != reconcile.Missing && it.Finding.Kind != reconcile.Unverified) {
				continue
			}
			if sg, ok := seen[it.DeviceID]; ok && sg.VisitID != v.ID && sg.LocationKey != v.Room.Key {
				it.SeenIn, it.SeenAt = sg.LocationKey, sg.At
			}
		}
	}
	for i := range v.Items {
		it := &v.Items[i]
		if d := it.Finding.Device; d != nil && d.AssetTag != "" {
			ns, err := e.Store.Notes(ctx, d.AssetTag)
			if err != nil {
				return fmt.Errorf("notes of %s: %w", d.AssetTag, err)
			}
			it.Notes = ns
		}
	}
	if len(idents) == 0 {
		return nil
	}
	ds, err := e.Store.Dismissals(ctx, idents)
	if err != nil {
		return err
	}
	for i := range v.Items {
		it := &v.Items[i]
		if it.Finding.Kind == reconcile.Unknown && len(it.Finding.Observations) > 0 {
			if d, ok := ds[it.Finding.Observations[0].Key()]; ok {
				it.Dismissed = d.Reason
			}
		}
	}
	return nil
}

// LatestVisit returns the newest visit of a room within a round, or
// store.ErrNotFound.
func (e *Engine) LatestVisit(ctx context.Context, roundID int64, roomKey string) (Visit, error) {
	id, err := e.Store.LatestVisitID(ctx, roundID, roomKey)
	if err != nil {
		return Visit{}, err
	}
	return e.Visit(ctx, id)
}

// setAction records what was done about a finding and the finding as it
// now stands, inside the action's transaction.
func setAction(w *store.Writer, findingID int64, action string, f reconcile.Finding) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return w.SetFindingAction(findingID, action, b)
}

// kindOf is a shorthand used by the actions.
func kindOf(it Item) reconcile.Kind { return it.Finding.Kind }
