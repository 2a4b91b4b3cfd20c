package sync

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/biomed-rounds/rounds/store"
)

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
	cs, err := e.Store.SyncConflicts(ctx, e.Target, store.ConflictsUndelivered)
	if err != nil {
		return nil, fmt.Errorf("sync: read resolutions: %w", err)
	}
	for _, c := range cs {
		p := get(c.AssetTag)
		p.resolve = append(p.resolve, c)
	}
	return order, nil
}

// decide runs the three-way merge of every plan. It reads the store but
// writes nothing: decisions are recorded when the answer is settled, and
// taken again identically if a crash comes first.
func (e *Engine) decide(ctx context.Context, plans []*plan) (map[string]*state, error) {
	var tags []string
	for _, p := range plans {
		tags = append(tags, p.tag)
	}
	states, err := e.Store.SyncRecords(ctx, e.Target, tags)
	if err != nil {
		return nil, err
	}
	open, err := e.Store.OpenSyncConflicts(ctx, e.Target, tags)
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
		} else if _, fetches := e.Conn.(Fetcher); fetches && !st.Stored {
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
