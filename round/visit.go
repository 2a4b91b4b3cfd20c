package round

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

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

// Visit loads a visit with its findings in stored order.
func (e *Engine) Visit(ctx context.Context, id int64) (Visit, error) {
	db := e.Store.DB()
	var v Visit
	var rid sql.NullInt64
	var key, started, finished string
	err := db.QueryRowContext(ctx, `SELECT v.id, v.round_id, l.key, v.status, v.started_at, v.finished_at
		FROM visits v JOIN locations l ON l.id = v.location_id WHERE v.id = ?`, id).
		Scan(&v.ID, &rid, &key, &v.Status, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("visit %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("visit %d: %w", id, err)
	}
	v.RoundID = rid.Int64
	v.StartedAt, _ = time.Parse(time.RFC3339, started)
	v.FinishedAt, _ = time.Parse(time.RFC3339, finished)
	if v.Room, err = e.Store.Location(ctx, key); err != nil {
		return v, fmt.Errorf("visit %d: room %s: %w", id, key, err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, data, action, acted_at FROM findings WHERE visit_id = ? ORDER BY id", id)
	if err != nil {
		return v, fmt.Errorf("visit %d findings: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var it Item
		var data, acted string
		if err := rows.Scan(&it.ID, &data, &it.Action, &acted); err != nil {
			return v, err
		}
		if err := json.Unmarshal([]byte(data), &it.Finding); err != nil {
			return v, fmt.Errorf("visit %d finding %d: %w", id, it.ID, err)
		}
		it.ActedAt, _ = time.Parse(time.RFC3339, acted)
		v.Items = append(v.Items, it)
	}
	return v, rows.Err()
}

// LatestVisit returns the newest visit of a room within a round, or
// store.ErrNotFound.
func (e *Engine) LatestVisit(ctx context.Context, roundID int64, roomKey string) (Visit, error) {
	var id int64
	err := e.Store.DB().QueryRowContext(ctx, `SELECT v.id FROM visits v JOIN locations l ON l.id = v.location_id
		WHERE v.round_id = ? AND l.key = ? ORDER BY v.id DESC LIMIT 1`, roundID, roomKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Visit{}, store.ErrNotFound
	}
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
