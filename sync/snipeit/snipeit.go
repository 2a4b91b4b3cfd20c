package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	gosync "sync"
	"time"

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
var _ sync.ChangeFetcher = (*Connector)(nil)
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
