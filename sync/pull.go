package sync

import (
	"context"
	"errors"
	"fmt"

	"github.com/biomed-rounds/rounds/store"
)

// PullReport sums up a pull.
type PullReport struct {
	Pages   int  `json:"pages"`
	Records int  `json:"records"`
	Skipped int  `json:"skipped"`
	Created int  `json:"created"`
	Updated int  `json:"updated"`
	Held    int  `json:"held"`
	Issues  int  `json:"issues"`
	Mark    Mark `json:"mark"`
}

// Pull reads what changed on the server since the stored watermark and
// merges it in. Each page is stored in one transaction together with the
// watermark it allows, so that a pull interrupted at any point resumes
// without losing or double-applying anything. Fetching the next page
// overlaps with storing the current one.
func (e *Engine) Pull(ctx context.Context) (rep PullReport, err error) {
	defer func() { e.recordRun(ctx, "pull", err) }()
	m, err := e.Store.SyncMark(ctx, e.Target)
	mark := Mark(m)
	if err != nil {
		return rep, fmt.Errorf("sync: read watermark: %w", err)
	}
	rep.Mark = mark
	// The connector reads the next page while this goroutine stores the
	// current one. A failed read still lets the pages already read be
	// stored; a failed store stops the reading.
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan Page, 1)
	var readErr error
	go func() {
		defer close(pages)
		readErr = e.Conn.Pull(rctx, mark, func(ctx context.Context, p Page) error {
			select {
			case pages <- p:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	var storeErr error
	for p := range pages {
		if storeErr != nil {
			continue
		}
		if err := e.storePage(ctx, p, &rep); err != nil {
			storeErr = err
			cancel()
			continue
		}
		rep.Pages++
		if p.Mark != "" {
			rep.Mark = p.Mark
		}
	}
	if storeErr != nil {
		return rep, fmt.Errorf("sync: pull from %s: %w", e.Target, storeErr)
	}
	if readErr != nil {
		return rep, fmt.Errorf("sync: pull from %s: %w", e.Target, readErr)
	}
	e.logf("pull: %d records in %d pages (%d new, %d updated, %d unchanged, %d fields held for local changes, %d issues)",
		rep.Records, rep.Pages, rep.Created, rep.Updated, rep.Skipped, rep.Held, rep.Issues)
	return rep, nil
}

// storePage merges one page in one transaction. It first tries without a
// savepoint per record; a page where a record breaks a constraint (a
// serial another device holds) is done again record by record, so that
// one bad record costs an issue, not the page.
func (e *Engine) storePage(ctx context.Context, p Page, rep *PullReport) error {
	try := *rep
	err := e.storePageMode(ctx, p, &try, false)
	if err != nil && (errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrConstraint)) {
		try = *rep
		err = e.storePageMode(ctx, p, &try, true)
	}
	if err == nil {
		*rep = try
	}
	return err
}

func (e *Engine) storePageMode(ctx context.Context, p Page, rep *PullReport, careful bool) error {
	now := e.now()
	write := e.Store.Write
	if len(p.Records) >= 200 {
		write = e.Store.BulkWrite
	}
	return write(ctx, e.Actor, func(w *store.Writer) error {
		w.NoJournal = true
		var tags, ids []string
		for _, r := range p.Records {
			if r.AssetTag != "" {
				tags = append(tags, r.AssetTag)
			}
			if r.RemoteID != "" {
				ids = append(ids, r.RemoteID)
			}
		}
		states, err := w.SyncRecords(e.Target, tags)
		if err != nil {
			return err
		}
		byRemote, err := w.SyncTagsByRemote(e.Target, ids)
		if err != nil {
			return err
		}
		frozen, err := w.UndeliveredFields(tags, Fields)
		if err != nil {
			return err
		}
		held, err := w.HeldSyncConflicts(e.Target, tags)
		if err != nil {
			return err
		}
		for _, r := range p.Records {
			rep.Records++
			if err := e.mergeRecord(ctx, w, r, states, byRemote, frozen, held, now, rep, careful); err != nil {
				return err
			}
		}
		if p.Mark != "" {
			return w.SaveSyncMark(e.Target, string(p.Mark), now)
		}
		return nil
	})
}
