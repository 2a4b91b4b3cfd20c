package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// VisitRecord is one sweep of one room with what it saw and concluded,
// stored together by SaveVisit. Observations and findings are kept as the
// JSON their packages (scan, reconcile) write; store does not read them.
type VisitRecord struct {
	ID      int64 `json:"id"`
	RoundID int64 `json:"round_id,omitempty"`
	// LocationKey names the room (it must exist).
	LocationKey string    `json:"location"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	BLESwept    bool      `json:"ble_swept"`
	IPSwept     bool      `json:"ip_swept"`
	// Status is open, swept or done; empty means swept.
	Status       string             `json:"status"`
	Observations []VisitObservation `json:"observations,omitempty"`
	Findings     []VisitFinding     `json:"findings,omitempty"`
}

// VisitObservation is one stored observation; Key is unique per visit.
type VisitObservation struct {
	Key    string          `json:"key"`
	Source string          `json:"source"`
	SeenAt time.Time       `json:"seen_at"`
	Data   json.RawMessage `json:"data"`
}

// VisitFinding is one stored finding. DeviceID (zero for none) and
// ObservationKey (empty for none) link it to a device and to the visit's
// observation.
type VisitFinding struct {
	ID             int64           `json:"id,omitempty"`
	Kind           string          `json:"kind"`
	DeviceID       int64           `json:"device_id,omitempty"`
	ObservationKey string          `json:"observation_key,omitempty"`
	Data           json.RawMessage `json:"data"`
	Action         string          `json:"action,omitempty"`
}

// SaveVisit stores a visit with its observations and findings in one
// transaction and returns the visit id.
func (s *Store) SaveVisit(ctx context.Context, v VisitRecord) (int64, error) {
	var id int64
	err := s.Write(ctx, "rounds", func(w *Writer) error {
		var err error
		id, err = w.SaveVisit(v)
		return err
	})
	return id, err
}

// SaveVisit stores a visit inside the writer's transaction. With v.ID
// zero it inserts a new visit; with the id of an open or swept visit it
// replaces that visit's observations and findings (a re-sweep) and updates
// its status and sweeps. A later observation with a key already stored
// replaces the earlier one.
func (w *Writer) SaveVisit(v VisitRecord) (int64, error) {
	if v.Status == "" {
		v.Status = VisitSwept
	}
	id := v.ID
	if id != 0 {
		if err := w.resetVisit(v); err != nil {
			return 0, err
		}
	} else {
		locID, err := w.locationID(v.LocationKey)
		if err != nil {
			return 0, fmt.Errorf("visit of %s: %w", v.LocationKey, err)
		}
		if v.StartedAt.IsZero() {
			v.StartedAt = w.now
		}
		var round any
		if v.RoundID != 0 {
			round = v.RoundID
		}
		res, err := w.exec(`INSERT INTO visits (round_id, location_id, started_at, finished_at, ble_swept, ip_swept, status)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, round, locID, FormatInstant(v.StartedAt), FormatInstant(v.FinishedAt),
			v.BLESwept, v.IPSwept, v.Status)
		if err != nil {
			return 0, fmt.Errorf("visit of %s: %w", v.LocationKey, err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, err
		}
	}
	obsID := map[string]int64{}
	for _, o := range v.Observations {
		if !json.Valid(o.Data) {
			return 0, fmt.Errorf("%w: observation %s: data is not JSON", ErrConstraint, o.Key)
		}
		if _, err := w.exec(`INSERT INTO observations (visit_id, key, source, seen_at, data) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (visit_id, key) DO UPDATE SET source = excluded.source, seen_at = excluded.seen_at, data = excluded.data`,
			id, o.Key, o.Source, FormatInstant(o.SeenAt), string(o.Data)); err != nil {
			return 0, fmt.Errorf("observation %s: %w", o.Key, err)
		}
		st, err := w.stmt("SELECT id FROM observations WHERE visit_id = ? AND key = ?")
		if err != nil {
			return 0, err
		}
		var oid int64
		if err := st.QueryRowContext(w.ctx, id, o.Key).Scan(&oid); err != nil {
			return 0, translate(err)
		}
		obsID[o.Key] = oid
	}
	for i, f := range v.Findings {
		if !json.Valid(f.Data) {
			return 0, fmt.Errorf("%w: finding %d: data is not JSON", ErrConstraint, i)
		}
		var dev, ob any
		if f.DeviceID != 0 {
			dev = f.DeviceID
		}
		if f.ObservationKey != "" {
			oid, ok := obsID[f.ObservationKey]
			if !ok {
				return 0, fmt.Errorf("%w: finding %d names observation %q, not in this visit", ErrConstraint, i, f.ObservationKey)
			}
			ob = oid
		}
		if _, err := w.exec(`INSERT INTO findings (visit_id, kind, device_id, observation_id, data) VALUES (?, ?, ?, ?, ?)`,
			id, f.Kind, dev, ob, string(f.Data)); err != nil {
			return 0, fmt.Errorf("finding %d: %w", i, err)
		}
	}
	return id, nil
}

// BeginVisit opens a visit of the room with the given key, within round
// roundID (zero for none), and returns its id.
func (w *Writer) BeginVisit(roundID int64, locationKey string) (int64, error) {
	id, err := w.SaveVisit(VisitRecord{RoundID: roundID, LocationKey: locationKey, Status: VisitOpen})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// resetVisit clears a visit's observations and findings and records its
// new status and sweeps, ahead of storing a re-sweep.
func (w *Writer) resetVisit(v VisitRecord) error {
	if _, err := w.exec("DELETE FROM findings WHERE visit_id = ?", v.ID); err != nil {
		return fmt.Errorf("visit %d: %w", v.ID, err)
	}
	if _, err := w.exec("DELETE FROM observations WHERE visit_id = ?", v.ID); err != nil {
		return fmt.Errorf("visit %d: %w", v.ID, err)
	}
	res, err := w.exec("UPDATE visits SET status = ?, ble_swept = ?, ip_swept = ?, finished_at = ? WHERE id = ?",
		v.Status, v.BLESwept, v.IPSwept, FormatInstant(v.FinishedAt), v.ID)
	if err != nil {
		return fmt.Errorf("visit %d: %w", v.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("visit %d: %w", v.ID, ErrNotFound)
	}
	return nil
}

// CloseVisit marks a visit done: the technician has finished the room.
func (w *Writer) CloseVisit(id int64) error {
	res, err := w.exec("UPDATE visits SET status = ?, finished_at = ? WHERE id = ?", VisitDone, FormatInstant(w.now), id)
	if err != nil {
		return fmt.Errorf("visit %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("visit %d: %w", id, ErrNotFound)
	}
	return nil
}

// SetFindingAction records what the technician did about a finding and
// the finding as it now stands (data, the reconcile finding as JSON),
// inside the transaction that made the change itself.
func (w *Writer) SetFindingAction(findingID int64, action string, data json.RawMessage) error {
	if !json.Valid(data) {
		return fmt.Errorf("%w: finding %d: data is not JSON", ErrConstraint, findingID)
	}
	res, err := w.exec("UPDATE findings SET action = ?, acted_at = ?, data = ? WHERE id = ?",
		action, FormatInstant(w.now), string(data), findingID)
	if err != nil {
		return fmt.Errorf("finding %d: %w", findingID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finding %d: %w", findingID, ErrNotFound)
	}
	return nil
}

// VisitRecord reads a stored visit with its observations and findings.
func (s *Store) VisitRecord(ctx context.Context, id int64) (VisitRecord, error) {
	var v VisitRecord
	var round sql.NullInt64
	var started, finished string
	err := s.db.QueryRowContext(ctx, `SELECT v.id, v.round_id, l.key, v.started_at, v.finished_at, v.ble_swept, v.ip_swept, v.status
		FROM visits v JOIN locations l ON l.id = v.location_id WHERE v.id = ?`, id).
		Scan(&v.ID, &round, &v.LocationKey, &started, &finished, &v.BLESwept, &v.IPSwept, &v.Status)
	if err != nil {
		return v, fmt.Errorf("visit %d: %w", id, translate(err))
	}
	v.RoundID, v.StartedAt, v.FinishedAt = round.Int64, parseInstant(started), parseInstant(finished)
	rows, err := s.db.QueryContext(ctx, "SELECT key, source, seen_at, data FROM observations WHERE visit_id = ? ORDER BY id", id)
	if err != nil {
		return v, translate(err)
	}
	for rows.Next() {
		var o VisitObservation
		var seen, data string
		if err := rows.Scan(&o.Key, &o.Source, &seen, &data); err != nil {
			rows.Close()
			return v, translate(err)
		}
		o.SeenAt, o.Data = parseInstant(seen), json.RawMessage(data)
		v.Observations = append(v.Observations, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return v, translate(err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT f.id, f.kind, COALESCE(f.device_id, 0), COALESCE(o.key, ''), f.data, f.action
		FROM findings f LEFT JOIN observations o ON o.id = f.observation_id WHERE f.visit_id = ? ORDER BY f.id`, id)
	if err != nil {
		return v, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var f VisitFinding
		var data string
		if err := rows.Scan(&f.ID, &f.Kind, &f.DeviceID, &f.ObservationKey, &data, &f.Action); err != nil {
			return v, translate(err)
		}
		f.Data = json.RawMessage(data)
		v.Findings = append(v.Findings, f)
	}
	return v, translate(rows.Err())
}

// DevicesByIdentifiers returns the devices carrying any of the
// identifiers, with their extra identifiers, plus every device that has a
// BLE name pattern (a wildcard cannot be looked up by value); a short
// hostname also finds records keeping the full name. It is how a
// one-off sweep builds its identifier index without reading the whole
// inventory: one indexed look-up per identifier through one prepared
// statement.
func (s *Store) DevicesByIdentifiers(ctx context.Context, ids []Identifier) ([]Device, error) {
	// Statements prepared once per store (s.prepared), not per call nor
	// per device: a visit looks up every observation's identifiers, and
	// re-preparing the 26-column device join per device was 39% of a
	// store-backed reconcile.
	st, err := s.prepared(ctx, "SELECT device_id FROM identifiers WHERE kind = ? AND value = ?")
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	var order []int64
	collect := func(rows *sql.Rows, err error) error {
		if err != nil {
			return translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return translate(err)
			}
			if !seen[id] {
				seen[id] = true
				order = append(order, id)
			}
		}
		return translate(rows.Err())
	}
	fqdn, err := s.prepared(ctx, "SELECT device_id FROM identifiers WHERE kind = 'hostname' AND value > ? AND value < ?")
	if err != nil {
		return nil, err
	}
	patterns, err := s.prepared(ctx, `SELECT device_id FROM identifiers
		WHERE kind = 'ble_name' AND (instr(value, '*') > 0 OR instr(value, '?') > 0 OR instr(value, '[') > 0)`)
	if err != nil {
		return nil, err
	}
	byID, err := s.prepared(ctx, "SELECT "+deviceColumns+deviceFrom+" WHERE d.id = ?")
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		v := NormalizeIdent(id.Kind, id.Value)
		if v == "" {
			continue
		}
		if err := collect(st.QueryContext(ctx, string(id.Kind), v)); err != nil {
			return nil, err
		}
		if id.Kind == IdentHostname && !strings.Contains(v, ".") {
			// A short name also finds the records that keep the full
			// name ("pump-1" finds "pump-1.ward.example"): the range
			// between "pump-1." and "pump-1/" ('/' follows '.').
			if err := collect(fqdn.QueryContext(ctx, v+".", v+"/")); err != nil {
				return nil, err
			}
		}
	}
	if err := collect(patterns.QueryContext(ctx)); err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(order))
	for _, id := range order {
		d, err := scanDevice(byID.QueryRowContext(ctx, id))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, s.LoadIdentifiers(ctx, out)
}

// LoadIdentifiers fills the Identifiers of each device with the extra
// identifiers (those not mirrored from a column: BLE names, UDIs, extra
// MACs), which decide how a device can be recognised.
func (s *Store) LoadIdentifiers(ctx context.Context, devs []Device) error {
	for i := range devs {
		ids, err := s.identifiers(ctx, devs[i].ID)
		if err != nil {
			return err
		}
		col := map[Identifier]bool{}
		for _, c := range columnIdents(devs[i]) {
			if c[1] != "" {
				col[Identifier{Kind: IdentKind(c[0]), Value: NormalizeIdent(IdentKind(c[0]), c[1])}] = true
			}
		}
		devs[i].Identifiers = devs[i].Identifiers[:0]
		for _, id := range ids {
			if !col[id] {
				devs[i].Identifiers = append(devs[i].Identifiers, id)
			}
		}
	}
	return nil
}

// EachIdentifier streams every identifier of the inventory, ordered by
// device, for building an index over the whole of it once per round.
func (s *Store) EachIdentifier(ctx context.Context, fn func(deviceID int64, kind IdentKind, value string) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT device_id, kind, value FROM identifiers ORDER BY device_id")
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kind, value string
		if err := rows.Scan(&id, &kind, &value); err != nil {
			return translate(err)
		}
		if err := fn(id, IdentKind(kind), value); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}
