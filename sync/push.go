package sync

import (
	"context"
	"errors"
	"fmt"
	gosync "sync"

	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/store"
)

// PushReport sums up a push.
type PushReport struct {
	Entries   int `json:"entries"`
	Ops       int `json:"ops"`
	Batches   int `json:"batches"`
	Acked     int `json:"acked"`
	Conflicts int `json:"conflicts"`
	Rejected  int `json:"rejected"`
	Retry     int `json:"retry"`
	Overrides int `json:"overrides"`
	// Failed counts entries left in flight by a failed batch.
	Failed int `json:"failed"`
}

// Push delivers the outbox: it merges each device's undelivered changes
// against the latest server values known, records conflicts and ownership
// decisions, and sends the rest in batches with bounded concurrency. An
// entry is marked in flight before its batch leaves and settled (acked,
// conflict, rejected, or back to pending) in the transaction that records
// the answer; a crash in between leaves it in flight, and the next push
// resends it with the same idempotency id.
func (e *Engine) Push(ctx context.Context) (rep PushReport, err error) {
	defer func() { e.recordRun(ctx, "push", err) }()
	plans, err := e.buildPlans(ctx)
	if err != nil || len(plans) == 0 {
		return rep, err
	}
	// Devices go in chunks, each read, merged, sent and settled before
	// the next: what a push holds (server records, sync states, ops)
	// stays bounded by the chunk, not the outbox. A chunk is a whole
	// number of batches, so chunking adds no request.
	//
	// A connector that lists the changes since the pull (ChangeFetcher)
	// is read once for the whole push: what it returns is only the pushed
	// devices changed centrally, few whatever the push, and a listing per
	// chunk would read again every device the chunks before it wrote.
	size, conc := e.batchSize(), e.concurrency()
	chunk := e.ChunkSize
	if chunk <= 0 {
		chunk = pushChunk
	}
	chunk = (chunk + size - 1) / size * size
	_, once := e.Conn.(ChangeFetcher)
	if once {
		if err := e.refresh(ctx, plans); err != nil {
			return rep, err
		}
	}
	for start := 0; start < len(plans); start += chunk {
		end := min(start+chunk, len(plans))
		if err := e.pushPlans(ctx, plans[start:end], &rep, size, conc, !once); err != nil {
			return rep, err
		}
		clear(plans[start:end]) // done with: let them go
	}
	e.logf("push: %d entries in %d ops, %d batches: %d acked, %d conflict, %d rejected, %d to retry",
		rep.Entries, rep.Ops, rep.Batches, rep.Acked, rep.Conflicts, rep.Rejected, rep.Retry)
	return rep, nil
}

// pushChunk is about how many devices a push handles at once by default.
const pushChunk = 2000

func (e *Engine) batchSize() int {
	size := e.BatchSize
	if size <= 0 {
		size = e.Conn.MaxBatch()
	}
	return max(size, 1)
}

func (e *Engine) concurrency() int {
	if e.Concurrency <= 0 {
		return 4
	}
	return e.Concurrency
}

// pushPlans refreshes, merges, sends and settles one chunk of devices.
func (e *Engine) pushPlans(ctx context.Context, plans []*plan, rep *PushReport, size, conc int, refresh bool) error {
	if refresh {
		if err := e.refresh(ctx, plans); err != nil {
			return err
		}
	}
	// A device whose server record could not be read is not merged blind:
	// it stays pending, untouched, for the next push.
	kept := make([]*plan, 0, len(plans))
	for _, p := range plans {
		if !p.unread {
			kept = append(kept, p)
		}
	}
	if plans = kept; len(plans) == 0 {
		return nil
	}
	states, err := e.decide(ctx, plans)
	if err != nil {
		return err
	}
	var local, remote []*plan
	for _, p := range plans {
		rep.Entries += len(p.entries)
		if p.needsServer() {
			remote = append(remote, p)
		} else {
			local = append(local, p)
		}
	}
	// Plans the merge settled without the server are finished at once.
	if len(local) > 0 {
		res := make([]Result, len(local))
		for i, p := range local {
			res[i] = Result{ID: p.id(), Outcome: Acked, RemoteID: states[p.tag].RemoteID}
		}
		if err := e.settle(ctx, local, res, states, rep); err != nil {
			return err
		}
	}
	if len(remote) == 0 {
		return nil
	}
	// Write ahead: the entries go in flight together with the decisions
	// the writes enact, so that an override that reaches the server is on
	// record even if its answer never comes back.
	var inflight []store.Transition
	for _, p := range remote {
		for _, en := range p.entries {
			inflight = append(inflight, store.Transition{Seq: en.Seq, State: store.StateInFlight, Error: en.LastError})
		}
	}
	err = e.Store.Write(ctx, e.Actor, func(w *store.Writer) error {
		w.NoJournal = true
		if err := w.SetJournalStates(inflight); err != nil {
			return err
		}
		for _, p := range remote {
			for _, c := range p.raised {
				if err := w.RecordSyncConflict(c); err != nil {
					return err
				}
			}
			p.recorded = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sync: mark in flight: %w", err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(conc)
	var mu gosync.Mutex
	var firstErr error
	for start := 0; start < len(remote); start += size {
		batch := remote[start:min(start+size, len(remote))]
		ops := make([]Op, len(batch))
		for i, p := range batch {
			ops[i] = p.op(states[p.tag])
		}
		g.Go(func() error {
			res, err := e.Conn.Push(gctx, ops)
			mu.Lock()
			rep.Batches++
			rep.Ops += len(ops)
			mu.Unlock()
			if err != nil {
				mu.Lock()
				for _, p := range batch {
					rep.Failed += len(p.entries)
				}
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				// The batch stays in flight and is resent next time; stop
				// sending more to a server that does not answer.
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			return e.settle(ctx, batch, res, states, rep)
		})
	}
	if err := g.Wait(); err != nil {
		if firstErr != nil {
			err = firstErr
		}
		return fmt.Errorf("sync: push to %s: %w", e.Target, err)
	}
	return nil
}

// refresh reads the current server records of the devices about to be
// pushed, right before the merge, so that the merge sees every central
// change up to one round trip before the write: a pull can miss an edit
// made while it ran (sys_updated_on has one-second resolution; offsets
// shift), and a device never pulled is not pushed blind. Only the server
// values move; the base and the version stay, so the next pull still
// applies the untouched fields locally.
func (e *Engine) refresh(ctx context.Context, plans []*plan) error {
	f, ok := e.Conn.(Fetcher)
	if !ok {
		return nil
	}
	var tags []string
	for _, p := range plans {
		tags = append(tags, p.tag)
	}
	recs, err := e.fetchCurrent(ctx, f, tags)
	var partial *FetchError
	if errors.As(err, &partial) {
		e.logf("push: %v; those devices wait for the next push", err)
		for _, p := range plans {
			if _, bad := partial.Failed[p.tag]; bad {
				p.unread = true
			}
		}
		err = nil
	}
	if err != nil {
		return fmt.Errorf("sync: read current server records: %w", err)
	}
	if len(recs) == 0 {
		return nil
	}
	var found []string
	clean := recs[:0]
	for _, r := range recs {
		if r, _, ok := cleanRecord(r); ok {
			// Problems are recorded by the pull; a refused value simply
			// does not reach the server values here.
			clean = append(clean, r)
			found = append(found, r.AssetTag)
		}
	}
	recs = clean
	return e.Store.Write(ctx, e.Actor, func(w *store.Writer) error {
		w.NoJournal = true
		states, err := w.SyncRecords(e.Target, found)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.AssetTag == "" {
				continue
			}
			st := states[r.AssetTag]
			if st == nil {
				st = newState(r.AssetTag)
				states[r.AssetTag] = st
			}
			if st.RemoteID != "" && r.RemoteID != "" && st.RemoteID != r.RemoteID {
				continue // a second server record with this tag; the pull reports it
			}
			if st.RemoteID == "" {
				st.RemoteID = r.RemoteID
			}
			for f, v := range r.Fields {
				if isField(f) || f == FieldNotes {
					st.Server[f] = Normalize(f, v)
				}
			}
			if err := w.SaveSyncRecord(e.Target, st); err != nil {
				return err
			}
		}
		return nil
	})
}

// changeListMin is the number of devices up to which reading them one by
// one is as cheap as listing the changes (two requests: the listing and
// its archived pass).
const changeListMin = 2

// fetchCurrent reads the current server records of tags. With a
// ChangeFetcher and a pull mark, the devices the last pull stored (their
// server id is known) are re-read through one listing of what changed
// since the mark, and only the others, or all when the listing would cost
// more requests than reading them one by one, through Fetch.
func (e *Engine) fetchCurrent(ctx context.Context, f Fetcher, tags []string) ([]Record, error) {
	cf, ok := f.(ChangeFetcher)
	if !ok {
		return f.Fetch(ctx, tags)
	}
	mark, err := e.Store.SyncMark(ctx, e.Target)
	if err != nil {
		return nil, fmt.Errorf("sync: read watermark: %w", err)
	}
	if mark == "" {
		return f.Fetch(ctx, tags)
	}
	var known, rest []string
	for start := 0; start < len(tags); start += 500 {
		// In slices: only whether the server id is known is kept.
		part := tags[start:min(start+500, len(tags))]
		states, err := e.Store.SyncRecords(ctx, e.Target, part)
		if err != nil {
			return nil, err
		}
		for _, t := range part {
			if st := states[t]; st != nil && st.RemoteID != "" {
				known = append(known, t)
			} else {
				rest = append(rest, t)
			}
		}
	}
	var recs []Record
	if len(known) <= changeListMin {
		// Reading them one by one costs no more than the listing.
		rest, known = append(rest, known...), nil
	}
	if len(known) > 0 {
		// Half as many requests as reading one by one at most: if the
		// listing is longer (the pull is old, or much changed since), the
		// push costs at worst 1.5 reads per device instead of one.
		got, complete, err := cf.FetchChanged(ctx, Mark(mark), known, len(known)/2)
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			// The listing failed: read the devices one by one instead,
			// which reports per device what cannot be read.
			e.logf("push: list changes since the pull: %v; reading the devices one by one", err)
			rest = append(rest, known...)
		case complete:
			recs = got
		default:
			recs = got
			seen := map[string]bool{}
			for _, r := range got {
				seen[r.AssetTag] = true
			}
			for _, t := range known {
				if !seen[t] {
					rest = append(rest, t)
				}
			}
		}
	}
	if len(rest) == 0 {
		return recs, nil
	}
	more, err := f.Fetch(ctx, rest)
	return append(recs, more...), err
}

// settle records the answers for a batch in one transaction.
func (e *Engine) settle(ctx context.Context, batch []*plan, res []Result, states map[string]*state, rep *PushReport) error {
	byID := map[string]Result{}
	for _, r := range res {
		byID[r.ID] = r
	}
	return e.Store.Write(ctx, e.Actor, func(w *store.Writer) error {
		w.NoJournal = true
		var ts []store.Transition
		for _, p := range batch {
			r, ok := byID[p.id()]
			if !ok {
				r = Result{ID: p.id(), Outcome: Retry, Message: "the server's answer did not mention this change"}
			}
			st := states[p.tag]
			switch r.Outcome {
			case Retry:
				rep.Retry += len(p.entries)
				for _, en := range p.entries {
					ts = append(ts, store.Transition{Seq: en.Seq, State: store.StatePending, Error: r.Message})
				}
				continue
			case Rejected:
				rep.Rejected += len(p.entries)
				for _, en := range p.entries {
					ts = append(ts, store.Transition{Seq: en.Seq, State: store.StateRejected, Error: r.Message})
				}
				for _, id := range p.delivered {
					if err := w.UndoSyncResolution(id); err != nil {
						return err
					}
				}
				continue
			}
			newID := r.RemoteID != "" && r.RemoteID != st.RemoteID
			if r.RemoteID != "" {
				st.RemoteID = r.RemoteID
			}
			for f, v := range p.send {
				st.Base[f], st.Server[f] = v, v
			}
			for f, v := range p.agreed {
				st.Base[f], st.Server[f] = v, v
			}
			for f, v := range p.take {
				st.Base[f] = v
			}
			for f, v := range r.Server {
				st.Server[f] = v
				if isField(f) {
					st.Base[f] = v
				}
			}
			for _, c := range p.raised {
				if c.Resolution == AutoLocal || c.Resolution == AutoServer {
					rep.Overrides++
				}
				if p.recorded {
					continue
				}
				if err := w.RecordSyncConflict(c); err != nil {
					return err
				}
			}
			for _, c := range p.reopen {
				if err := w.ReviseSyncConflict(c); err != nil {
					return err
				}
			}
			for _, id := range p.delivered {
				if err := w.MarkSyncConflictDelivered(id); err != nil {
					return err
				}
			}
			if len(p.take) > 0 || newID {
				if err := applyLocal(w, p.tag, p.take, r.RemoteID); err != nil {
					return err
				}
			}
			if st.AssetTag != "" {
				if err := w.SaveSyncRecord(e.Target, st); err != nil {
					return err
				}
			}
			final := store.StateAcked
			if p.holds {
				final = store.StateConflict
				rep.Conflicts += len(p.entries)
			} else {
				rep.Acked += len(p.entries)
			}
			for _, en := range p.entries {
				ts = append(ts, store.Transition{Seq: en.Seq, State: final, RemoteRef: r.RemoteID})
			}
		}
		return w.SetJournalStates(ts)
	})
}
