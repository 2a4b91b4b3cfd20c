package sync

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/inert"
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
	mark, err := loadMark(ctx, e.Store.DB(), e.Target)
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

func (e *Engine) recordRun(ctx context.Context, kind string, err error) {
	_ = recordRun(context.WithoutCancel(ctx), e.Store.DB(), e.Target, kind, e.now(), err)
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
		tx := w.Tx()
		var tags, ids []string
		for _, r := range p.Records {
			if r.AssetTag != "" {
				tags = append(tags, r.AssetTag)
			}
			if r.RemoteID != "" {
				ids = append(ids, r.RemoteID)
			}
		}
		states, err := loadStates(ctx, tx, e.Target, tags)
		if err != nil {
			return err
		}
		byRemote, err := tagsByRemote(ctx, tx, e.Target, ids)
		if err != nil {
			return err
		}
		frozen, err := undelivered(ctx, tx, tags)
		if err != nil {
			return err
		}
		held, err := heldConflicts(ctx, tx, e.Target, tags)
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
			return saveMark(ctx, tx, e.Target, p.Mark, now)
		}
		return nil
	})
}

// heldConflicts returns the conflicts that freeze a field against pulls:
// open ones, and a person's "keep local" not yet delivered.
func heldConflicts(ctx context.Context, q queryer, target string, tags []string) (map[string]map[string]Conflict, error) {
	out := map[string]map[string]Conflict{}
	err := chunks(tags, 500, func(part []string) error {
		// Two index searches rather than an OR that would scan every
		// conflict of the target.
		in := "asset_tag IN (" + placeholders(len(part)) + ")"
		a := args([]any{target}, part)
		cs, err := queryConflicts(ctx, q, "id IN (SELECT id FROM sync_conflicts WHERE target = ? AND resolution = 'open' AND "+in+
			" UNION ALL SELECT id FROM sync_conflicts WHERE target = ? AND resolution = 'local' AND delivered = 0 AND "+in+")",
			append(a, a...)...)
		for _, c := range cs {
			if out[c.AssetTag] == nil {
				out[c.AssetTag] = map[string]Conflict{}
			}
			out[c.AssetTag][c.Field] = c
		}
		return err
	})
	return out, err
}

// identityFields are the device fields the store indexes as unique or
// identifying; a server value another device already holds is skipped.
var identityFields = []string{FieldSerial, FieldMAC, FieldBLEAddress, FieldIP, FieldHostname}

func (e *Engine) mergeRecord(ctx context.Context, w *store.Writer, r Record, states map[string]*state,
	byRemote map[string]string, frozen map[string]map[string]bool, held map[string]map[string]Conflict,
	now time.Time, rep *PullReport, careful bool) error {
	tx := w.Tx()
	issue := func(tag, field, msg string) error {
		rep.Issues++
		return addIssue(ctx, tx, e.Target, tag, field, msg, now)
	}
	r, problems, ok := cleanRecord(r)
	if !ok {
		return issue(inert.String(clip(r.AssetTag)), "asset_tag", fmt.Sprintf("server record %s cannot be stored: %s",
			inert.String(clip(r.RemoteID)), problemText(problems)))
	}
	tag := r.AssetTag
	if tag == "" {
		return issue("", "asset_tag", fmt.Sprintf("server record %s has no asset tag; not stored", clip(r.RemoteID)))
	}
	st := states[tag]
	if st == nil {
		st = newState(tag)
		states[tag] = st
	}
	if r.RemoteID != "" {
		if st.RemoteID != "" && st.RemoteID != r.RemoteID {
			return issue(tag, "asset_tag", fmt.Sprintf("the server holds two records with this asset tag (%s and %s); only %s is synced",
				clip(st.RemoteID), clip(r.RemoteID), clip(st.RemoteID)))
		}
		if other, ok := byRemote[r.RemoteID]; ok && other != tag {
			return issue(tag, "asset_tag", fmt.Sprintf("server record %s changed its asset tag from %s; not applied",
				clip(r.RemoteID), other))
		}
		byRemote[r.RemoteID] = tag
	}
	if st.stored && r.Version != "" && st.Version == r.Version {
		rep.Skipped++
		return nil
	}
	for _, f := range sortedKeys(problems) {
		if err := issue(tag, f, "server value "+problems[f]); err != nil {
			return err
		}
	}
	old, err := w.Device(tag)
	exists := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !exists {
		old = store.Device{AssetTag: tag, Status: store.StatusInService}
	}
	d := old
	fz, hc := frozen[tag], held[tag]
	if !exists {
		// A device unknown locally has no local changes to protect.
		fz, hc = nil, nil
	}
	var applied []string
	for _, f := range Fields {
		v, ok := r.Fields[f]
		if !ok {
			continue
		}
		v = Normalize(f, v)
		st.Server[f] = v
		if c, ok := hc[f]; ok {
			rep.Held++
			if c.Resolution == Open && c.Server != v {
				if _, err := tx.ExecContext(ctx, "UPDATE sync_conflicts SET server = ? WHERE id = ?", v, c.ID); err != nil {
					return err
				}
			}
			continue
		}
		if fz[f] {
			rep.Held++
			continue
		}
		st.Base[f] = v
		if err := SetField(&d, f, v); err != nil {
			if err := issue(tag, f, err.Error()); err != nil {
				return err
			}
			continue
		}
		applied = append(applied, f)
	}
	if v, ok := r.Fields[FieldNotes]; ok {
		st.Server[FieldNotes] = Normalize(FieldNotes, v)
	}
	if (d.Manufacturer == "") != (d.Model == "") {
		if err := issue(tag, FieldModel, fmt.Sprintf("server gives manufacturer %q and model %q; rounds needs both or neither",
			clip(d.Manufacturer), clip(d.Model))); err != nil {
			return err
		}
		d.Manufacturer, d.Model = old.Manufacturer, old.Model
		if (d.Manufacturer == "") != (d.Model == "") {
			d.Manufacturer, d.Model = "", ""
		}
	}
	if r.RemoteID != "" {
		st.RemoteID = r.RemoteID
		d.CMDBID = r.RemoteID
	}
	st.Version = r.Version
	d.CMDBVersion = r.Version
	if len(applied) > 0 || !exists || d.CMDBID != old.CMDBID || d.CMDBVersion != old.CMDBVersion {
		if !careful {
			if _, err := w.PutDevice(d); err != nil {
				return fmt.Errorf("device %s: %w", tag, err)
			}
			if exists {
				rep.Updated++
			} else {
				rep.Created++
			}
			return saveState(ctx, tx, e.Target, st)
		}
		err := w.Savepoint(func() error { _, err := w.PutDevice(d); return err })
		if err != nil && errors.Is(err, store.ErrConflict) {
			// A value another device holds: keep this device's own
			// identifying values and try again.
			if err := issue(tag, "identity", err.Error()); err != nil {
				return err
			}
			keepIdentity(&d, old, exists)
			err = w.Savepoint(func() error { _, err := w.PutDevice(d); return err })
		}
		if err != nil {
			if !errors.Is(err, store.ErrConstraint) && !errors.Is(err, store.ErrConflict) {
				return err
			}
			if err := issue(tag, "record", "not stored locally: "+err.Error()); err != nil {
				return err
			}
		} else if exists {
			rep.Updated++
		} else {
			rep.Created++
		}
	} else {
		rep.Skipped++
	}
	return saveState(ctx, tx, e.Target, st)
}

func keepIdentity(d *store.Device, old store.Device, exists bool) {
	for _, f := range identityFields {
		v := ""
		if exists {
			v = DeviceFields(old)[f]
		}
		_ = SetField(d, f, v)
	}
}

// clip bounds a server string quoted in a message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

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

// plan is the delivery of one device's undelivered changes.
type plan struct {
	tag      string
	entries  []store.Entry
	create   bool
	set      map[string]string
	firstOld map[string]string
	lastSeq  map[string]int64
	audit    *Audit
	// unread: the pre-push fetch could not read the device's server record.
	unread  bool
	notes   []Note
	resolve []Conflict
	retry   bool

	// Decisions of the merge.
	send      map[string]string
	agreed    map[string]string
	take      map[string]string
	raised    []Conflict
	reopen    []Conflict
	delivered []int64
	holds     bool
	// recorded says raised was written ahead of sending.
	recorded bool
}

func (p *plan) id() string {
	if len(p.entries) > 0 {
		return p.entries[0].IdempotencyID
	}
	return "conflict-" + strconv.FormatInt(p.resolve[0].ID, 10)
}

func (p *plan) needsServer() bool {
	return len(p.send) > 0 || p.audit != nil || len(p.notes) > 0
}

// buildPlans groups the outbox and the undelivered resolutions by device.
func (e *Engine) buildPlans(ctx context.Context) ([]*plan, error) {
	out, err := e.Store.Outbox(ctx, 0)
	if err != nil {
		return nil, fmt.Errorf("sync: read outbox: %w", err)
	}
	byTag := map[string]*plan{}
	var order []*plan
	get := func(tag string) *plan {
		p := byTag[tag]
		if p == nil {
			p = &plan{tag: tag, set: map[string]string{}, firstOld: map[string]string{}, lastSeq: map[string]int64{}}
			byTag[tag] = p
			order = append(order, p)
		}
		return p
	}
	for _, en := range out {
		p := get(en.AssetTag)
		p.entries = append(p.entries, en)
		if en.State == store.StateInFlight || en.Attempts > 0 {
			p.retry = true
		}
		switch en.Op {
		case store.OpCreate:
			p.create = true
		case store.OpNote:
			for _, c := range en.Changes {
				p.notes = append(p.notes, Note{ID: en.IdempotencyID, At: en.At, Actor: en.Actor, Text: c.New})
			}
			continue
		case store.OpAudit:
			p.audit = &Audit{ID: en.IdempotencyID, At: en.At}
		}
		for _, c := range en.Changes {
			if !isField(c.Field) {
				continue
			}
			if _, ok := p.firstOld[c.Field]; !ok {
				p.firstOld[c.Field] = Normalize(c.Field, c.Old)
			}
			p.set[c.Field] = Normalize(c.Field, c.New)
			p.lastSeq[c.Field] = en.Seq
		}
	}
	cs, err := queryConflicts(ctx, e.Store.DB(), "target = ? AND resolution = 'local' AND delivered = 0", e.Target)
	if err != nil {
		return nil, fmt.Errorf("sync: read resolutions: %w", err)
	}
	for _, c := range cs {
		p := get(c.AssetTag)
		p.resolve = append(p.resolve, c)
	}
	return order, nil
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
	if err := e.refresh(ctx, plans); err != nil {
		return rep, err
	}
	// A device whose server record could not be read is not merged blind:
	// it stays pending, untouched, for the next push.
	kept := plans[:0]
	for _, p := range plans {
		if !p.unread {
			kept = append(kept, p)
		}
	}
	if plans = kept; len(plans) == 0 {
		return rep, nil
	}
	states, err := e.decide(ctx, plans)
	if err != nil {
		return rep, err
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
		if err := e.settle(ctx, local, res, states, &rep); err != nil {
			return rep, err
		}
	}
	if len(remote) == 0 {
		return rep, nil
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
	err = e.Store.Tx(ctx, func(tx *sql.Tx) error {
		if err := store.SetStatesTx(ctx, tx, inflight); err != nil {
			return err
		}
		for _, p := range remote {
			for _, c := range p.raised {
				if err := recordConflict(ctx, tx, c); err != nil {
					return err
				}
			}
			p.recorded = true
		}
		return nil
	})
	if err != nil {
		return rep, fmt.Errorf("sync: mark in flight: %w", err)
	}
	size := e.BatchSize
	if size <= 0 {
		size = e.Conn.MaxBatch()
	}
	if size <= 0 {
		size = 1
	}
	conc := e.Concurrency
	if conc <= 0 {
		conc = 4
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
			return e.settle(ctx, batch, res, states, &rep)
		})
	}
	if err := g.Wait(); err != nil {
		if firstErr != nil {
			err = firstErr
		}
		return rep, fmt.Errorf("sync: push to %s: %w", e.Target, err)
	}
	e.logf("push: %d entries in %d ops, %d batches: %d acked, %d conflict, %d rejected, %d to retry",
		rep.Entries, rep.Ops, rep.Batches, rep.Acked, rep.Conflicts, rep.Rejected, rep.Retry)
	return rep, nil
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
	recs, err := f.Fetch(ctx, tags)
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
	return e.Store.Tx(ctx, func(tx *sql.Tx) error {
		states, err := loadStates(ctx, tx, e.Target, found)
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
			if err := saveState(ctx, tx, e.Target, st); err != nil {
				return err
			}
		}
		return nil
	})
}

// decide runs the three-way merge of every plan. It reads the store but
// writes nothing: decisions are recorded when the answer is settled, and
// taken again identically if a crash comes first.
func (e *Engine) decide(ctx context.Context, plans []*plan) (map[string]*state, error) {
	var tags []string
	for _, p := range plans {
		tags = append(tags, p.tag)
	}
	db := e.Store.DB()
	states, err := loadStates(ctx, db, e.Target, tags)
	if err != nil {
		return nil, err
	}
	open, err := openConflicts(ctx, db, e.Target, tags)
	if err != nil {
		return nil, err
	}
	now := e.now()
	owners := e.owners()
	for _, p := range plans {
		st := states[p.tag]
		if st == nil {
			st = newState(p.tag)
			states[p.tag] = st
		}
		if st.RemoteID != "" {
			p.create = false
		} else if _, fetches := e.Conn.(Fetcher); fetches && !st.stored {
			// Neither pulled nor found by the fetch: the server does not
			// have the device (never created, refused, or deleted there),
			// so any change to it creates it whole.
			p.create = true
		}
		p.send, p.agreed, p.take = map[string]string{}, map[string]string{}, map[string]string{}
		if p.create {
			// Send the whole record so the server's copy is complete.
			if d, err := e.Store.Device(ctx, p.tag); err == nil {
				for f, v := range DeviceFields(d) {
					if _, ok := p.set[f]; !ok && v != "" {
						p.set[f] = v
						p.firstOld[f] = ""
					}
				}
			}
		}
		fields := make([]string, 0, len(p.set))
		for f := range p.set {
			fields = append(fields, f)
		}
		sort.Strings(fields)
		for _, f := range fields {
			l := p.set[f]
			if c, ok := open[p.tag][f]; ok {
				// A person has yet to choose; the newest local value joins
				// the conflict.
				p.holds = true
				if c.Local != l {
					c.Local = l
					p.reopen = append(p.reopen, c)
				}
				continue
			}
			s, known := st.Server[f]
			b, ok := st.Base[f]
			if !ok {
				b = p.firstOld[f]
			}
			c := Conflict{Target: e.Target, AssetTag: p.tag, Field: f, Base: b, Local: l, Server: s,
				EntrySeq: p.lastSeq[f], DetectedAt: now, ResolvedBy: "ownership"}
			switch mergeField(owners.Of(f), l, b, s, known) {
			case send:
				p.send[f] = l
			case agreed:
				p.agreed[f] = l
			case sendOverride:
				p.send[f] = l
				c.Resolution = AutoLocal
				p.raised = append(p.raised, c)
			case takeServer:
				p.take[f] = s
				c.Resolution = AutoServer
				p.raised = append(p.raised, c)
			case conflict:
				c.Resolution, c.ResolvedBy = Open, ""
				p.raised = append(p.raised, c)
				p.holds = true
			}
		}
		if p.audit != nil {
			p.audit.Location = p.set[FieldLocation]
			if p.audit.Location == "" {
				if d, err := e.Store.Device(ctx, p.tag); err == nil {
					p.audit.Location = d.LocationKey
				}
			}
			p.audit.NextDue = p.set[FieldNextAuditDue]
			p.audit.Note = "rounds audit " + p.audit.ID
		}
		for _, c := range p.resolve {
			s, known := st.Server[c.Field]
			switch {
			case known && s == c.Local:
				p.delivered = append(p.delivered, c.ID)
			case known && s != c.Server:
				// The server changed again since the person chose: ask
				// again rather than overwrite a value nobody has seen.
				c.Server, c.Resolution = s, Open
				p.reopen = append(p.reopen, c)
			default:
				if _, taken := p.send[c.Field]; !taken {
					p.send[c.Field] = c.Local
				}
				p.delivered = append(p.delivered, c.ID)
			}
		}
	}
	return states, nil
}

func (p *plan) op(st *state) Op {
	if _, dated := p.send[FieldLastAudited]; dated {
		if d, ok := p.agreed[FieldNextAuditDue]; ok {
			// An audit date goes out as an audit, which resets the next
			// audit date unless it carries one; a retry finds the next date
			// already agreed, and must still send it with the audit.
			p.send[FieldNextAuditDue] = d
		}
	}
	op := Op{ID: p.id(), AssetTag: p.tag, RemoteID: st.RemoteID, Create: p.create,
		Set: p.send, Audit: p.audit, Notes: p.notes, Server: st.Server, Retry: p.retry}
	return op
}

// settle records the answers for a batch in one transaction.
func (e *Engine) settle(ctx context.Context, batch []*plan, res []Result, states map[string]*state, rep *PushReport) error {
	byID := map[string]Result{}
	for _, r := range res {
		byID[r.ID] = r
	}
	return e.Store.Write(ctx, e.Actor, func(w *store.Writer) error {
		w.NoJournal = true
		tx := w.Tx()
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
					if _, err := tx.ExecContext(ctx, `UPDATE sync_conflicts SET resolution = 'open', resolved_at = '',
						resolved_by = '' WHERE id = ?`, id); err != nil {
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
				if err := recordConflict(ctx, tx, c); err != nil {
					return err
				}
			}
			for _, c := range p.reopen {
				if _, err := tx.ExecContext(ctx, `UPDATE sync_conflicts SET local = ?, server = ?, resolution = ?,
					resolved_at = CASE WHEN ? = 'open' THEN '' ELSE resolved_at END WHERE id = ?`,
					c.Local, c.Server, string(c.Resolution), string(c.Resolution), c.ID); err != nil {
					return err
				}
			}
			for _, id := range p.delivered {
				if _, err := tx.ExecContext(ctx, "UPDATE sync_conflicts SET delivered = 1 WHERE id = ?", id); err != nil {
					return err
				}
			}
			if len(p.take) > 0 || newID {
				if err := applyLocal(w, p.tag, p.take, r.RemoteID); err != nil {
					return err
				}
			}
			if st.AssetTag != "" {
				if err := saveState(ctx, tx, e.Target, st); err != nil {
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
		return store.SetStatesTx(ctx, tx, ts)
	})
}

// applyLocal writes server values (ownership decisions) and the remote id
// to the device without journalling them.
func applyLocal(w *store.Writer, tag string, vals map[string]string, remoteID string) error {
	d, err := w.Device(tag)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	nd := d
	for f, v := range vals {
		if err := SetField(&nd, f, v); err != nil {
			return fmt.Errorf("device %s: %w", tag, err)
		}
	}
	if remoteID != "" {
		nd.CMDBID = remoteID
	}
	if (nd.Manufacturer == "") != (nd.Model == "") {
		nd.Manufacturer, nd.Model = d.Manufacturer, d.Model
	}
	return w.Savepoint(func() error { _, err := w.PutDevice(nd); return err })
}

// DryRun prints what Push would send, using the state already stored: it
// neither reads the server nor changes anything.
func (e *Engine) DryRun(ctx context.Context, out io.Writer) (PushReport, error) {
	var rep PushReport
	plans, err := e.buildPlans(ctx)
	if err != nil {
		return rep, err
	}
	states, err := e.decide(ctx, plans)
	if err != nil {
		return rep, err
	}
	var ops []Op
	for _, p := range plans {
		rep.Entries += len(p.entries)
		for _, c := range p.raised {
			switch c.Resolution {
			case Open:
				rep.Conflicts++
				fmt.Fprintf(out, "conflict: %s %s: local %q, server %q (base %q) — would wait for a person\n",
					p.tag, c.Field, c.Local, c.Server, c.Base)
			case AutoLocal:
				rep.Overrides++
				fmt.Fprintf(out, "override: %s %s: laptop-owned, would replace server %q with %q\n", p.tag, c.Field, c.Server, c.Local)
			case AutoServer:
				rep.Overrides++
				fmt.Fprintf(out, "take: %s %s: server-owned, would take server %q over local %q\n", p.tag, c.Field, c.Server, c.Local)
			}
		}
		if p.needsServer() {
			ops = append(ops, p.op(states[p.tag]))
		}
	}
	rep.Ops = len(ops)
	if len(ops) == 0 {
		fmt.Fprintln(out, "nothing to send")
		return rep, nil
	}
	d, ok := e.Conn.(Describer)
	if !ok {
		for _, op := range ops {
			fmt.Fprintf(out, "%s %s set %s\n", op.ID, op.AssetTag, formatSet(op.Set))
		}
		return rep, nil
	}
	size := e.BatchSize
	if size <= 0 {
		size = e.Conn.MaxBatch()
	}
	for start := 0; start < len(ops); start += max(size, 1) {
		rep.Batches++
		if err := d.Describe(out, ops[start:min(start+max(size, 1), len(ops))]); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func formatSet(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
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
