package servicenow

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

// cursor is a keyset position: everything up to (T, ID) was delivered.
type cursor struct{ T, ID string }

func parseMark(m sync.Mark) (cursor, error) {
	if m == "" {
		return cursor{}, nil
	}
	t, id, ok := strings.Cut(string(m), "|")
	if _, err := time.Parse(stamp, t); !ok || err != nil {
		return cursor{}, fmt.Errorf("servicenow: watermark %q: want \"YYYY-MM-DD hh:mm:ss|sys_id\"", m)
	}
	return cursor{t, id}, nil
}

func (k cursor) less(t, id string) bool { return k.T < t || k.T == t && k.ID < id }

// Pull reads the records updated since the mark, oldest first, in pages.
// The first query starts Overlap before the mark; later ones continue
// strictly after the last record delivered: sys_updated_on >= T skipping
// what was seen, or, when a whole page fell in one second, that second by
// sys_id. Offsets are never used: on a table that changes while it is
// read, an offset skips rows.
func (c *Connector) Pull(ctx context.Context, from sync.Mark, emit func(context.Context, sync.Page) error) error {
	pos, err := parseMark(from)
	if err != nil {
		return err
	}
	start := ""
	if pos.T != "" {
		t, _ := time.Parse(stamp, pos.T)
		start = t.Add(-c.cfg.Overlap).Format(stamp)
		pos = cursor{} // re-read the overlap; the engine skips known versions
	}
	const (
		fromPos     = iota // sys_updated_on >= pos.T, skipping what was delivered
		inSecond           // sys_updated_on = pos.T, sys_id > pos.ID
		afterSecond        // sys_updated_on > pos.T
	)
	mode := fromPos
	for {
		var q string
		switch {
		case mode == inSecond:
			q = "sys_updated_on=" + pos.T + "^sys_id>" + pos.ID + "^ORDERBYsys_id"
		case mode == afterSecond:
			q = "sys_updated_on>" + pos.T + "^ORDERBYsys_updated_on^ORDERBYsys_id"
		case pos.T != "":
			q = "sys_updated_on>=" + pos.T + "^ORDERBYsys_updated_on^ORDERBYsys_id"
		case start != "":
			q = "sys_updated_on>=" + start + "^ORDERBYsys_updated_on^ORDERBYsys_id"
		default:
			q = "ORDERBYsys_updated_on^ORDERBYsys_id"
		}
		if c.cfg.Query != "" {
			q = c.cfg.Query + "^" + q
		}
		rows, err := c.list(ctx, c.cfg.Table, url.Values{"sysparm_query": {q}, "sysparm_fields": {c.pullFields()},
			"sysparm_limit": {strconv.Itoa(c.cfg.PageSize)}, "sysparm_exclude_reference_link": {"true"},
			"sysparm_no_count": {"true"}})
		if err != nil {
			return err
		}
		var recs []sync.Record
		var first, lastRow cursor
		last := pos
		for i, row := range rows {
			k := cursor{row["sys_updated_on"], row["sys_id"]}
			if i == 0 {
				first = k
			}
			lastRow = k
			if pos.T != "" && !pos.less(k.T, k.ID) {
				continue // delivered already (the head of a second seen before)
			}
			recs = append(recs, c.record(row))
			if last.less(k.T, k.ID) {
				last = k
			}
		}
		if len(recs) > 0 {
			if err := emit(ctx, sync.Page{Records: recs, Mark: sync.Mark(last.T + "|" + last.ID)}); err != nil {
				return err
			}
		}
		pos = last
		full := len(rows) >= c.cfg.PageSize
		switch {
		case mode == inSecond && !full:
			mode = afterSecond
		case mode == inSecond:
		case !full:
			return nil
		case first.T == lastRow.T:
			// A whole page in one second: walk that second by sys_id, so
			// that more rows than a page in one second cannot loop.
			pos, mode = lastRow, inSecond
		default:
			mode = fromPos
		}
	}
}

// list GETs a table page and returns its rows.
// An answer that does not parse (a proxy cutting it short) is read again
// a few times: reads are safe to repeat.
func (c *Connector) list(ctx context.Context, tableName string, q url.Values) ([]map[string]string, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: "/api/now/table/" + tableName,
			Query: q, Idempotent: true})
		if err != nil {
			return nil, fmt.Errorf("servicenow: %w", err)
		}
		rows, err := ParseTable(resp.Body)
		if err == nil {
			return rows, nil
		}
		if attempt >= 2 {
			return nil, fmt.Errorf("servicenow: GET /api/now/table/%s: %w", tableName, err)
		}
	}
}

// ParseTable decodes a Table API list answer, {"result":[{...}, ...]}.
// Values are strings, or with display values objects {"value": ...,
// "display_value": ...}; each comes back as one string (the value, else
// the display value).
func ParseTable(b []byte) ([]map[string]string, error) {
	// Fast path: every value a string (sysparm_display_value=false).
	var flat struct {
		Result []map[string]string `json:"result"`
	}
	if json.Unmarshal(b, &flat) == nil && flat.Result != nil {
		return flat.Result, nil
	}
	var env struct {
		Result []map[string]json.RawMessage `json:"result"`
		Error  *apiError                    `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if env.Error != nil {
		return nil, fmt.Errorf("%w: %s", ErrResponse, env.Error)
	}
	if env.Result == nil {
		return nil, fmt.Errorf("%w: no result array", ErrResponse)
	}
	out := make([]map[string]string, len(env.Result))
	for i, row := range env.Result {
		m := make(map[string]string, len(row))
		for k, v := range row {
			m[k] = str(v)
		}
		out[i] = m
	}
	return out, nil
}

type apiError struct {
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

func (e *apiError) String() string {
	if e.Detail != "" {
		return e.Message + ": " + e.Detail
	}
	return e.Message
}

// str reads a Table API value: a string, or with display values an object
// {"value": ..., "display_value": ...}; anything else is "".
func str(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case '{':
		var o struct {
			Value        json.RawMessage `json:"value"`
			DisplayValue json.RawMessage `json:"display_value"`
		}
		if json.Unmarshal(raw, &o) == nil {
			if v := str(o.Value); v != "" {
				return v
			}
			return str(o.DisplayValue)
		}
	case 't', 'f', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(raw)
	}
	return ""
}

// record converts a row to canonical form, learning reference names.
func (c *Connector) record(row map[string]string) sync.Record {
	r := sync.Record{RemoteID: row["sys_id"], AssetTag: strings.TrimSpace(row["asset_tag"]),
		Version: row["sys_updated_on"] + "#" + row["sys_mod_count"], Fields: map[string]string{}}
	for f, col := range c.cfg.Fields {
		if col == "" || col == "-" {
			continue
		}
		v, ok := row[col]
		if !ok {
			continue
		}
		if t, isRef := c.cfg.Refs[col]; isRef {
			name := row[col+".name"]
			if v != "" && name != "" {
				c.learn(t, name, v)
			}
			if v != "" && name == "" {
				continue // a reference without a readable name: leave the field alone
			}
			v = name
		}
		switch f {
		case sync.FieldStatus:
			s, ok := c.pullStat[v]
			if !ok {
				// A display value ("In Stock") or a code outside the base
				// choice list: mapped if rounds knows it, else passed on so
				// that the pull records an issue instead of dropping it.
				if st, err := sync.ParseStatus(v, ""); err == nil {
					s = string(st)
				} else {
					s = v
				}
			}
			v = s
		case sync.FieldLastSeen:
			if t, err := time.Parse(stamp, v); err == nil {
				v = t.UTC().Format(time.RFC3339)
			}
		case sync.FieldLastAudited, sync.FieldNextAuditDue, sync.FieldLastPM, sync.FieldNextPMDue:
			if len(v) > 10 && v[10] == ' ' {
				v = v[:10]
			}
		}
		r.Fields[f] = v
	}
	return r
}

func (c *Connector) learn(tableName, name, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.refs[tableName]
	if m == nil {
		m = map[string]string{}
		c.refs[tableName] = m
	}
	m[name] = id
}

func (c *Connector) cached(tableName, name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.refs[tableName][name]
	return id, ok
}

// queryable says a value can sit in an encoded query: ^ separates
// conditions and , separates IN values, and ServiceNow offers no escape
// that works in both.
func queryable(v string) bool { return v != "" && !strings.ContainsAny(v, "^,\n") }

// Fetch reads the current records of the given asset tags, 200 a request,
// four requests at a time.
func (c *Connector) Fetch(ctx context.Context, tags []string) ([]sync.Record, error) {
	var ok []string
	for _, t := range tags {
		if queryable(t) {
			ok = append(ok, t)
		}
	}
	var parts [][]string
	for len(ok) > 0 {
		n := min(200, len(ok))
		parts, ok = append(parts, ok[:n]), ok[n:]
	}
	out := make([][]sync.Record, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, part := range parts {
		g.Go(func() error {
			rows, err := c.list(gctx, c.cfg.Table, url.Values{"sysparm_query": {"asset_tagIN" + strings.Join(part, ",")},
				"sysparm_fields": {c.pullFields()}, "sysparm_exclude_reference_link": {"true"},
				"sysparm_limit": {strconv.Itoa(len(part) * 2)}})
			if err != nil {
				return err
			}
			for _, row := range rows {
				out[i] = append(out[i], c.record(row))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var all []sync.Record
	for _, rs := range out {
		all = append(all, rs...)
	}
	return all, nil
}

// pullFields is the sysparm_fields of a pull: the system fields, the
// mapped columns and the names of referenced records.
func (c *Connector) pullFields() string {
	set := map[string]bool{"sys_id": true, "sys_updated_on": true, "sys_mod_count": true, "asset_tag": true}
	for _, col := range c.cfg.Fields {
		if col == "" || col == "-" {
			continue
		}
		set[col] = true
		if _, ok := c.cfg.Refs[col]; ok {
			set[col+".name"] = true
		}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}
