package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
)

// Round is a planned walk through a list of rooms (the domain type lives
// in package inventory so that readers need no SQL driver).
type Round = inventory.Round

// RoundRoom is one room of a round with the figures the round overview
// shows about it.
type RoundRoom struct {
	// Location is the room, without its segments.
	Location Location `json:"location"`
	Position int      `json:"position"`
	// Expected counts the devices recorded in the room (any status but
	// retired or disposed).
	Expected int `json:"expected"`
	// PMDue and AuditDue count the room's devices whose next PM or audit
	// date is on or before the day given to RoundRooms.
	PMDue    int `json:"pm_due"`
	AuditDue int `json:"audit_due"`
	// Visit is the room's latest visit in this round; its ID is zero when
	// the room has not been visited yet.
	Visit VisitSummary `json:"visit"`
}

// VisitSummary is what a round overview needs to know of a visit.
type VisitSummary struct {
	ID         int64     `json:"id,omitempty"`
	Status     string    `json:"status,omitempty"` // open, swept or done
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Kinds counts the visit's findings per kind (reconcile.Kind values).
	Kinds map[string]int `json:"kinds,omitempty"`
	// Acted counts findings the technician has acted on.
	Acted int `json:"acted"`
	// Open counts findings that call for an action (missing, moved here,
	// unknown) and have none yet.
	Open int `json:"open"`
}

// The visit statuses, as stored in visits.status.
const (
	VisitOpen  = inventory.VisitOpen
	VisitSwept = inventory.VisitSwept
	VisitDone  = inventory.VisitDone
)

// CreateRound starts a round over the rooms with the given keys, in that
// order. Unknown keys are ErrNotFound naming the key; nothing is written
// then.
func (s *Store) CreateRound(ctx context.Context, name, technician string, at time.Time, roomKeys []string) (Round, error) {
	r := Round{Name: name, Technician: technician, StartedAt: at.UTC().Truncate(time.Second)}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO rounds (name, technician, started_at) VALUES (?, ?, ?)",
			name, technician, FormatInstant(r.StartedAt))
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for i, k := range roomKeys {
			if err := addRoundRoom(ctx, tx, r.ID, k, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Round{}, fmt.Errorf("create round %q: %w", name, err)
	}
	return r, nil
}

func addRoundRoom(ctx context.Context, tx *sql.Tx, roundID int64, key string, pos int) error {
	var locID int64
	if err := tx.QueryRowContext(ctx, "SELECT id FROM locations WHERE key = ?", key).Scan(&locID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("room %s: %w", key, ErrNotFound)
		}
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO round_rooms (round_id, location_id, position) VALUES (?, ?, ?)
		ON CONFLICT (round_id, location_id) DO NOTHING`, roundID, locID, pos)
	return err
}

// AddRoundRoom appends a room to a round (a room visited off plan). A room
// already in the round keeps its place.
func (s *Store) AddRoundRoom(ctx context.Context, roundID int64, key string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var next int
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(position) + 1, 0) FROM round_rooms WHERE round_id = ?",
			roundID).Scan(&next); err != nil {
			return err
		}
		return addRoundRoom(ctx, tx, roundID, key, next)
	})
}

const roundColumns = "id, name, technician, started_at, finished_at"

func scanRound(r rowScanner) (Round, error) {
	var rd Round
	var started, finished string
	if err := r.Scan(&rd.ID, &rd.Name, &rd.Technician, &started, &finished); err != nil {
		return rd, translate(err)
	}
	rd.StartedAt, rd.FinishedAt = parseInstant(started), parseInstant(finished)
	return rd, nil
}

// Round returns the round with the given id.
func (s *Store) Round(ctx context.Context, id int64) (Round, error) {
	return scanRound(s.db.QueryRowContext(ctx, "SELECT "+roundColumns+" FROM rounds WHERE id = ?", id))
}

// ActiveRound returns the most recently started round that is not
// finished, or ErrNotFound.
func (s *Store) ActiveRound(ctx context.Context) (Round, error) {
	return scanRound(s.db.QueryRowContext(ctx, "SELECT "+roundColumns+
		" FROM rounds WHERE finished_at = '' ORDER BY id DESC LIMIT 1"))
}

// FinishRound marks a round finished.
func (s *Store) FinishRound(ctx context.Context, id int64, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE rounds SET finished_at = ? WHERE id = ?", FormatInstant(at), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("round %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// RoundRooms returns the rooms of a round in order, each with its device
// counts (due on or before today) and its latest visit. It reads only the
// round's rooms, through the location index, so it stays fast on a
// database of millions of devices.
func (s *Store) RoundRooms(ctx context.Context, roundID int64, today time.Time) ([]RoundRoom, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT l.id, l.key, l.site, l.building, l.floor, l.room, l.name,
			l.rf_shielded, l.barcode, rr.position
		FROM round_rooms rr JOIN locations l ON l.id = rr.location_id
		WHERE rr.round_id = ? ORDER BY rr.position, l.key`, roundID)
	if err != nil {
		return nil, translate(err)
	}
	var out []RoundRoom
	for rows.Next() {
		var r RoundRoom
		l := &r.Location
		if err := rows.Scan(&l.ID, &l.Key, &l.Site, &l.Building, &l.Floor, &l.Room, &l.Name, &l.RFShielded,
			&l.Barcode, &r.Position); err != nil {
			rows.Close()
			return nil, translate(err)
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	day := FormatDate(today)
	// The per-room statements are prepared once per store (s.prepared):
	// the overview of a round asks them for every room, on every start.
	counts, err := s.prepared(ctx, `SELECT count(*),
			COALESCE(SUM(next_pm_due <> '' AND next_pm_due <= ?), 0),
			COALESCE(SUM(next_audit_due <> '' AND next_audit_due <= ?), 0)
		FROM devices WHERE location_id = ? AND status NOT IN ('retired', 'disposed')`)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if err := counts.QueryRowContext(ctx, day, day, out[i].Location.ID).Scan(&out[i].Expected,
			&out[i].PMDue, &out[i].AuditDue); err != nil {
			return nil, translate(err)
		}
		if out[i].Visit, err = s.latestVisit(ctx, roundID, out[i].Location.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// latestVisit summarises the newest visit of a room within a round.
func (s *Store) latestVisit(ctx context.Context, roundID, locID int64) (VisitSummary, error) {
	var v VisitSummary
	var started, finished string
	last, err := s.prepared(ctx, `SELECT id, status, started_at, finished_at FROM visits
		WHERE round_id = ? AND location_id = ? ORDER BY id DESC LIMIT 1`)
	if err != nil {
		return v, err
	}
	err = last.QueryRowContext(ctx, roundID, locID).Scan(&v.ID, &v.Status, &started, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return VisitSummary{}, nil
	}
	if err != nil {
		return v, translate(err)
	}
	v.StartedAt, v.FinishedAt = parseInstant(started), parseInstant(finished)
	kinds, err := s.prepared(ctx, `SELECT kind, count(*), COALESCE(SUM(action <> ''), 0),
			COALESCE(SUM(action = '' AND kind IN ('missing', 'moved_here', 'unknown')), 0)
		FROM findings WHERE visit_id = ? GROUP BY kind`)
	if err != nil {
		return v, err
	}
	rows, err := kinds.QueryContext(ctx, v.ID)
	if err != nil {
		return v, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind string
		var n, acted, open int
		if err := rows.Scan(&kind, &n, &acted, &open); err != nil {
			return v, translate(err)
		}
		if v.Kinds == nil {
			v.Kinds = map[string]int{}
		}
		v.Kinds[kind] = n
		v.Acted += acted
		v.Open += open
	}
	return v, translate(rows.Err())
}

// Floor is one floor of one building, with its number of rooms: the unit
// a technician usually plans a round for.
type Floor struct {
	Building string `json:"building"`
	Floor    string `json:"floor"`
	Rooms    int    `json:"rooms"`
}

// Floors lists the floors that have rooms, ordered by building and floor.
func (s *Store) Floors(ctx context.Context) ([]Floor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT building, floor, count(*) FROM locations
		GROUP BY building, floor ORDER BY building, floor`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Floor
	for rows.Next() {
		var f Floor
		if err := rows.Scan(&f.Building, &f.Floor, &f.Rooms); err != nil {
			return nil, translate(err)
		}
		out = append(out, f)
	}
	return out, translate(rows.Err())
}

// RoomKeys returns the keys of the rooms on one floor, in key order.
func (s *Store) RoomKeys(ctx context.Context, building, floor string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key FROM locations WHERE building = ? AND floor = ? ORDER BY key",
		building, floor)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, translate(err)
		}
		out = append(out, k)
	}
	return out, translate(rows.Err())
}

// RoomEntry is the light form of a room that a room picker lists.
type RoomEntry struct {
	Key     string `json:"key"`
	Name    string `json:"name,omitempty"`
	Barcode string `json:"barcode,omitempty"`
}

// RoomIndex returns every room's key, name and barcode in key order,
// without segments: what a picker needs to search tens of thousands of
// rooms.
func (s *Store) RoomIndex(ctx context.Context) ([]RoomEntry, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key, name, barcode FROM locations ORDER BY key")
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []RoomEntry
	for rows.Next() {
		var e RoomEntry
		if err := rows.Scan(&e.Key, &e.Name, &e.Barcode); err != nil {
			return nil, translate(err)
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// SaveResume records where the technician is in a round. state is any
// JSON-encodable value; the TUI owns its shape.
func (s *Store) SaveResume(ctx context.Context, roundID int64, at time.Time, state any) error {
	b, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("store: resume state: %w", err)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO round_resume (round_id, state, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (round_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			roundID, string(b), at.UTC().Format(time.RFC3339Nano))
		return err
	})
}

// LoadResume decodes the state last saved for a round into state. It
// reports false when none was saved.
func (s *Store) LoadResume(ctx context.Context, roundID int64, state any) (bool, error) {
	var b string
	err := s.db.QueryRowContext(ctx, "SELECT state FROM round_resume WHERE round_id = ?", roundID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, translate(err)
	}
	if err := json.NewDecoder(strings.NewReader(b)).Decode(state); err != nil {
		return false, fmt.Errorf("store: resume state of round %d: %w", roundID, err)
	}
	return true, nil
}
