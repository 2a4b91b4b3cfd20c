package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"html"
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
	// ErrResponse reports an answer without the documented shape.
	ErrResponse = errors.New("snipeit: malformed response")
	// ErrAPI reports an answer with "status":"error".
	ErrAPI = errors.New("snipeit: the server reported an error")
	// errNotFound reports an asset the server does not have.
	errNotFound = errors.New("snipeit: asset not found")
)

// DefaultFields maps canonical fields that live in Snipe-IT custom fields
// to their database columns. Built-in fields (serial, model, manufacturer,
// location, status, audit dates, notes) need no entry. Sites add theirs
// with the target options field.NAME = "_snipeit_...".
var DefaultFields = map[string]string{sync.FieldMAC: "_snipeit_mac_address_1"}

// DefaultStatus maps rounds statuses to Snipe-IT status label names. Each
// name parses back to the same status, so nothing changes on a round trip.
var DefaultStatus = map[string]string{"in_service": "Ready to Deploy", "in_repair": "Out for Repair",
	"missing": "Lost/Stolen", "retired": "Archived"}

// Config configures a Connector.
type Config struct {
	Client *transport.Client
	// PageSize is the list limit (at most 500, the default).
	PageSize int
	// Overlap is how far before the watermark a pull reads again (default
	// 2 minutes): updated_at has second resolution and no commit order.
	Overlap time.Duration
	// Location is the server's time zone for its datetimes (default UTC).
	Location *time.Location
	// Fields maps canonical fields to custom field columns (default
	// DefaultFields); Status statuses to label names (DefaultStatus).
	Fields, Status map[string]string
	// OpsPerCall is how many ops one Push call takes (default 25); each op
	// is one to four requests, Snipe-IT having no batch endpoint.
	OpsPerCall int
	// ClockSkew is how much earlier than the laptop's audit time the
	// server's last audit date may read and still count as that audit when
	// a retry checks (default 15 minutes): the two clocks are not the same.
	ClockSkew time.Duration
}

// Connector is a Snipe-IT target, safe for concurrent use.
type Connector struct {
	cfg  Config
	mu   gosync.Mutex
	refs map[string]map[string]int // kind -> name -> id
	caps *Capabilities
	// zoneUnknown: no timezone option, so server datetimes (written in
	// APP_TIMEZONE, without a zone) are read as UTC and compared loosely.
	zoneUnknown bool
}

var _ sync.Connector = (*Connector)(nil)
var _ sync.Fetcher = (*Connector)(nil)
var _ sync.Describer = (*Connector)(nil)

// New returns a connector.
func New(cfg Config) (*Connector, error) {
	if cfg.Client == nil {
		return nil, errors.New("snipeit: no HTTP client")
	}
	if cfg.PageSize <= 0 || cfg.PageSize > 500 {
		cfg.PageSize = 500
	}
	if cfg.Overlap == 0 {
		cfg.Overlap = 2 * time.Minute
	}
	zoneUnknown := cfg.Location == nil
	if zoneUnknown {
		cfg.Location = time.UTC
	}
	if cfg.Fields == nil {
		cfg.Fields = DefaultFields
	}
	if cfg.Status == nil {
		cfg.Status = DefaultStatus
	}
	if cfg.OpsPerCall <= 0 {
		cfg.OpsPerCall = 25
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = 15 * time.Minute
	}
	for f, col := range cfg.Fields {
		if col != "" && col != "-" && !strings.HasPrefix(col, "_snipeit_") {
			return nil, fmt.Errorf("snipeit: field.%s = %q: custom field columns start with _snipeit_", f, col)
		}
	}
	return &Connector{cfg: cfg, refs: map[string]map[string]int{}, zoneUnknown: zoneUnknown}, nil
}

// MaxBatch is the number of ops one Push call takes.
func (c *Connector) MaxBatch() int { return c.cfg.OpsPerCall }

const stamp = "2006-01-02 15:04:05"

// envelope is Snipe-IT's answer to writes and to failed reads.
type envelope struct {
	Status   string          `json:"status"`
	Messages json.RawMessage `json:"messages"`
	Payload  json.RawMessage `json:"payload"`
}

// messages flattens "messages": a string or {"field": ["text", ...]}.
func messages(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var m map[string][]string
	if json.Unmarshal(raw, &m) == nil {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+": "+strings.Join(m[k], " "))
		}
		return strings.Join(parts, "; ")
	}
	return strings.TrimSpace(string(raw))
}

// CheckEnvelope returns ErrAPI with the server's messages when an answer
// says "status":"error" (Snipe-IT does so with HTTP 200).
func CheckEnvelope(b []byte) error {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if env.Status == "error" {
		msg := messages(env.Messages)
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return fmt.Errorf("%w: %s", ErrAPI, msg)
	}
	return nil
}

// do sends a request and checks the answer's envelope.
func (c *Connector) do(ctx context.Context, req transport.Request) ([]byte, error) {
	resp, err := c.cfg.Client.Do(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("snipeit: %w", err)
	}
	if err := CheckEnvelope(resp.Body); err != nil {
		p, _, _ := strings.Cut(req.Path, "?")
		sentinel := ErrResponse
		if errors.Is(err, ErrAPI) {
			sentinel = ErrAPI
		}
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), sentinel.Error()), ": ")
		return nil, fmt.Errorf("%s %s: %w: %s", req.Method, p, sentinel, c.cfg.Client.Redact(msg))
	}
	return resp.Body, nil
}

// List is a hardware list answer.
type List struct {
	Total int                          `json:"total"`
	Rows  []map[string]json.RawMessage `json:"rows"`
}

// ParseList decodes GET /hardware (and the other list endpoints).
func ParseList(b []byte) (*List, error) {
	if err := CheckEnvelope(b); err != nil {
		return nil, err
	}
	var l List
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if l.Rows == nil {
		return nil, fmt.Errorf("%w: no rows", ErrResponse)
	}
	return &l, nil
}

// ParseAsset decodes one asset (GET /hardware/{id}, /hardware/bytag/...).
func ParseAsset(b []byte) (map[string]json.RawMessage, error) {
	if err := CheckEnvelope(b); err != nil {
		return nil, err
	}
	var row map[string]json.RawMessage
	if err := json.Unmarshal(b, &row); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrResponse, err)
	}
	if _, ok := row["id"]; !ok {
		return nil, fmt.Errorf("%w: asset without id", ErrResponse)
	}
	return row, nil
}

// text reads a string (or number) value, HTML entities decoded: Snipe-IT
// escapes what it sends.
func text(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return html.UnescapeString(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// rawText reads a string value as sent, entities and all.
func rawText(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// sub reads a field of a nested object ({"id":..,"name":..}, {"datetime":..}).
func sub(raw json.RawMessage, key string) string {
	var o map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &o) != nil {
		return ""
	}
	return text(o[key])
}

func (c *Connector) learn(kind, name string, id int) {
	if name == "" || id == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.refs[kind]
	if m == nil {
		m = map[string]int{}
		c.refs[kind] = m
	}
	m[name] = id
}

func (c *Connector) cached(kind, name string) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id, ok := c.refs[kind][name]
	return id, ok
}

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
	seen := map[string]bool{}
	take := func(row map[string]json.RawMessage) *sync.Record {
		r := c.record(row)
		if seen[r.RemoteID] {
			return nil
		}
		seen[r.RemoteID] = true
		return &r
	}
	for _, pass := range []url.Values{{}, {"status": {"Archived"}}} {
		if err := c.pullPass(ctx, pass, lower, &newest, take, emit); err != nil {
			return err
		}
	}
	if newest != "" {
		return emit(ctx, sync.Page{Mark: sync.Mark(newest)})
	}
	return nil
}

func updatedAt(row map[string]json.RawMessage) string { return sub(row["updated_at"], "datetime") }

// pullPass reads one listing (all, or the archived) down to lower.
func (c *Connector) pullPass(ctx context.Context, extra url.Values, lower string, newest *string,
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
		l, err := c.list(ctx, offset, "updated_at", "desc", extra)
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
			return c.scanByID(ctx, extra, newest, emitRows)
		}
		offset += k
	}
}

// scanByID lists everything in id order, which is stable.
func (c *Connector) scanByID(ctx context.Context, extra url.Values, newest *string,
	emitRows func([]map[string]json.RawMessage) error) error {
	for offset := 0; ; {
		l, err := c.list(ctx, offset, "id", "asc", extra)
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

// get reads one asset by id or by tag; errNotFound when absent.
func (c *Connector) get(ctx context.Context, path string) (map[string]json.RawMessage, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: path, Idempotent: true})
		if err != nil {
			return nil, fmt.Errorf("snipeit: %w", err)
		}
		row, err := ParseAsset(resp.Body)
		if err == nil {
			return row, nil
		}
		if errors.Is(err, ErrAPI) && resp.Status == http.StatusOK {
			// The show endpoints (AssetsController::show, showByTag) answer
			// "status":"error" with HTTP 200 only when the asset does not
			// exist; every other failure is an HTTP error. The text is
			// localized (APP_LOCALE), so it is never read.
			return nil, errNotFound
		}
		if attempt >= 2 || errors.Is(err, ErrAPI) {
			p, _, _ := strings.Cut(path, "?")
			return nil, fmt.Errorf("snipeit: GET %s: %w", p, err)
		}
	}
}

func bytagPath(tag string) string { return "/api/v1/hardware/bytag/" + url.PathEscape(tag) }

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

// lookup finds the id of a location, model or status label by exact name.
func (c *Connector) lookup(ctx context.Context, kind, name string) (int, error) {
	if id, ok := c.cached(kind, name); ok {
		return id, nil
	}
	q := url.Values{"limit": {"500"}}
	if kind != "statuslabels" {
		q.Set("search", name)
	}
	resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: "/api/v1/" + kind, Query: q, Idempotent: true})
	if err != nil {
		return 0, fmt.Errorf("snipeit: %w", err)
	}
	l, err := ParseList(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("snipeit: GET /api/v1/%s: %w", kind, err)
	}
	for _, row := range l.Rows {
		id, _ := strconv.Atoi(text(row["id"]))
		c.learn(kind, text(row["name"]), id)
	}
	if id, ok := c.cached(kind, name); ok {
		return id, nil
	}
	return 0, nil
}

// Push delivers ops one by one (Snipe-IT has no batch endpoint).
func (c *Connector) Push(ctx context.Context, ops []sync.Op) ([]sync.Result, error) {
	out := make([]sync.Result, len(ops))
	for i, op := range ops {
		r, err := c.push(ctx, op)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			var te *transport.Error
			if errors.As(err, &te) && (te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden) {
				// Wrong credentials fail the whole call, not the changes.
				return nil, err
			}
			if errors.As(err, &te) && !te.Retryable() {
				r = sync.Result{ID: op.ID, Outcome: sync.Rejected, Message: err.Error()}
			} else {
				r = sync.Result{ID: op.ID, Outcome: sync.Retry, Message: err.Error()}
			}
		}
		out[i] = r
	}
	return out, nil
}

// patchBody converts op.Set to Snipe-IT fields (the last audit date only
// an audit can set). It reports why an op cannot be sent.
func (c *Connector) patchBody(ctx context.Context, op sync.Op, create bool, lookups bool) (map[string]any, string, error) {
	body := map[string]any{}
	ref := func(kind, name string) (int, string, error) {
		if !lookups {
			id, _ := c.cached(kind, name)
			return id, "", nil
		}
		id, err := c.lookup(ctx, kind, name)
		if err != nil {
			return 0, "", err
		}
		if id == 0 {
			return 0, fmt.Sprintf("%s %q does not exist in Snipe-IT", strings.TrimSuffix(kind, "s"), name), nil
		}
		return id, "", nil
	}
	fields := make([]string, 0, len(op.Set))
	for f := range op.Set {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v := op.Set[f]
		switch f {
		case sync.FieldSerial:
			body["serial"] = v
		case sync.FieldModel:
			if v == "" {
				continue
			}
			id, why, err := ref("models", v)
			if err != nil || why != "" {
				return nil, why, err
			}
			body["model_id"] = id
		case sync.FieldStatus:
			label, ok := c.cfg.Status[v]
			if !ok {
				return nil, fmt.Sprintf("status %q has no Snipe-IT status label; map it with the target option status_map", v), nil
			}
			id, why, err := ref("statuslabels", label)
			if err != nil || why != "" {
				return nil, why, err
			}
			body["status_id"] = id
		case sync.FieldLocation:
			// Moved by PATCH even with an audit: the PATCH is idempotent and
			// survives an audit that a retry finds already recorded.
			if v == "" {
				body["location_id"] = nil
				continue
			}
			id, why, err := ref("locations", v)
			if err != nil || why != "" {
				return nil, why, err
			}
			body["location_id"] = id
		case sync.FieldNextAuditDue:
			body["next_audit_date"] = v
		case sync.FieldManufacturer, sync.FieldLastAudited:
			// The manufacturer follows the model; the last audit date is
			// set only by an audit.
		default:
			if col := c.cfg.Fields[f]; col != "" && col != "-" {
				body[col] = v
			}
		}
	}
	if create {
		body["asset_tag"] = op.AssetTag
		if _, ok := body["model_id"]; !ok {
			return nil, "Snipe-IT needs a model to create an asset; set the device's model", nil
		}
		if _, ok := body["status_id"]; !ok {
			id, why, err := ref("statuslabels", c.cfg.Status["in_service"])
			if err != nil || why != "" {
				return nil, why, err
			}
			body["status_id"] = id
		}
	}
	return body, "", nil
}

// ignoredCustom checks a write's answer for custom fields the server
// dropped: AssetsController::update writes only the columns of the model's
// fieldset and ignores the others without a word, and answers with the
// asset model itself, every column included. It says which were dropped.
func ignoredCustom(sent map[string]any, answer []byte) string {
	var env envelope
	if json.Unmarshal(answer, &env) != nil {
		return ""
	}
	var p map[string]json.RawMessage
	if json.Unmarshal(env.Payload, &p) != nil || p == nil {
		return "" // an answer without the model: nothing to compare
	}
	var dropped []string
	for col, v := range sent {
		if !strings.HasPrefix(col, "_snipeit_") {
			continue
		}
		want, _ := v.(string)
		if got, ok := p[col]; !ok || text(got) != want {
			dropped = append(dropped, col)
		}
	}
	if len(dropped) == 0 {
		return ""
	}
	sort.Strings(dropped)
	return fmt.Sprintf("Snipe-IT ignored custom field %s: not in the fieldset of the asset's model; add it to the fieldset or unmap it (field.NAME = \"-\")",
		strings.Join(dropped, ", "))
}

// appendNotes adds undelivered notes to the server's notes.
func appendNotes(current string, notes []sync.Note) (string, bool) {
	log, appended := current, false
	for _, n := range notes {
		marker := "[rounds:" + n.ID + "]"
		if strings.Contains(log, marker) {
			continue
		}
		if log != "" && !strings.HasSuffix(log, "\n") {
			log += "\n"
		}
		log += n.At.UTC().Format("2006-01-02") + " " + n.Actor + ": " + n.Text + " " + marker
		appended = true
	}
	return log, appended
}

func (c *Connector) push(ctx context.Context, op sync.Op) (sync.Result, error) {
	res := sync.Result{ID: op.ID, Outcome: sync.Acked}
	id := op.RemoteID
	var current map[string]json.RawMessage
	if id == "" {
		row, err := c.get(ctx, bytagPath(op.AssetTag))
		switch {
		case err == nil:
			id, current = text(row["id"]), row
		case !errors.Is(err, errNotFound):
			return res, err
		}
	}
	notesNow := op.Server[sync.FieldNotes]
	if current != nil {
		notesNow = notesOf(current["notes"])
	}
	if id == "" {
		if !op.Create {
			return sync.Result{ID: op.ID, Outcome: sync.Rejected, Message: fmt.Sprintf("asset %s is not in Snipe-IT (deleted centrally?)", op.AssetTag)}, nil
		}
		body, why, err := c.patchBody(ctx, op, true, true)
		if err != nil {
			return res, err
		}
		if why != "" {
			return sync.Result{ID: op.ID, Outcome: sync.Rejected, Message: why}, nil
		}
		if log, ok := appendNotes("", op.Notes); ok {
			body["notes"] = log
			notesNow = log
			res.Server = map[string]string{sync.FieldNotes: log}
		}
		b, _ := json.Marshal(body)
		for attempt := 0; id == ""; attempt++ {
			rb, err := c.do(ctx, transport.Request{Method: http.MethodPost, Path: "/api/v1/hardware", Body: b})
			if err == nil {
				var env envelope
				json.Unmarshal(rb, &env)
				var p map[string]json.RawMessage
				json.Unmarshal(env.Payload, &p)
				if id = text(p["id"]); id == "" {
					return res, fmt.Errorf("%w: create answered without an id", ErrResponse)
				}
				// The create carried the fields; an audit may still follow.
				op.Set, op.Notes = nil, nil
				break
			}
			// A lost answer, or "the asset tag must be unique": the asset
			// may exist now. Look before anything else.
			row, gerr := c.get(ctx, bytagPath(op.AssetTag))
			if gerr == nil {
				id, notesNow, res.Server = text(row["id"]), notesOf(row["notes"]), nil
				break
			}
			if !errors.Is(gerr, errNotFound) {
				return res, err
			}
			if errors.Is(err, ErrAPI) {
				return sync.Result{ID: op.ID, Outcome: sync.Rejected, Message: err.Error()}, nil
			}
			if attempt >= 2 {
				return res, err
			}
			// Not there: the server did not act, so sending again is safe.
		}
	}
	res.RemoteID = id
	if len(op.Set) > 0 || len(op.Notes) > 0 {
		body, why, err := c.patchBody(ctx, op, false, true)
		if err != nil {
			return res, err
		}
		if why != "" {
			return sync.Result{ID: op.ID, Outcome: sync.Rejected, Message: why}, nil
		}
		if log, ok := appendNotes(notesNow, op.Notes); ok {
			body["notes"] = log
			res.Server = map[string]string{sync.FieldNotes: log}
		}
		if len(body) > 0 {
			b, _ := json.Marshal(body)
			rb, err := c.do(ctx, transport.Request{Method: http.MethodPatch, Path: "/api/v1/hardware/" + url.PathEscape(id),
				Body: b, Idempotent: true})
			if err != nil {
				if errors.Is(err, ErrAPI) {
					return sync.Result{ID: op.ID, Outcome: sync.Rejected, RemoteID: id, Message: err.Error()}, nil
				}
				return res, err
			}
			if why := ignoredCustom(body, rb); why != "" {
				return sync.Result{ID: op.ID, Outcome: sync.Rejected, RemoteID: id, Message: why}, nil
			}
		}
	}
	audit := op.Audit
	if audit == nil && op.Set[sync.FieldLastAudited] != "" {
		// An edited audit date can only be written by an audit.
		at, _ := time.Parse("2006-01-02", op.Set[sync.FieldLastAudited])
		audit = &sync.Audit{ID: op.ID, At: at, Location: op.Set[sync.FieldLocation], NextDue: op.Set[sync.FieldNextAuditDue]}
	}
	if audit != nil {
		if err := c.audit(ctx, id, op, audit); err != nil {
			var te transientError
			if errors.As(err, &te) {
				return sync.Result{ID: op.ID, Outcome: sync.Retry, RemoteID: id, Message: err.Error()}, nil
			}
			if errors.Is(err, ErrAPI) {
				return sync.Result{ID: op.ID, Outcome: sync.Rejected, RemoteID: id, Message: err.Error()}, nil
			}
			return res, err
		}
	}
	return res, nil
}

// transientError marks an error that must not reject an op.
type transientError struct{ err error }

func (e transientError) Error() string { return e.err.Error() }
func (e transientError) Unwrap() error { return e.err }

func transient(err error) error { return transientError{err} }

// audited reports whether the asset's last audit is at or after at.
func (c *Connector) audited(ctx context.Context, id string, at time.Time) (bool, error) {
	row, err := c.get(ctx, "/api/v1/hardware/"+url.PathEscape(id))
	if err != nil {
		return false, err
	}
	d := sub(row["last_audit_date"], "datetime")
	if d == "" {
		return false, nil
	}
	t, err := time.ParseInLocation(stamp, d, c.cfg.Location)
	if err != nil {
		return false, nil
	}
	if c.zoneUnknown {
		// The server's zone is anything from UTC-12 to UTC+14: an audit
		// that may be ours counts as ours. Posting twice is the worse
		// error (each post is an audit in the asset's history); set the
		// target's timezone option for an exact check.
		t = t.Add(12 * time.Hour)
	}
	return !t.Before(at.Add(-c.cfg.ClockSkew)), nil
}

// audit posts a round audit once: a retry reads the last audit date
// first, and a lost answer is checked the same way; an audit whose fate is
// unknown is resent only by a later sync, after looking again.
func (c *Connector) audit(ctx context.Context, id string, op sync.Op, a *sync.Audit) error {
	if op.Retry {
		done, err := c.audited(ctx, id, a.At)
		if err != nil {
			// Not knowing is not a refusal: try again later.
			return transient(err)
		}
		if done {
			return nil
		}
	}
	body := map[string]any{"note": a.Note}
	if a.Location != "" {
		lid, err := c.lookup(ctx, "locations", a.Location)
		if err != nil {
			return err
		}
		if lid == 0 {
			return fmt.Errorf("%w: location %q does not exist in Snipe-IT", ErrAPI, a.Location)
		}
		// Where it was audited; the move itself went by PATCH.
		body["location_id"] = lid
		body["update_location"] = false
	}
	if a.NextDue != "" {
		body["next_audit_date"] = a.NextDue
	}
	path := "/api/v1/hardware/" + url.PathEscape(id) + "/audit"
	if !c.Detect(ctx).AuditByID {
		// Before v8.1.0 only the legacy route exists; it finds the asset
		// by the asset_tag in the body.
		path = "/api/v1/hardware/audit"
		body["asset_tag"] = op.AssetTag
	}
	b, _ := json.Marshal(body)
	_, err := c.do(ctx, transport.Request{Method: http.MethodPost, Path: path, Body: b})
	if err == nil || errors.Is(err, ErrAPI) || !errors.Is(err, transport.ErrUncertain) {
		return err
	}
	// The audit may have been recorded. Look; if it is not there yet, do
	// not send it again now: a slow request may still be under way on the
	// server. The next sync looks again before resending.
	if done, cerr := c.audited(ctx, id, a.At); cerr == nil && done {
		return nil
	}
	return err
}

// Describe writes the requests Push would send, with ids not yet known
// shown as lookups.
func (c *Connector) Describe(w io.Writer, ops []sync.Op) error {
	for _, op := range ops {
		id := op.RemoteID
		if id == "" {
			fmt.Fprintf(w, "GET /api/v1/hardware/bytag/%s\n", url.PathEscape(op.AssetTag))
			id = "{id of " + op.AssetTag + "}"
		}
		body, why, _ := c.patchBody(context.Background(), op, op.Create && op.RemoteID == "", false)
		if why != "" {
			fmt.Fprintf(w, "# %s %s: would be rejected: %s\n", op.ID, op.AssetTag, why)
			continue
		}
		if log, ok := appendNotes(op.Server[sync.FieldNotes], op.Notes); ok {
			body["notes"] = log
		}
		if len(body) > 0 {
			b, _ := json.Marshal(body)
			method, path := http.MethodPatch, "/api/v1/hardware/"+id
			if op.Create && op.RemoteID == "" {
				method, path = http.MethodPost+" (if the tag is not found)", "/api/v1/hardware"
			}
			fmt.Fprintf(w, "%s %s %s\n", method, path, b)
		}
		if op.Audit != nil {
			b, _ := json.Marshal(map[string]any{"note": op.Audit.Note, "location": op.Audit.Location,
				"update_location": false, "next_audit_date": op.Audit.NextDue})
			fmt.Fprintf(w, "POST /api/v1/hardware/%s/audit %s (location_id looked up by name)\n", id, b)
		}
	}
	return nil
}
