package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

const entryColumns = `seq, idempotency_id, COALESCE(device_id, 0), asset_tag, op, changes, at, actor,
	state, attempts, last_error, remote_ref`

func scanEntry(r rowScanner) (Entry, error) {
	var e Entry
	var op, changes, at, state string
	if err := r.Scan(&e.Seq, &e.IdempotencyID, &e.DeviceID, &e.AssetTag, &op, &changes, &at, &e.Actor,
		&state, &e.Attempts, &e.LastError, &e.RemoteRef); err != nil {
		return e, translate(err)
	}
	e.Op, e.State = Op(op), EntryState(state)
	e.At, _ = time.Parse(time.RFC3339Nano, at)
	var err error
	if e.Changes, err = decodeChanges(changes); err != nil {
		return e, fmt.Errorf("journal entry %d: changes: %w", e.Seq, err)
	}
	return e, nil
}

// JournalQuery selects journal entries.
type JournalQuery struct {
	// AfterSeq returns entries with a larger sequence number.
	AfterSeq int64
	// States restricts to these states; empty means all.
	States []EntryState
	// AssetTag restricts to one device.
	AssetTag string
	// Limit caps the number of entries; zero means no cap.
	Limit int
}

// Journal returns entries in sequence order.
func (s *Store) Journal(ctx context.Context, q JournalQuery) ([]Entry, error) {
	sqlq := "SELECT " + entryColumns + " FROM journal WHERE seq > ?"
	args := []any{q.AfterSeq}
	if len(q.States) > 0 {
		sqlq += " AND state IN (?" + strings.Repeat(", ?", len(q.States)-1) + ")"
		for _, st := range q.States {
			args = append(args, string(st))
		}
	}
	if q.AssetTag != "" {
		sqlq += " AND asset_tag = ?"
		args = append(args, q.AssetTag)
	}
	sqlq += " ORDER BY seq"
	if q.Limit > 0 {
		sqlq += fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.db.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, translate(rows.Err())
}

// Outbox returns the entries still to deliver, pending and in flight, in
// sequence order. In-flight entries come back after a crash and are resent
// with the same idempotency id.
func (s *Store) Outbox(ctx context.Context, limit int) ([]Entry, error) {
	return s.Journal(ctx, JournalQuery{States: []EntryState{StatePending, StateInFlight}, Limit: limit})
}

// JournalCounts returns the number of entries per state.
func (s *Store) JournalCounts(ctx context.Context) (map[EntryState]int, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT state, count(*) FROM journal GROUP BY state")
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[EntryState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, translate(err)
		}
		out[EntryState(st)] = n
	}
	return out, translate(rows.Err())
}

// Transition is a delivery-state change for one journal entry.
type Transition struct {
	Seq       int64
	State     EntryState
	Error     string
	RemoteRef string
}

// SetStates moves journal entries to new delivery states in one
// transaction. Moving to in flight counts an attempt. The facts of an entry
// never change (a trigger enforces it).
func (s *Store) SetStates(ctx context.Context, ts []Transition) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return SetStatesTx(ctx, tx, ts)
	})
}

// SetStatesTx is SetStates inside a caller's transaction, for sync code
// that must record a delivery together with its own bookkeeping.
func SetStatesTx(ctx context.Context, tx *sql.Tx, ts []Transition) error {
	st, err := tx.PrepareContext(ctx, `UPDATE journal SET state = ?, last_error = ?,
		remote_ref = CASE WHEN ? = '' THEN remote_ref ELSE ? END,
		attempts = attempts + CASE WHEN ? = 'inflight' THEN 1 ELSE 0 END WHERE seq = ?`)
	if err != nil {
		return translate(err)
	}
	defer st.Close()
	for _, t := range ts {
		res, err := st.ExecContext(ctx, string(t.State), t.Error, t.RemoteRef, t.RemoteRef, string(t.State), t.Seq)
		if err != nil {
			return translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("journal entry %d: %w", t.Seq, ErrNotFound)
		}
	}
	return nil
}
