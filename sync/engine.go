package sync

import (
	"context"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// Engine syncs one store with one target. Its zero value is not usable:
// set Store, Target and Conn.
type Engine struct {
	Store *store.Store
	// Target names the sync state rows (the config target's name).
	Target string
	Conn   Connector
	// Owners decides concurrent changes; nil means DefaultOwnership.
	Owners Ownership
	// Actor is recorded on resolutions.
	Actor string
	// Concurrency bounds batches in flight (default 4).
	Concurrency int
	// BatchSize caps ops per Push call (default Conn.MaxBatch()).
	BatchSize int
	// ChunkSize is about how many devices a push merges and sends at once
	// (default 2,000, rounded up to whole batches): it bounds the push's
	// memory.
	ChunkSize int
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives progress lines; nil discards them.
	Log func(format string, args ...any)
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

func (e *Engine) owners() Ownership {
	if e.Owners == nil {
		return DefaultOwnership()
	}
	return e.Owners
}

func (e *Engine) logf(format string, a ...any) {
	if e.Log != nil {
		e.Log(format, a...)
	}
}

func (e *Engine) recordRun(ctx context.Context, kind string, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	_ = e.Store.RecordSyncRun(context.WithoutCancel(ctx), e.Target, kind, e.now(), msg)
}

// Sync pulls, then pushes: the pull brings the latest server values the
// push merges against.
func (e *Engine) Sync(ctx context.Context, pull, push bool) (PullReport, PushReport, error) {
	var pr PullReport
	var ps PushReport
	var err error
	if pull {
		if pr, err = e.Pull(ctx); err != nil {
			return pr, ps, err
		}
	}
	if push {
		ps, err = e.Push(ctx)
	}
	return pr, ps, err
}
