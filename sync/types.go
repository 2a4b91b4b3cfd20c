package sync

import (
	"context"
	"fmt"
	"io"
	"sort"
	"time"
)

// Record is a CMDB record in canonical form.
type Record struct {
	// RemoteID is the server's id (a sys_id, a Snipe-IT asset id).
	RemoteID string
	AssetTag string
	// Version identifies the server state of the record (for example
	// sys_updated_on and sys_mod_count); a record seen again with the same
	// version is skipped.
	Version string
	// Fields maps canonical field names (see Fields) to values in the
	// store's string form. A field the connector does not map is absent; an
	// empty value means the server holds none.
	Fields map[string]string
}

// Mark is a pull position, opaque to everyone but the connector that made
// it. The empty mark means "from the beginning".
type Mark string

// Page is one step of a pull.
type Page struct {
	Records []Record
	// Mark, when not empty, is where a later pull may resume once these
	// records and all earlier ones are stored. A connector that reads newest
	// first leaves it empty until its last page.
	Mark Mark
}

// Puller reads what changed on the server since a mark.
type Puller interface {
	// Pull calls emit for each page in order and stops at the first error.
	Pull(ctx context.Context, from Mark, emit func(context.Context, Page) error) error
}

// Op is one delivery to the server: the pending changes of one device,
// coalesced, or a person's resolution of a conflict.
type Op struct {
	// ID is the idempotency id of the delivery: the idempotency id of the
	// first journal entry it carries (stable across retries), or
	// "conflict-N" for a resolution.
	ID       string
	AssetTag string
	// RemoteID is the server's id of the device when known.
	RemoteID string
	// Create asks for the record to be created if the server lacks it.
	Create bool
	// Set holds the canonical fields to write.
	Set map[string]string
	// Audit, when set, is a round audit of the device.
	Audit *Audit
	// Notes are technician notes to append, each once.
	Notes []Note
	// Server holds the latest server values known, for connectors that
	// must append (notes) or compare (audit dates).
	Server map[string]string
	// Retry says the delivery was attempted before and may have reached the
	// server: connectors of non-idempotent APIs look before they resend.
	Retry bool
}

// Audit is a round audit: the device was seen at Location on At.
type Audit struct {
	ID       string
	At       time.Time
	Location string
	// NextDue is the next audit date (YYYY-MM-DD) or "".
	NextDue string
	Note    string
}

// Note is a technician's note, delivered once.
type Note struct {
	ID    string
	At    time.Time
	Actor string
	Text  string
}

// Outcome is what became of one Op.
type Outcome int

// The outcomes of an Op.
const (
	// Acked: the server holds the change.
	Acked Outcome = iota
	// Retry: the server did not act on it (an unserviced batch item, a
	// transient error); it goes back to pending, same idempotency id.
	Retry
	// Rejected: the server refused it for good (validation, permissions).
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Acked:
		return "acked"
	case Retry:
		return "retry"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Result is the outcome of one Op, matched by ID.
type Result struct {
	ID       string
	Outcome  Outcome
	RemoteID string
	// Message explains a Retry or Rejected outcome. Connectors build it
	// from server text with credentials removed.
	Message string
	// Server holds values the server now has because of the op beyond
	// those in Set, such as the notes log after an append.
	Server map[string]string
}

// Pusher delivers ops.
type Pusher interface {
	// MaxBatch is how many ops Push accepts at once.
	MaxBatch() int
	// Push delivers ops and returns one result per op. An error means the
	// whole call failed (the server could not be reached after retries);
	// the ops may or may not have been carried out and are resent later
	// with the same ids.
	Push(ctx context.Context, ops []Op) ([]Result, error)
}

// Fetcher reads the current server records of devices by asset tag. The
// engine reads the devices it is about to push right before merging, so
// that the merge is against the server as it is, not as the last pull saw
// it; a connector without it merges against the last pull.
type Fetcher interface {
	Fetch(ctx context.Context, tags []string) ([]Record, error)
}

// ChangeFetcher is a Fetcher that can also list what changed on the
// server since a pull's mark, in a few requests for any number of
// devices. A connector that needs one request per device to Fetch
// (Snipe-IT) implements it so that a push costs no read per change: only
// the devices changed since the pull need their server values moved, the
// others are as the pull stored them.
type ChangeFetcher interface {
	Fetcher
	// FetchChanged returns the current records, among tags, of the
	// devices changed since from (less the connector's overlap). It sends
	// at most budget requests; complete false means it stopped before
	// reaching from, and the caller must Fetch the tags it did not return.
	FetchChanged(ctx context.Context, from Mark, tags []string, budget int) (recs []Record, complete bool, err error)
}

// FetchError reports the tags a Fetch could not read, each with its
// error. The records of the other tags are returned beside it; the engine
// leaves the unread devices pending for a later push, so one bad device or
// read never blocks the others.
type FetchError struct {
	Failed map[string]error
}

func (e *FetchError) Error() string {
	tags := make([]string, 0, len(e.Failed))
	for t := range e.Failed {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	if len(tags) == 0 {
		return "sync: fetch failed"
	}
	return fmt.Sprintf("sync: could not read %d device(s) (%s: %v)", len(tags), tags[0], e.Failed[tags[0]])
}

// Describer renders, without sending anything, exactly the requests Push
// would send for ops: the dry run.
type Describer interface {
	Describe(w io.Writer, ops []Op) error
}

// Connector is a CMDB target.
type Connector interface {
	Puller
	Pusher
}
