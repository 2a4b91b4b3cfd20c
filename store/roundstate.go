package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// This file holds the reads and writes package round needs to own a round
// end to end (visits with their findings, sightings across the rooms of a
// round, dismissed identities), so that no SQL lives outside store.

// VisitHead is a visit's header: its room, round, status and times.
type VisitHead struct {
	ID          int64
	RoundID     int64
	LocationKey string
	Status      string
	StartedAt   time.Time
	FinishedAt  time.Time
}

// FindingRow is one stored finding as round reads it: Data is the
// reconcile finding as JSON.
type FindingRow struct {
	ID       int64
	DeviceID int64
	Kind     string
	Data     string
	Action   string
	ActedAt  time.Time
}

// Visit reads a visit's header and its findings in stored order.
func (s *Store) Visit(ctx context.Context, id int64) (VisitHead, []FindingRow, error) {
	var v VisitHead
	var rid sql.NullInt64
	var started, finished string
	err := s.db.QueryRowContext(ctx, `SELECT v.id, v.round_id, l.key, v.status, v.started_at, v.finished_at
		FROM visits v JOIN locations l ON l.id = v.location_id WHERE v.id = ?`, id).
		Scan(&v.ID, &rid, &v.LocationKey, &v.Status, &started, &finished)
	if err != nil {
		return v, nil, fmt.Errorf("visit %d: %w", id, translate(err))
	}
	v.RoundID, v.StartedAt, v.FinishedAt = rid.Int64, parseInstant(started), parseInstant(finished)
	rows, err := s.db.QueryContext(ctx, `SELECT id, COALESCE(device_id, 0), kind, data, action, acted_at
		FROM findings WHERE visit_id = ? ORDER BY id`, id)
	if err != nil {
		return v, nil, fmt.Errorf("visit %d findings: %w", id, translate(err))
	}
	defer rows.Close()
	var fs []FindingRow
	for rows.Next() {
		var f FindingRow
		var acted string
		if err := rows.Scan(&f.ID, &f.DeviceID, &f.Kind, &f.Data, &f.Action, &acted); err != nil {
			return v, nil, fmt.Errorf("visit %d findings: %w", id, translate(err))
		}
		f.ActedAt = parseInstant(acted)
		fs = append(fs, f)
	}
	return v, fs, translate(rows.Err())
}

// LatestVisitID returns the newest visit of a room within a round, or
// ErrNotFound.
func (s *Store) LatestVisitID(ctx context.Context, roundID int64, roomKey string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT v.id FROM visits v JOIN locations l ON l.id = v.location_id
		WHERE v.round_id = ? AND l.key = ? ORDER BY v.id DESC LIMIT 1`, roundID, roomKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, translate(err)
	}
	return id, nil
}

// Sighting is where a device was found present during a round: seen by a
// sweep in a room, confirmed there or moved there by the technician.
type Sighting struct {
	DeviceID    int64
	LocationKey string
	VisitID     int64
	At          time.Time
}

// RoundSightings returns, per device id, the latest room of the round in
// which the device was found present: a verified or moved-here finding of
// the room's latest visit, or one the technician confirmed or moved here.
// A unit found anywhere in the round is not missing anywhere else in it.
func (s *Store) RoundSightings(ctx context.Context, roundID int64) (map[int64]Sighting, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT f.device_id, l.key, v.id, f.acted_at, v.finished_at, v.started_at
		FROM findings f JOIN visits v ON v.id = f.visit_id JOIN locations l ON l.id = v.location_id
		WHERE v.round_id = ? AND f.device_id IS NOT NULL
		  AND v.id = (SELECT MAX(v2.id) FROM visits v2 WHERE v2.round_id = v.round_id AND v2.location_id = v.location_id)
		  AND (f.kind IN ('verified', 'moved_here') OR f.action LIKE '%confirmed%' OR f.action LIKE '%moved here%')
		ORDER BY v.id, f.id`, roundID)
	if err != nil {
		return nil, fmt.Errorf("round %d sightings: %w", roundID, translate(err))
	}
	defer rows.Close()
	out := map[int64]Sighting{}
	for rows.Next() {
		var sg Sighting
		var acted, finished, started string
		if err := rows.Scan(&sg.DeviceID, &sg.LocationKey, &sg.VisitID, &acted, &finished, &started); err != nil {
			return nil, fmt.Errorf("round %d sightings: %w", roundID, translate(err))
		}
		for _, t := range []string{acted, finished, started} {
			if sg.At = parseInstant(t); !sg.At.IsZero() {
				break
			}
		}
		if old, ok := out[sg.DeviceID]; !ok || !sg.At.Before(old.At) {
			out[sg.DeviceID] = sg
		}
	}
	return out, translate(rows.Err())
}

// SetFindingDevice links a finding to a device (an adopted unit gets its
// new record).
func (w *Writer) SetFindingDevice(findingID, deviceID int64) error {
	res, err := w.exec("UPDATE findings SET device_id = ? WHERE id = ?", deviceID, findingID)
	if err != nil {
		return fmt.Errorf("finding %d: %w", findingID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finding %d: %w", findingID, ErrNotFound)
	}
	return nil
}

// Dismissal is an unknown unit the technician decided is not inventory.
type Dismissal struct {
	// Identity is the sweep's key for the unit (its observation key).
	Identity    string
	Reason      string
	LocationKey string
	Actor       string
	At          time.Time
}

// Dismiss remembers an unknown unit as not inventory, so that later
// sweeps do not ask about it again; dismissing again replaces the reason.
func (w *Writer) Dismiss(identity, reason, location string) error {
	if identity == "" || reason == "" {
		return fmt.Errorf("%w: a dismissal needs an identity and a reason", ErrConstraint)
	}
	_, err := w.exec(`INSERT INTO dismissals (identity, reason, location, actor, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (identity) DO UPDATE SET reason = excluded.reason, location = excluded.location,
		actor = excluded.actor, at = excluded.at`, identity, reason, location, w.actor, FormatInstant(w.now))
	if err != nil {
		return fmt.Errorf("dismiss %s: %w", identity, err)
	}
	return nil
}

// Undismiss forgets a dismissal (its undo).
func (w *Writer) Undismiss(identity string) error {
	if _, err := w.exec("DELETE FROM dismissals WHERE identity = ?", identity); err != nil {
		return fmt.Errorf("undismiss %s: %w", identity, err)
	}
	return nil
}

// Dismissals returns the dismissals of the given identities, by identity.
func (s *Store) Dismissals(ctx context.Context, identities []string) (map[string]Dismissal, error) {
	out := map[string]Dismissal{}
	for _, id := range identities {
		if id == "" {
			continue
		}
		var d Dismissal
		var at string
		err := s.db.QueryRowContext(ctx, "SELECT identity, reason, location, actor, at FROM dismissals WHERE identity = ?", id).
			Scan(&d.Identity, &d.Reason, &d.LocationKey, &d.Actor, &at)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("dismissal %s: %w", id, translate(err))
		}
		d.At = parseInstant(at)
		out[id] = d
	}
	return out, nil
}

// ActionRecord is one technician action as logged for its undo.
type ActionRecord struct {
	ID        int64
	FindingID int64
	Kind      string
	Word      string
	AssetTag  string
	// PrevAction, PrevActedAt and PrevData are the finding before the
	// action.
	PrevAction  string
	PrevActedAt time.Time
	PrevData    string
	// DeviceBefore is the device record before the action (JSON), empty
	// when the action did not touch one.
	DeviceBefore string
	// SeqFrom..SeqTo are the journal entries the action wrote.
	SeqFrom, SeqTo int64
	At             time.Time
	Actor          string
	UndoneAt       time.Time
}

// JournalHead returns the last journal sequence number written (0 for an
// empty journal), inside the transaction.
func (w *Writer) JournalHead() (int64, error) {
	st, err := w.stmt("SELECT COALESCE(MAX(seq), 0) FROM journal")
	if err != nil {
		return 0, err
	}
	var n int64
	if err := st.QueryRowContext(w.ctx).Scan(&n); err != nil {
		return 0, translate(err)
	}
	return n, nil
}

// LogAction records an action for its undo, in the action's transaction.
func (w *Writer) LogAction(a ActionRecord) (int64, error) {
	res, err := w.exec(`INSERT INTO action_log (finding_id, kind, word, asset_tag, prev_action, prev_acted, prev_data,
		device_before, seq_from, seq_to, at, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.FindingID, a.Kind, a.Word, a.AssetTag, a.PrevAction, FormatInstant(a.PrevActedAt), a.PrevData, a.DeviceBefore,
		a.SeqFrom, a.SeqTo, FormatInstant(w.now), w.actor)
	if err != nil {
		return 0, fmt.Errorf("log action on finding %d: %w", a.FindingID, err)
	}
	return res.LastInsertId()
}

const actionColumns = `id, finding_id, kind, word, asset_tag, prev_action, prev_acted, prev_data, device_before,
	seq_from, seq_to, at, actor, undone_at`

func scanAction(r rowScanner) (ActionRecord, error) {
	var a ActionRecord
	var prev, at, undone string
	err := r.Scan(&a.ID, &a.FindingID, &a.Kind, &a.Word, &a.AssetTag, &a.PrevAction, &prev, &a.PrevData, &a.DeviceBefore,
		&a.SeqFrom, &a.SeqTo, &at, &a.Actor, &undone)
	a.PrevActedAt, a.At, a.UndoneAt = parseInstant(prev), parseInstant(at), parseInstant(undone)
	return a, translate(err)
}

// LastAction returns the newest action on a finding that has not been
// undone, inside the transaction, or ErrNotFound.
func (w *Writer) LastAction(findingID int64) (ActionRecord, error) {
	st, err := w.stmt("SELECT " + actionColumns + " FROM action_log WHERE finding_id = ? AND undone_at = '' ORDER BY id DESC LIMIT 1")
	if err != nil {
		return ActionRecord{}, err
	}
	return scanAction(st.QueryRowContext(w.ctx, findingID))
}

// SentSince reports whether any journal entry in from..to has left the
// laptop (in flight, acknowledged, in conflict or rejected): such an
// action can no longer be taken back locally.
func (w *Writer) SentSince(from, to int64) (bool, error) {
	if from == 0 {
		return false, nil
	}
	st, err := w.stmt("SELECT COUNT(*) FROM journal WHERE seq BETWEEN ? AND ? AND state <> ?")
	if err != nil {
		return false, err
	}
	var n int
	if err := st.QueryRowContext(w.ctx, from, to, StatePending).Scan(&n); err != nil {
		return false, translate(err)
	}
	return n > 0, nil
}

// MarkUndone records that an action was undone.
func (w *Writer) MarkUndone(id int64) error {
	res, err := w.exec("UPDATE action_log SET undone_at = ? WHERE id = ? AND undone_at = ''", FormatInstant(w.now), id)
	if err != nil {
		return fmt.Errorf("action %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("action %d: %w", id, ErrNotFound)
	}
	return nil
}

// RestoreFinding puts a finding back as it stood before an action.
func (w *Writer) RestoreFinding(findingID int64, action string, actedAt time.Time, data string) error {
	res, err := w.exec("UPDATE findings SET action = ?, acted_at = ?, data = ? WHERE id = ?",
		action, FormatInstant(actedAt), data, findingID)
	if err != nil {
		return fmt.Errorf("finding %d: %w", findingID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("finding %d: %w", findingID, ErrNotFound)
	}
	return nil
}

// RoundActions lists the actions taken in a round, newest first, undone
// ones included: the round's history.
func (s *Store) RoundActions(ctx context.Context, roundID int64) ([]ActionRecord, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+prefixed("a.", actionColumns)+` FROM action_log a
		JOIN findings f ON f.id = a.finding_id JOIN visits v ON v.id = f.visit_id
		WHERE v.round_id = ? ORDER BY a.id DESC`, roundID)
	if err != nil {
		return nil, fmt.Errorf("round %d actions: %w", roundID, translate(err))
	}
	defer rows.Close()
	var out []ActionRecord
	for rows.Next() {
		a, err := scanAction(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, translate(rows.Err())
}

func prefixed(p, cols string) string {
	var out []string
	for _, c := range strings.Split(cols, ",") {
		out = append(out, p+strings.TrimSpace(c))
	}
	return strings.Join(out, ", ")
}

// FindingVisit returns the visit a finding belongs to.
func (s *Store) FindingVisit(ctx context.Context, findingID int64) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, "SELECT visit_id FROM findings WHERE id = ?", findingID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("finding %d: %w", findingID, translate(err))
	}
	return id, nil
}
