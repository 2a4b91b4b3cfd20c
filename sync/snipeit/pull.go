package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// record converts an asset row to canonical form.
func (c *Connector) record(row map[string]json.RawMessage) sync.Record {
	r := sync.Record{RemoteID: text(row["id"]), AssetTag: strings.TrimSpace(text(row["asset_tag"])), Fields: map[string]string{}}
	r.Version = sub(row["updated_at"], "datetime")
	r.Fields[sync.FieldSerial] = text(row["serial"])
	if m := sub(row["model"], "name"); m != "" {
		r.Fields[sync.FieldModel] = m
		r.Fields[sync.FieldManufacturer] = sub(row["manufacturer"], "name")
		id, _ := strconv.Atoi(sub(row["model"], "id"))
		c.learn("models", m, id)
	}
	if raw, ok := row["location"]; ok {
		name := sub(raw, "name")
		r.Fields[sync.FieldLocation] = name
		id, _ := strconv.Atoi(sub(raw, "id"))
		c.learn("locations", name, id)
	}
	if raw := row["status_label"]; len(raw) > 0 && string(raw) != "null" {
		name := sub(raw, "name")
		id, _ := strconv.Atoi(sub(raw, "id"))
		c.learn("statuslabels", name, id)
		for st, label := range c.cfg.Status {
			if label == name {
				r.Fields[sync.FieldStatus] = st
			}
		}
		if _, ok := r.Fields[sync.FieldStatus]; !ok {
			// A site's own label: its meta type (deployable, pending,
			// archived) says what it means; an undeployable label rounds
			// cannot place is passed on and refused with an issue.
			if st, err := sync.ParseStatus(name, sub(raw, "status_meta")); err == nil {
				r.Fields[sync.FieldStatus] = string(st)
			} else {
				r.Fields[sync.FieldStatus] = name
			}
		}
	}
	if d := sub(row["last_audit_date"], "datetime"); d != "" {
		if t, err := time.ParseInLocation(stamp, d, c.cfg.Location); err == nil {
			d = t.UTC().Format("2006-01-02")
		}
		r.Fields[sync.FieldLastAudited] = d
	} else {
		r.Fields[sync.FieldLastAudited] = ""
	}
	r.Fields[sync.FieldNextAuditDue] = sub(row["next_audit_date"], "date")
	r.Fields[sync.FieldNotes] = notesOf(row["notes"])
	var custom map[string]json.RawMessage
	if json.Unmarshal(row["custom_fields"], &custom) == nil {
		byCol := map[string]string{}
		for _, v := range custom {
			byCol[sub(v, "field")] = sub(v, "value")
		}
		for f, col := range c.cfg.Fields {
			if v, ok := byCol[col]; ok && col != "" {
				r.Fields[f] = v
			}
		}
	}
	// updated_at has one-second resolution: two changes within a second
	// share it, so the version also fingerprints the content.
	r.Version += "#" + fingerprint(r.Fields)
	return r
}

func fingerprint(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		io.WriteString(h, k)
		h.Write([]byte{0})
		io.WriteString(h, m[k])
		h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// Pull lists hardware newest first and stops at the watermark less the
// overlap. Pages are emitted as read; only the last carries the new mark,
// so an interrupted pull starts over from the old one.
//
// Real servers make this harder than the API suggests:
//   - the limit is cut to MAX_RESULTS, so a page shorter than asked is not
//     the end; the total is;
//   - rows with equal updated_at come back in any order, and a different
//     one on each request, so each page starts again at the first row of
//     the timestamp that ended the previous page (a tie group bigger than
//     a page falls back to a full scan by id, which is stable);
//   - archived assets are left out unless the server's
//     show_archived_in_list is on, so they are listed in a second pass
//     with status=Archived.
func (c *Connector) Pull(ctx context.Context, from sync.Mark, emit func(context.Context, sync.Page) error) error {
	lower := ""
	if from != "" {
		t, err := time.Parse(stamp, string(from))
		if err != nil {
			return fmt.Errorf("snipeit: watermark %q: want \"YYYY-MM-DD hh:mm:ss\"", from)
		}
		lower = t.Add(-c.cfg.Overlap).Format(stamp)
	}
	newest := string(from)
	var seen idSet
	take := func(row map[string]json.RawMessage) *sync.Record {
		r := c.record(row)
		if !seen.add(r.RemoteID) {
			return nil
		}
		return &r
	}
	for _, pass := range []url.Values{{}, {"status": {"Archived"}}} {
		if err := c.pullPass(ctx, pass, lower, &newest, nil, take, emit); err != nil {
			return err
		}
	}
	if newest != "" {
		return emit(ctx, sync.Page{Mark: sync.Mark(newest)})
	}
	return nil
}

// idSet remembers the asset ids a pull emitted: pages overlap (each
// restarts at the first row of a timestamp) and archived assets may come
// in both passes. Snipe-IT ids are dense integers, so a bitmap holds a
// million in 125 kB where a map of strings took tens of megabytes; an id
// that is not a small integer goes to a map.
type idSet struct {
	bits  []uint64
	other map[string]struct{}
}

// maxBitmapID bounds the bitmap (8 MB): a hostile id must not size it.
const maxBitmapID = 1 << 26

// add records id and reports whether it was new.
func (s *idSet) add(id string) bool {
	if n, err := strconv.Atoi(id); err == nil && n >= 0 && n < maxBitmapID && strconv.Itoa(n) == id {
		w, b := n/64, uint64(1)<<(n%64)
		if w >= len(s.bits) {
			s.bits = append(s.bits, make([]uint64, w+1-len(s.bits)+len(s.bits)/4)...)
		}
		if s.bits[w]&b != 0 {
			return false
		}
		s.bits[w] |= b
		return true
	}
	if _, ok := s.other[id]; ok {
		return false
	}
	if s.other == nil {
		s.other = map[string]struct{}{}
	}
	s.other[id] = struct{}{}
	return true
}

func updatedAt(row map[string]json.RawMessage) string { return sub(row["updated_at"], "datetime") }

// pullPass reads one listing (all, or the archived) down to lower.
func (c *Connector) pullPass(ctx context.Context, extra url.Values, lower string, newest *string, budget *int,
	take func(map[string]json.RawMessage) *sync.Record, emit func(context.Context, sync.Page) error) error {
	emitRows := func(rows []map[string]json.RawMessage) error {
		var recs []sync.Record
		for _, row := range rows {
			if r := take(row); r != nil {
				recs = append(recs, *r)
			}
		}
		if len(recs) == 0 {
			return nil
		}
		return emit(ctx, sync.Page{Records: recs})
	}
	for offset := 0; ; {
		l, err := c.listWithin(ctx, budget, offset, "updated_at", "desc", extra)
		if err != nil {
			return err
		}
		rows := l.Rows
		if len(rows) == 0 {
			return nil
		}
		stop := false
		var keep []map[string]json.RawMessage
		for _, row := range rows {
			ua := updatedAt(row)
			if ua > *newest {
				*newest = ua
			}
			if lower != "" && ua < lower {
				stop = true
				continue
			}
			keep = append(keep, row)
		}
		if err := emitRows(keep); err != nil {
			return err
		}
		if stop || offset+len(rows) >= l.Total {
			return nil
		}
		// Start the next page at the first row of the last timestamp.
		k := len(rows) - 1
		for k > 0 && updatedAt(rows[k-1]) == updatedAt(rows[len(rows)-1]) {
			k--
		}
		if k == 0 {
			// One timestamp fills the page: no offset can split it safely.
			return c.scanByID(ctx, extra, newest, budget, emitRows)
		}
		offset += k
	}
}

// scanByID lists everything in id order, which is stable.
func (c *Connector) scanByID(ctx context.Context, extra url.Values, newest *string, budget *int,
	emitRows func([]map[string]json.RawMessage) error) error {
	for offset := 0; ; {
		l, err := c.listWithin(ctx, budget, offset, "id", "asc", extra)
		if err != nil {
			return err
		}
		for _, row := range l.Rows {
			if ua := updatedAt(row); ua > *newest {
				*newest = ua
			}
		}
		if err := emitRows(l.Rows); err != nil {
			return err
		}
		offset += len(l.Rows)
		if len(l.Rows) == 0 || offset >= l.Total {
			return nil
		}
	}
}

// errBudget stops a listing that would cost more requests than allowed.
var errBudget = errors.New("snipeit: request budget spent")

// listWithin is list counting against budget (nil: no bound).
func (c *Connector) listWithin(ctx context.Context, budget *int, offset int, sortBy, order string, extra url.Values) (*List, error) {
	if budget != nil {
		if *budget <= 0 {
			return nil, errBudget
		}
		*budget--
	}
	return c.list(ctx, offset, sortBy, order, extra)
}

// FetchChanged lists, newest first, the assets changed since the pull
// mark from (less the overlap), archived ones included, and returns those
// of tags: before a push this costs one request per page of central
// changes (usually two requests in all, the listing and the archived
// listing) where Fetch costs one per device. It stops once budget
// requests are spent and then reports complete false.
func (c *Connector) FetchChanged(ctx context.Context, from sync.Mark, tags []string, budget int) ([]sync.Record, bool, error) {
	if from == "" {
		return nil, false, nil
	}
	t, err := time.Parse(stamp, string(from))
	if err != nil {
		return nil, false, fmt.Errorf("snipeit: watermark %q: want \"YYYY-MM-DD hh:mm:ss\"", from)
	}
	lower := t.Add(-c.cfg.Overlap).Format(stamp)
	want := make(map[string]bool, len(tags))
	for _, t := range tags {
		want[t] = true
	}
	newest := string(from)
	seen := map[string]bool{}
	var recs []sync.Record
	take := func(row map[string]json.RawMessage) *sync.Record {
		tag := strings.TrimSpace(text(row["asset_tag"]))
		id := text(row["id"])
		if !want[tag] || seen[id] {
			return nil
		}
		seen[id] = true
		r := c.record(row)
		return &r
	}
	collect := func(_ context.Context, p sync.Page) error {
		recs = append(recs, p.Records...)
		return nil
	}
	for _, pass := range []url.Values{{}, {"status": {"Archived"}}} {
		err := c.pullPass(ctx, pass, lower, &newest, &budget, take, collect)
		if errors.Is(err, errBudget) {
			return recs, false, nil
		}
		if err != nil {
			return nil, false, err
		}
	}
	return recs, true, nil
}

func (c *Connector) list(ctx context.Context, offset int, sortBy, order string, extra url.Values) (*List, error) {
	q := url.Values{"sort": {sortBy}, "order": {order}, "limit": {strconv.Itoa(c.cfg.PageSize)},
		"offset": {strconv.Itoa(offset)}}
	for k, v := range extra {
		q[k] = v
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: "/api/v1/hardware", Query: q, Idempotent: true})
		if err != nil {
			return nil, fmt.Errorf("snipeit: %w", err)
		}
		l, err := ParseList(resp.Body)
		if err == nil {
			return l, nil
		}
		if attempt >= 2 || errors.Is(err, ErrAPI) {
			return nil, fmt.Errorf("snipeit: GET /api/v1/hardware: %w", err)
		}
	}
}

// Fetch reads the current assets of the given tags, one request each,
// four at a time (the client's rate limit still applies).
func (c *Connector) Fetch(ctx context.Context, tags []string) ([]sync.Record, error) {
	out := make([]*sync.Record, len(tags))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	var mu gosync.Mutex
	failed := map[string]error{}
	for i, t := range tags {
		g.Go(func() error {
			row, err := c.get(gctx, bytagPath(t))
			if errors.Is(err, errNotFound) {
				return nil
			}
			var te *transport.Error
			if err != nil && (gctx.Err() != nil || errors.As(err, &te) && (te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden)) {
				return err // the whole call, not this device
			}
			if err != nil {
				mu.Lock()
				failed[t] = err
				mu.Unlock()
				return nil
			}
			r := c.record(row)
			out[i] = &r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var recs []sync.Record
	for _, r := range out {
		if r != nil {
			recs = append(recs, *r)
		}
	}
	if len(failed) > 0 {
		return recs, &sync.FetchError{Failed: failed}
	}
	return recs, nil
}
