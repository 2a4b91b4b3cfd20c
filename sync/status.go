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
type Run store.SyncRun

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
	if s.OpenConflicts, s.Undelivered, s.Issues, err = st.SyncCounts(ctx, target); err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	m, err := st.SyncMark(ctx, target)
	if err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	s.Mark = Mark(m)
	runs, err := st.SyncRuns(ctx, target)
	if err != nil {
		return s, fmt.Errorf("sync: status: %w", err)
	}
	s.LastPull, s.LastPush = Run(runs["pull"]), Run(runs["push"])
	return s, nil
}

// Conflicts returns the open conflicts of target, oldest first; with all,
// every recorded conflict and ownership decision.
func Conflicts(ctx context.Context, st *store.Store, target string, all bool) ([]Conflict, error) {
	f := store.ConflictsOpen
	if all {
		f = store.ConflictsAll
	}
	cs, err := st.SyncConflicts(ctx, target, f)
	if err != nil {
		return nil, fmt.Errorf("sync: conflicts: %w", err)
	}
	return cs, nil
}

// Issue is a server value a pull could not apply locally.
type Issue = store.SyncIssue

// Issues returns the pull issues of target, newest first.
func Issues(ctx context.Context, st *store.Store, target string) ([]Issue, error) {
	is, err := st.SyncIssues(ctx, target)
	if err != nil {
		return nil, fmt.Errorf("sync: issues: %w", err)
	}
	return is, nil
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
		c, err := w.OpenSyncConflict(target, id)
		if err != nil {
			return err
		}
		if c == nil {
			return fmt.Errorf("%w: %d", ErrNoConflict, id)
		}
		queued, err := w.QueuedChangesTo(c.AssetTag, c.Field)
		if err != nil {
			return err
		}
		if queued > 0 {
			return fmt.Errorf("sync: %s %s has a newer local change queued; sync first, then resolve", c.AssetTag, c.Field)
		}
		if err := w.ResolveSyncConflict(id, choice, at, who); err != nil {
			return err
		}
		if choice == KeepLocal {
			return nil
		}
		if err := applyLocal(w, c.AssetTag, map[string]string{c.Field: c.Server}, ""); err != nil {
			return err
		}
		states, err := w.SyncRecords(target, []string{c.AssetTag})
		if err != nil {
			return err
		}
		s := states[c.AssetTag]
		if s == nil {
			s = newState(c.AssetTag)
		}
		s.Base[c.Field] = c.Server
		s.Server[c.Field] = c.Server
		return w.SaveSyncRecord(target, s)
	})
}
