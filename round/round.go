package round

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// Sentinel errors.
var (
	// ErrNoReconciler reports an engine built without reconciliation.
	ErrNoReconciler = errors.New("round: no reconciler configured")
	// ErrTagTaken reports an adoption under an asset tag that another
	// device already carries.
	ErrTagTaken = errors.New("round: asset tag already in use")
	// ErrNotApplicable reports an action that does not fit the finding
	// (moving a missing device here, adopting a known one, ...).
	ErrNotApplicable = errors.New("round: action does not apply to this finding")
	// ErrSeenElsewhere refuses to mark missing a unit found in another
	// room of the same round.
	ErrSeenElsewhere = errors.New("round: seen elsewhere in this round")
	// ErrAlreadyDone refuses to repeat an action, which would queue an
	// empty change for the CMDB.
	ErrAlreadyDone = errors.New("round: already done")
)

// Source is one discovery source of a room sweep.
type Source struct {
	// Name is shown to the user ("IP 10.3.12.0/24", "BLE replay").
	Name string
	// Kind is the observation source it produces.
	Kind    scan.Source
	Sweeper scan.Sweeper
}

// Progresser is implemented by sweepers that know how far they are; the
// TUI shows a bar for them and a spinner for the others.
type Progresser interface {
	Progress() (done, total int)
}

// Swept says which kinds of sweep ran to completion in a room, and which
// segments the IP sweep covered (empty: the room's configured segments).
// A device that could only have been seen by a sweep that did not complete
// is unverified, not missing.
type Swept = reconcile.Sweeps

// Reconciler turns what a sweep saw in a room into findings. It reads
// what it needs (the room's expected devices, the identifier index, the
// catalog, advisories) from the store itself.
type Reconciler interface {
	Reconcile(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) ([]reconcile.Finding, error)
}

// ReconcilerFunc adapts a function to Reconciler.
type ReconcilerFunc func(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) ([]reconcile.Finding, error)

// Reconcile calls f.
func (f ReconcilerFunc) Reconcile(ctx context.Context, room store.Location, obs []scan.Observation, swept Swept, now time.Time) ([]reconcile.Finding, error) {
	return f(ctx, room, obs, swept, now)
}

// Item is one stored finding of a visit with what the technician did
// about it.
type Item struct {
	// ID is the finding's row id; actions name it.
	ID      int64             `json:"id"`
	Finding reconcile.Finding `json:"finding"`
	// Action is what the technician did ("confirmed", "moved here",
	// "marked missing", "adopted as TAG", "firmware corrected", "note"),
	// "" when nothing yet. A later action replaces the word.
	Action  string    `json:"action,omitempty"`
	ActedAt time.Time `json:"acted_at,omitzero"`
	// DeviceID is the stored finding's device (zero for none).
	DeviceID int64 `json:"device_id,omitempty"`
	// SeenIn and SeenAt name the room of this round where a unit missing
	// or unverified here was found present: one truth per round.
	SeenIn string    `json:"seen_in,omitempty"`
	SeenAt time.Time `json:"seen_at,omitzero"`
	// Notes are the device's notes (the technician's and the CMDB's), so
	// that a search finds them.
	Notes []store.Note `json:"-"`
	// Dismissed is the reason an unknown unit was dismissed (now or in
	// an earlier visit); such a unit needs no action.
	Dismissed string `json:"dismissed,omitempty"`
}

// Open reports whether the item still needs the technician: a missing,
// moved or unknown unit nothing has been done about, that was not found
// elsewhere in the round nor dismissed.
func (it Item) Open() bool {
	switch it.Finding.Kind {
	case reconcile.Missing, reconcile.MovedHere, reconcile.Unknown:
	default:
		return false
	}
	return it.Action == "" && it.SeenIn == "" && it.Dismissed == ""
}

// Resolution describes what settled an item without an action of its
// own ("seen in 3W-12 at 10:42", "dismissed: patient-owned"), or "".
func (it Item) Resolution() string {
	switch {
	case it.SeenIn != "":
		return "seen in " + it.SeenIn + " at " + it.SeenAt.Local().Format("15:04")
	case it.Dismissed != "" && it.Action == "":
		return "dismissed: " + it.Dismissed
	}
	return ""
}

// Visit is one sweep of one room within a round.
type Visit struct {
	ID         int64
	RoundID    int64
	Room       store.Location
	Status     string
	StartedAt  time.Time
	FinishedAt time.Time
	Items      []Item
}

// Engine runs rounds against one store.
type Engine struct {
	Store *store.Store
	// Sources builds the discovery sources for a room (its configured
	// segments, the BLE adapter or a replay). Nil means no sources.
	Sources func(ctx context.Context, room store.Location) ([]Source, error)
	// Reconcile turns observations into findings.
	Reconcile Reconciler
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Actor names the technician in the journal.
	Actor string
	// AuditInterval sets the next audit date after a confirmation; zero
	// means one year.
	AuditInterval time.Duration
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) actor() string {
	if e.Actor == "" {
		return "rounds"
	}
	return e.Actor
}

// RoomSources returns the sources for a room.
func (e *Engine) RoomSources(ctx context.Context, room store.Location) ([]Source, error) {
	if e.Sources == nil {
		return nil, nil
	}
	ss, err := e.Sources(ctx, room)
	if err != nil {
		return nil, fmt.Errorf("sources for %s: %w", room.Key, err)
	}
	return ss, nil
}

// Event is one thing that happened during a sweep: an observation from a
// source, or a source finishing (Done, with Err when it failed).
type Event struct {
	Source int
	Obs    scan.Observation
	Done   bool
	Err    error
}

// Sweep runs the sources concurrently and sends their observations and
// completions on out, closing out when every source has finished. A
// failing source does not stop the others. Cancelling ctx stops every
// source; Sweep returns only when all of them have, leaving no goroutine
// behind.
func Sweep(ctx context.Context, sources []Source, out chan<- Event) {
	done := make(chan struct{})
	for i, s := range sources {
		go func() {
			defer func() { done <- struct{}{} }()
			obs := make(chan scan.Observation)
			errc := make(chan error, 1)
			go func() {
				defer func() {
					if r := recover(); r != nil {
						errc <- fmt.Errorf("%s: panic: %v", s.Name, r)
					}
				}()
				errc <- s.Sweeper.Sweep(ctx, obs)
			}()
			for {
				select {
				case o := <-obs:
					select {
					case out <- Event{Source: i, Obs: o}:
					case <-ctx.Done():
					}
				case err := <-errc:
					if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
						err = ctx.Err()
					}
					select {
					case out <- Event{Source: i, Done: true, Err: err}:
					case <-ctx.Done():
					}
					return
				}
			}
		}()
	}
	for range sources {
		<-done
	}
	close(out)
}
