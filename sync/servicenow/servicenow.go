package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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

// Sentinel errors.
var (
	// ErrResponse reports an answer that does not have the documented
	// shape.
	ErrResponse = errors.New("servicenow: malformed response")
)

// DefaultFields maps canonical fields to columns of cmdb_ci_med_device;
// "" leaves a field unsynced. last_seen is unsynced by default: the
// column that looks like it, last_discovered, is stamped by the IRE on
// every item a data source reports, so it would read back as the push
// time for devices nobody saw (map it to a custom column such as
// u_rounds_last_seen). Sites override entries with the target
// options field.NAME = "column" (or "-").
var DefaultFields = map[string]string{
	sync.FieldSerial: "serial_number", sync.FieldManufacturer: "manufacturer", sync.FieldModel: "model_id",
	sync.FieldLocation: "location", sync.FieldStatus: "install_status", sync.FieldFirmware: "firmware_version",
	sync.FieldOS: "os", sync.FieldOSVersion: "os_version", sync.FieldHostname: "host_name",
	sync.FieldIP: "ip_address", sync.FieldMAC: "mac_address", sync.FieldBLEAddress: "u_ble_address",
	sync.FieldLastSeen: "-", sync.FieldLastAudited: "u_last_audited",
	sync.FieldNextAuditDue: "u_next_audit_due", sync.FieldLastPM: "u_last_pm", sync.FieldNextPMDue: "u_next_pm_due",
	sync.FieldNotes: "comments",
}

// DefaultRefs names the tables reference columns point at; their "name"
// is the display value rounds stores.
var DefaultRefs = map[string]string{"location": "cmn_location", "model_id": "cmdb_model", "manufacturer": "core_company"}

// DefaultStatus maps rounds statuses to install_status codes. Statuses
// without a code (loaned, disposed) are refused on push rather than
// mapped lossily, which would silently change them on the next pull.
var DefaultStatus = map[string]string{"in_service": "1", "in_repair": "3", "retired": "7", "missing": "100"}

// pullStatus maps install_status codes to rounds statuses.
var pullStatus = map[string]string{"1": "in_service", "2": "in_service", "3": "in_repair", "4": "in_service",
	"5": "in_repair", "6": "in_service", "7": "retired", "8": "missing", "100": "missing"}

// Config configures a Connector.
type Config struct {
	Client *transport.Client
	// Table is the CI table (default cmdb_ci_med_device); Class the IRE
	// className (default Table).
	Table, Class string
	// SourceName is the IRE source_name and sysparm_data_source (default
	// "rounds"; it must be a discovery_source choice on the instance).
	SourceName string
	// Query is an extra encoded query that scopes the pull, for example
	// "location.nameSTARTSWITHMAIN/".
	Query string
	// PageSize is the pull's sysparm_limit (default 1000).
	PageSize int
	// Overlap is how far before the watermark a pull starts again, to
	// catch records committed late with an older sys_updated_on (default
	// 60 s).
	Overlap time.Duration
	// ItemsPerPayload and PayloadsPerBatch shape a push: IRE items per
	// payload, payloads per Batch API call (defaults 50 and 10).
	ItemsPerPayload, PayloadsPerBatch int
	// Fields maps canonical fields to columns (default DefaultFields);
	// Refs reference columns to tables (default DefaultRefs); Status
	// rounds statuses to install_status codes (default DefaultStatus).
	Fields, Refs, Status map[string]string
}

// Connector is a ServiceNow target. It is safe for concurrent use.
type Connector struct {
	cfg      Config
	pullStat map[string]string
	mu       gosync.Mutex
	// refs caches name -> sys_id per referenced table, learnt from pulls
	// and lookups.
	refs map[string]map[string]string
}

var _ sync.Connector = (*Connector)(nil)
var _ sync.Fetcher = (*Connector)(nil)
var _ sync.Describer = (*Connector)(nil)

// New returns a connector.
func New(cfg Config) (*Connector, error) {
	if cfg.Client == nil {
		return nil, errors.New("servicenow: no HTTP client")
	}
	if cfg.Table == "" {
		cfg.Table = "cmdb_ci_med_device"
	}
	if cfg.Class == "" {
		cfg.Class = cfg.Table
	}
	if cfg.SourceName == "" {
		cfg.SourceName = "rounds"
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = time.Minute
	}
	if cfg.ItemsPerPayload <= 0 {
		cfg.ItemsPerPayload = 50
	}
	if cfg.PayloadsPerBatch <= 0 {
		cfg.PayloadsPerBatch = 10
	}
	if cfg.Fields == nil {
		cfg.Fields = DefaultFields
	}
	if cfg.Refs == nil {
		cfg.Refs = DefaultRefs
	}
	if cfg.Status == nil {
		cfg.Status = DefaultStatus
	}
	if cfg.Fields[sync.FieldLastSeen] == "last_discovered" {
		return nil, errors.New("servicenow: field.last_seen = \"last_discovered\": the IRE stamps last_discovered on every item it processes, so it cannot carry when a device was seen; map last_seen to a custom column (e.g. u_rounds_last_seen) or \"-\"")
	}
	for _, s := range []string{cfg.Table, cfg.Class} {
		if !safeName(s) {
			return nil, fmt.Errorf("servicenow: table name %q: only letters, digits and _", s)
		}
	}
	ps := map[string]string{}
	for k, v := range pullStatus {
		ps[k] = v
	}
	for st, code := range cfg.Status {
		ps[code] = st
	}
	// An explicit mapping wins over the defaults for the code it names.
	for st, code := range cfg.Status {
		if DefaultStatus[st] != code {
			ps[code] = st
		}
	}
	return &Connector{cfg: cfg, pullStat: ps, refs: map[string]map[string]string{}}, nil
}

func safeName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// MaxBatch is the number of ops one Batch API call carries.
func (c *Connector) MaxBatch() int { return c.cfg.ItemsPerPayload * c.cfg.PayloadsPerBatch }

const stamp = "2006-01-02 15:04:05"

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

// resolveRefs finds the sys_ids of referenced names the ops need and not
// yet known, with one query per table and 100 names.
func (c *Connector) resolveRefs(ctx context.Context, ops []sync.Op) error {
	need := map[string]map[string]bool{}
	for _, op := range ops {
		for f, v := range op.Set {
			col := c.cfg.Fields[f]
			t, ok := c.cfg.Refs[col]
			if !ok || v == "" || !queryable(v) {
				continue
			}
			if _, ok := c.cached(t, v); ok {
				continue
			}
			if need[t] == nil {
				need[t] = map[string]bool{}
			}
			need[t][v] = true
		}
	}
	tables := make([]string, 0, len(need))
	for t := range need {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		var names []string
		for n := range need[t] {
			names = append(names, n)
		}
		sort.Strings(names)
		for len(names) > 0 {
			part := names[:min(100, len(names))]
			names = names[len(part):]
			rows, err := c.list(ctx, t, url.Values{"sysparm_query": {"nameIN" + strings.Join(part, ",")},
				"sysparm_fields": {"sys_id,name"}, "sysparm_limit": {strconv.Itoa(len(part) * 2)}})
			if err != nil {
				return err
			}
			for _, row := range rows {
				c.learn(t, row["name"], row["sys_id"])
			}
		}
	}
	return nil
}

// item is one IRE item and the op it serves.
type item struct {
	op     int
	values map[string]string
	notes  string
}

// build converts an op to IRE values, or explains why it cannot be sent.
func (c *Connector) build(op sync.Op) (map[string]string, string, string) {
	vals := map[string]string{"asset_tag": op.AssetTag}
	if op.RemoteID != "" {
		vals["sys_id"] = op.RemoteID
	}
	fields := make([]string, 0, len(op.Set))
	for f := range op.Set {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v := op.Set[f]
		col := c.cfg.Fields[f]
		if col == "" || col == "-" {
			continue
		}
		if t, ok := c.cfg.Refs[col]; ok && v != "" {
			id, ok := c.cached(t, v)
			if !ok {
				return nil, "", fmt.Sprintf("%s %q does not exist in ServiceNow table %s", f, v, t)
			}
			v = id
		}
		switch f {
		case sync.FieldStatus:
			code, ok := c.cfg.Status[v]
			if !ok {
				return nil, "", fmt.Sprintf("status %q has no install_status code; map it with the target option status_map", v)
			}
			v = code
		case sync.FieldLastSeen:
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				v = t.UTC().Format(stamp)
			}
		}
		vals[col] = v
	}
	if op.Create {
		if _, ok := vals["name"]; !ok {
			vals["name"] = op.AssetTag
		}
	}
	notes := ""
	if col := c.cfg.Fields[sync.FieldNotes]; col != "" && col != "-" && len(op.Notes) > 0 {
		log, appended := op.Server[sync.FieldNotes], false
		for _, n := range op.Notes {
			marker := "[rounds:" + n.ID + "]"
			if strings.Contains(log, marker) {
				continue // delivered by an earlier attempt
			}
			if log != "" && !strings.HasSuffix(log, "\n") {
				log += "\n"
			}
			log += n.At.UTC().Format("2006-01-02") + " " + n.Actor + ": " + n.Text + " " + marker
			appended = true
		}
		if appended {
			vals[col] = log
			notes = log
		}
	}
	return vals, notes, ""
}

// resolveIDs finds the sys_id of ops that update a CI rounds has no id
// for (known from an import, not a pull): the IRE identifies a CI by its
// identification rule (serial number, name), not by asset tag, so an
// item carrying only the tag and a field would not match. ops is updated
// in place; a CI not found is left for the IRE to refuse clearly.
func (c *Connector) resolveIDs(ctx context.Context, ops []sync.Op) error {
	var tags []string
	for _, op := range ops {
		if op.RemoteID == "" && !op.Create {
			tags = append(tags, op.AssetTag)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	recs, err := c.Fetch(ctx, tags)
	if err != nil {
		var fe *sync.FetchError
		if !errors.As(err, &fe) {
			return err
		}
	}
	ids := map[string]string{}
	for _, r := range recs {
		ids[r.AssetTag] = r.RemoteID
	}
	for i := range ops {
		if ops[i].RemoteID == "" && !ops[i].Create {
			ops[i].RemoteID = ids[ops[i].AssetTag]
		}
	}
	return nil
}

// writes reports whether IRE values hold more than identification.
func writes(vals map[string]string) bool {
	for k := range vals {
		if k != "asset_tag" && k != "sys_id" {
			return true
		}
	}
	return false
}

// request is one Batch API call being prepared.
type request struct {
	payloads [][]item
}

// Push sends ops as IRE payloads grouped in Batch API calls.
func (c *Connector) Push(ctx context.Context, ops []sync.Op) ([]sync.Result, error) {
	if err := c.resolveRefs(ctx, ops); err != nil {
		return nil, err
	}
	if err := c.resolveIDs(ctx, ops); err != nil {
		return nil, err
	}
	res := make([]sync.Result, len(ops))
	var items []item
	for i, op := range ops {
		res[i] = sync.Result{ID: op.ID, Outcome: sync.Retry, RemoteID: op.RemoteID}
		vals, notes, why := c.build(op)
		if why != "" {
			res[i].Outcome, res[i].Message = sync.Rejected, why
			continue
		}
		if !writes(vals) && !op.Create && notes == "" {
			// Only identification: nothing to write.
			res[i].Outcome = sync.Acked
			continue
		}
		items = append(items, item{op: i, values: vals, notes: notes})
	}
	for len(items) > 0 {
		var batch request
		for len(items) > 0 && len(batch.payloads) < c.cfg.PayloadsPerBatch {
			n := min(c.cfg.ItemsPerPayload, len(items))
			batch.payloads = append(batch.payloads, items[:n])
			items = items[n:]
		}
		isolate, err := c.send(ctx, ops, batch, res)
		if err != nil {
			return nil, err
		}
		if len(isolate) > 0 {
			// A payload refused as a whole: send its items one by one to
			// find the culprit.
			var single request
			for _, it := range isolate {
				single.payloads = append(single.payloads, []item{it})
			}
			if _, err := c.send(ctx, ops, single, res); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

type restRequest struct {
	ID                     string   `json:"id"`
	Method                 string   `json:"method"`
	URL                    string   `json:"url"`
	Headers                []header `json:"headers"`
	Body                   string   `json:"body"`
	ExcludeResponseHeaders bool     `json:"exclude_response_headers"`
}

type header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ireItem struct {
	ClassName  string            `json:"className"`
	InternalID string            `json:"internal_id"`
	Values     map[string]string `json:"values"`
	Source     ireSource         `json:"sys_object_source_info"`
}

type ireSource struct {
	SourceName      string `json:"source_name"`
	SourceNativeKey string `json:"source_native_key"`
}

// payload renders one IRE payload.
func (c *Connector) payload(ops []sync.Op, items []item) ([]byte, error) {
	body := struct {
		Items     []ireItem `json:"items"`
		Relations []any     `json:"relations"`
	}{Relations: []any{}}
	for _, it := range items {
		body.Items = append(body.Items, ireItem{ClassName: c.cfg.Class, InternalID: ops[it.op].ID, Values: it.values,
			Source: ireSource{SourceName: c.cfg.SourceName, SourceNativeKey: ops[it.op].AssetTag}})
	}
	return json.Marshal(body)
}

func (c *Connector) batchBody(ops []sync.Op, batch request) ([]byte, error) {
	var reqs []restRequest
	for k, p := range batch.payloads {
		b, err := c.payload(ops, p)
		if err != nil {
			return nil, err
		}
		reqs = append(reqs, restRequest{ID: strconv.Itoa(k), Method: http.MethodPost,
			URL:     "/api/now/identifyreconcile?sysparm_data_source=" + url.QueryEscape(c.cfg.SourceName),
			Headers: []header{{"Content-Type", "application/json"}, {"Accept", "application/json"}},
			Body:    base64.StdEncoding.EncodeToString(b), ExcludeResponseHeaders: true})
	}
	return json.Marshal(struct {
		BatchRequestID string        `json:"batch_request_id"`
		RestRequests   []restRequest `json:"rest_requests"`
	}{ops[batch.payloads[0][0].op].ID, reqs})
}

// send makes one Batch API call and fills res for its items. It returns
// the items of multi-item payloads refused with 4xx, to isolate.
func (c *Connector) send(ctx context.Context, ops []sync.Op, batch request, res []sync.Result) ([]item, error) {
	body, err := c.batchBody(ops, batch)
	if err != nil {
		return nil, err
	}
	var br *BatchResponse
	for attempt := 0; ; attempt++ {
		// Every item carries its source key, so the whole call is safe to
		// resend; an answer that does not parse is resent a few times.
		resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodPost, Path: "/api/now/v1/batch",
			Body: body, Idempotent: true})
		if err != nil {
			return nil, fmt.Errorf("servicenow: %w", err)
		}
		br, err = ParseBatch(resp.Body)
		if err == nil {
			break
		}
		if attempt >= 2 {
			return nil, fmt.Errorf("servicenow: POST /api/now/v1/batch: %w", err)
		}
	}
	served := map[string]ServicedRequest{}
	for _, s := range br.Serviced {
		served[s.ID] = s
	}
	var isolate []item
	for k, p := range batch.payloads {
		s, ok := served[strconv.Itoa(k)]
		if !ok {
			for _, it := range p {
				res[it.op].Outcome, res[it.op].Message = sync.Retry, "not serviced: the batch reached a size or time limit"
			}
			continue
		}
		switch {
		case s.StatusCode == http.StatusTooManyRequests || s.StatusCode >= 500:
			for _, it := range p {
				res[it.op].Outcome, res[it.op].Message = sync.Retry, fmt.Sprintf("IRE answered HTTP %d", s.StatusCode)
			}
			continue
		case s.StatusCode >= 400 && len(p) > 1:
			isolate = append(isolate, p...)
			continue
		case s.StatusCode >= 400:
			msg := fmt.Sprintf("IRE refused the item: HTTP %d", s.StatusCode)
			if e := errorText(s.Body); e != "" {
				msg += ": " + e
			}
			res[p[0].op].Outcome, res[p[0].op].Message = sync.Rejected, c.cfg.Client.Redact(msg)
			continue
		}
		ir, err := ParseIRE(s.Body)
		if err != nil {
			for _, it := range p {
				res[it.op].Outcome, res[it.op].Message = sync.Retry, err.Error()
			}
			continue
		}
		c.applyIRE(p, ir, res)
	}
	return isolate, nil
}

func (c *Connector) applyIRE(p []item, ir *IREResult, res []sync.Result) {
	byIndex := map[int]IREItem{}
	for pos, it := range ir.Items {
		idx := pos
		if len(it.InputIndices) > 0 {
			idx = it.InputIndices[0]
		}
		byIndex[idx] = it
	}
	for i, it := range p {
		r := &res[it.op]
		got, ok := byIndex[i]
		switch {
		case !ok:
			r.Outcome, r.Message = sync.Retry, "IRE answer lacks this item"
		case got.ErrorCount > 0 || len(got.Errors) > 0:
			msg := "IRE error"
			var codes []string
			for _, e := range got.Errors {
				msg += ": " + e.Error
				if e.Message != "" {
					msg += " (" + e.Message + ")"
				}
				codes = append(codes, e.Error)
			}
			r.Outcome, r.Message = sync.Rejected, c.cfg.Client.Redact(msg)
			if ireTransient(codes) {
				r.Outcome = sync.Retry
			}
		case okOperation(got.Operation) && got.SysID != "" && got.SysID != "Unknown":
			r.Outcome, r.RemoteID, r.Message = sync.Acked, got.SysID, ""
			if it.notes != "" {
				r.Server = map[string]string{sync.FieldNotes: it.notes}
			}
		default:
			r.Outcome, r.Message = sync.Retry, fmt.Sprintf("IRE operation %q without a sys_id", got.Operation)
		}
	}
}

// ireTransient classes an item's IRE error codes (the IRE error messages
// page of the CMDB documentation): the item is retried only when every
// code is one the documentation says to resubmit — a lock not obtained in
// time, or processing abandoned because of another item — and rejected
// for good when any code is a property of the item itself
// (REQUIRED_ATTRIBUTE_EMPTY, INVALID_INPUT_DATA, MULTI_MATCH, ...), even
// beside ABANDONED. An answer with an error count but no codes is
// retried. The messages are never read: they are localized and reworded
// between releases.
func ireTransient(codes []string) bool {
	if len(codes) == 0 {
		return true
	}
	for _, c := range codes {
		switch {
		case c == "LOCK_TIMEOUT", c == "ABANDONED", c == "ABANDONED_DUE_TO_DEPENDENT_FAILURE",
			strings.HasPrefix(c, "ABANDONED_DUE_TO_"):
		default:
			return false
		}
	}
	return true
}

func okOperation(op string) bool {
	switch op {
	case "INSERT", "UPDATE", "NO_CHANGE", "UPDATE_WITH_UPGRADE", "UPDATE_WITH_DOWNGRADE", "UPDATE_WITH_SWITCH":
		return true
	}
	return false
}

func errorText(b []byte) string {
	var env struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(b, &env) == nil && env.Error != nil {
		s := env.Error.String()
		if len(s) > 200 {
			s = s[:200]
		}
		return s
	}
	return ""
}

// BatchResponse is a Batch API answer.
type BatchResponse struct {
	BatchRequestID string            `json:"batch_request_id"`
	Serviced       []ServicedRequest `json:"serviced_requests"`
	Unserviced     []string          `json:"unserviced_requests"`
}

// ServicedRequest is one answered item of a batch, its body decoded.
type ServicedRequest struct {
	ID         string
	StatusCode int
	Body       []byte
}

// ParseBatch decodes a Batch API answer and the base64 bodies of its
// items.
func ParseBatch(b []byte) (*BatchResponse, error) {
	var raw struct {
		BatchRequestID string `json:"batch_request_id"`
		Serviced       []struct {
			ID         string `json:"id"`
			Body       string `json:"body"`
			StatusCode int    `json:"status_code"`
		} `json:"serviced_requests"`
		Unserviced []json.RawMessage `json:"unserviced_requests"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if raw.Serviced == nil && raw.Unserviced == nil {
		return nil, fmt.Errorf("%w: neither serviced_requests nor unserviced_requests", ErrResponse)
	}
	out := &BatchResponse{BatchRequestID: raw.BatchRequestID}
	for _, s := range raw.Serviced {
		body, err := base64.StdEncoding.DecodeString(strings.Map(dropSpace, s.Body))
		if err != nil {
			return nil, fmt.Errorf("%w: item %q body: %v", ErrResponse, s.ID, err)
		}
		out.Serviced = append(out.Serviced, ServicedRequest{ID: s.ID, StatusCode: s.StatusCode, Body: body})
	}
	for _, u := range raw.Unserviced {
		// Documented as IDs; accept strings and objects with an id.
		var id string
		if json.Unmarshal(u, &id) != nil {
			var o struct {
				ID string `json:"id"`
			}
			json.Unmarshal(u, &o)
			id = o.ID
		}
		out.Unserviced = append(out.Unserviced, id)
	}
	return out, nil
}

func dropSpace(r rune) rune {
	if r == '\n' || r == '\r' || r == ' ' || r == '\t' {
		return -1
	}
	return r
}

// IREResult is the part of an IRE answer rounds reads.
type IREResult struct {
	Items []IREItem `json:"items"`
}

// IREItem is the outcome of one item.
type IREItem struct {
	ClassName    string `json:"className"`
	Operation    string `json:"operation"`
	SysID        string `json:"sysId"`
	InputIndices []int  `json:"inputIndices"`
	ErrorCount   int    `json:"errorCount"`
	Errors       []struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	} `json:"errors"`
}

// ParseIRE decodes an IRE answer, {"result":{"items":[...], ...}}.
func ParseIRE(b []byte) (*IREResult, error) {
	var env struct {
		Result *IREResult `json:"result"`
		Error  *apiError  `json:"error"`
	}
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: IRE: %v", ErrResponse, err)
	}
	if env.Error != nil {
		return nil, fmt.Errorf("%w: IRE: %s", ErrResponse, env.Error)
	}
	if env.Result == nil || env.Result.Items == nil {
		return nil, fmt.Errorf("%w: IRE: no result items", ErrResponse)
	}
	return env.Result, nil
}

// Describe writes the requests Push would send for ops, bodies decoded.
// Reference names not yet known are shown as the lookup they need.
func (c *Connector) Describe(w io.Writer, ops []sync.Op) error {
	var items []item
	for i, op := range ops {
		for f, v := range op.Set {
			col := c.cfg.Fields[f]
			if t, ok := c.cfg.Refs[col]; ok && v != "" {
				if _, known := c.cached(t, v); !known {
					fmt.Fprintf(w, "GET /api/now/table/%s?sysparm_query=name=%s (look up the sys_id)\n", t, v)
					c.learn(t, v, "<sys_id of "+t+" "+v+">")
				}
			}
		}
		vals, notes, why := c.build(op)
		if why != "" {
			fmt.Fprintf(w, "# %s %s: would be rejected: %s\n", op.ID, op.AssetTag, why)
			continue
		}
		items = append(items, item{op: i, values: vals, notes: notes})
	}
	if len(items) == 0 {
		return nil
	}
	var batch request
	for len(items) > 0 {
		n := min(c.cfg.ItemsPerPayload, len(items))
		batch.payloads = append(batch.payloads, items[:n])
		items = items[n:]
	}
	fmt.Fprintf(w, "POST /api/now/v1/batch  (%d IRE payloads; bodies shown decoded, base64 on the wire)\n", len(batch.payloads))
	for k, p := range batch.payloads {
		b, err := c.payload(ops, p)
		if err != nil {
			return err
		}
		var pretty any
		json.Unmarshal(b, &pretty)
		out, _ := json.MarshalIndent(pretty, "  ", "  ")
		fmt.Fprintf(w, "  [%d] POST /api/now/identifyreconcile?sysparm_data_source=%s\n  %s\n", k, url.QueryEscape(c.cfg.SourceName), out)
	}
	return nil
}
