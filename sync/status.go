package sync

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// ErrNoConflict reports a resolution of a conflict that does not exist or
// is no longer open.
var ErrNoConflict = errors.New("sync: no such open conflict")

// Run is the outcome of the last pull or push.
type Run struct {
	At    time.Time `json:"at,omitzero"`
	Error string    `json:"error,omitempty"`
}

// Status is what a status display shows: queued changes by state, open
// conflicts and issues, the last runs. It is cheap to read.
type Status struct {
	Target string `json:"target"`
	// Journal counts entries per delivery state (for the whole database:
	// the journal is not per target).
	Journal map[store.EntryState]int `json:"journal"`
	// Queued is pending plus in flight: what the next push will send.
	Queued int `json:"queued"`
	// OpenConflicts wait for a person; Undelivered are resolutions the
	// next push will send.
	OpenConflicts int  `json:"open_conflicts"`
	Undelivered   int  `json:"undelivered_resolutions"`
	Issues        int  `json:"issues"`
	Mark          Mark `json:"watermark,omitempty"`
	LastPull      Run  `json:"last_pull"`
	LastPush      Run  `json:"last_push"`
}

// ReadStatus returns the sync status for target.
func ReadStatus(ctx context.Context, st *store.Store, target string) (Status, error) {
	s := Status{Target: target}
	var err error
	if s.Journal, err = st.JournalCounts(ctx); err != nil {
		return s, err
	}
	s.Queued = s.Journal[store.StatePending] + s.Journal[store.StateInFlight]
	db := st.DB()
	if err := db.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(resolution = 'open'), 0),
			COALESCE(SUM(resolution = 'local' AND delivered = 0), 0)
		FROM sync_conflicts WHERE target = ?`, target).Scan(&s.OpenConflicts, &s.Undelivered); err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sync_issues WHERE target = ?", target).Scan(&s.Issues); err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	if s.Mark, err = loadMark(ctx, db, target); err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	rows, err := db.QueryContext(ctx, "SELECT kind, at, error FROM sync_runs WHERE target = ?", target)
	if err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var kind, at, msg string
		if err := rows.Scan(&kind, &at, &msg); err != nil {
			return s, err
		}
		t, _ := time.Parse(time.RFC3339, at)
		if kind == "pull" {
			s.LastPull = Run{At: t, Error: msg}
		} else {
			s.LastPush = Run{At: t, Error: msg}
		}
	}
	return s, rows.Err()
}

// Conflicts returns the open conflicts of target, oldest first; with all,
// every recorded conflict and ownership decision.
func Conflicts(ctx context.Context, st *store.Store, target string, all bool) ([]Conflict, error) {
	where := "target = ? AND resolution = 'open'"
	if all {
		where = "target = ?"
	}
	cs, err := queryConflicts(ctx, st.DB(), where, target)
	if err != nil {
		return nil, fmt.Errorf("sync: conflicts: %w", err)
	}
	return cs, nil
}

// Issue is a server value a pull could not apply locally.
type Issue struct {
	AssetTag string    `json:"asset_tag"`
	Field    string    `json:"field"`
	Message  string    `json:"message"`
	At       time.Time `json:"at"`
}

// Issues returns the pull issues of target, newest first.
func Issues(ctx context.Context, st *store.Store, target string) ([]Issue, error) {
	rows, err := st.DB().QueryContext(ctx, "SELECT asset_tag, field, message, at FROM sync_issues WHERE target = ? ORDER BY at DESC, id DESC", target)
	if err != nil {
		return nil, fmt.Errorf("sync: issues: %w", err)
	}
	defer rows.Close()
	var out []Issue
	for rows.Next() {
		var i Issue
		var at string
		if err := rows.Scan(&i.AssetTag, &i.Field, &i.Message, &at); err != nil {
			return nil, err
		}
		i.At, _ = time.Parse(time.RFC3339, at)
		out = append(out, i)
	}
	return out, rows.Err()
}

// Resolve records a person's choice for an open conflict. KeepServer
// applies the server's value locally at once (not journalled: it is the
// server's own value); KeepLocal keeps the local value and queues it for
// the next push, which sends it unless the server changed the field again
// in the meantime (then the conflict opens again with the new value).
func Resolve(ctx context.Context, st *store.Store, target string, id int64, choice Resolution, who string, at time.Time) error {
	if choice != KeepLocal && choice != KeepServer {
		return fmt.Errorf("sync: resolve: choice must be %q or %q", KeepLocal, KeepServer)
	}
	return st.Write(ctx, who, func(w *store.Writer) error {
		w.NoJournal = true
		tx := w.Tx()
		cs, err := queryConflicts(ctx, tx, "id = ? AND target = ? AND resolution = 'open'", id, target)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return fmt.Errorf("%w: %d", ErrNoConflict, id)
		}
		c := cs[0]
		var queued int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM journal INDEXED BY journal_undelivered
			WHERE state IN ('pending', 'inflight') AND asset_tag = ?
			AND EXISTS (SELECT 1 FROM json_each(journal.changes) WHERE json_extract(value, '$.field') = ?)`,
			c.AssetTag, c.Field).Scan(&queued); err != nil {
			return err
		}
		if queued > 0 {
			return fmt.Errorf("sync: %s %s has a newer local change queued; sync first, then resolve", c.AssetTag, c.Field)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sync_conflicts SET resolution = ?, resolved_at = ?, resolved_by = ?,
			delivered = 0 WHERE id = ?`, string(choice), at.UTC().Format(time.RFC3339), who, id); err != nil {
			return err
		}
		if choice == KeepLocal {
			return nil
		}
		if err := applyLocal(w, c.AssetTag, map[string]string{c.Field: c.Server}, ""); err != nil {
			return err
		}
		states, err := loadStates(ctx, tx, target, []string{c.AssetTag})
		if err != nil {
			return err
		}
		s := states[c.AssetTag]
		if s == nil {
			s = newState(c.AssetTag)
		}
		s.Base[c.Field] = c.Server
		s.Server[c.Field] = c.Server
		return saveState(ctx, tx, target, s)
	})
}
