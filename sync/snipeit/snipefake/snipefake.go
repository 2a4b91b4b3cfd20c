package snipefake

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

// Asset is a hardware row.
type Asset struct {
	ID         int
	Tag        string
	Name       string
	Serial     string
	ModelID    int
	StatusID   int
	LocationID int
	Notes      string
	// LastAudit is a datetime "YYYY-MM-DD hh:mm:ss", NextAudit a date.
	LastAudit, NextAudit string
	// Custom holds custom fields by database column (_snipeit_...).
	Custom               map[string]string
	CreatedAt, UpdatedAt string
	// Audits counts audits recorded for the asset.
	Audits int
}

// Write is one change of one asset field.
type Write struct {
	Value string
	// By is "api" for authenticated API calls, "central" for Edit.
	By string
}

type named struct {
	ID             int
	Name           string
	ManufacturerID int
	Type           string
}

// Stats counts requests by kind.
type Stats struct {
	Requests, Lists, Gets, Patches, Creates, Audits, Throttled int
}

// Server is a fake Snipe-IT. Configure its exported fields before use.
type Server struct {
	// Token enables bearer authentication.
	Token string
	// PerMinute is the throttle (default 120; negative disables it).
	PerMinute int
	// MaxLimit is the server's MAX_RESULTS: a larger limit is cut to it,
	// and so is a missing one (SettingsServiceProvider 'api_limit_value').
	// Default 100, a common production setting (.env.example ships 500).
	MaxLimit int
	// ShowArchivedInList is the setting of that name: off (the default),
	// lists leave out assets whose status label is archived unless the
	// request names a status_id or status=Archived (AssetsController::index).
	ShowArchivedInList bool
	// StableTies orders assets with equal updated_at by id. Off (the
	// default), each list request orders them differently, as MySQL does.
	StableTies bool
	// Locale is APP_LOCALE: "en-US" (default), "fr-FR" or "de-DE".
	Locale string
	// Version is the app version (default "v8.1.4"). Before v8.1 there is
	// no POST /hardware/{id}/audit, only POST /hardware/audit with
	// asset_tag (routes/api.php "Legacy URL for audit").
	Version string
	// AuditIntervalMonths is the audit_interval setting (default 12).
	AuditIntervalMonths int
	// Zone is APP_TIMEZONE: datetimes are stored and shown in it, without
	// a zone (default UTC).
	Zone *time.Location
	// Base holds Latency, SlowDelay (default 2 s), Now (the clock) and
	// FaultFunc, which picks a fault for requests not served from the
	// queues set by Inject and InjectWrite.
	fault.Base
	// Fieldsets restricts, by model id, the custom field columns an asset
	// of that model keeps: AssetsController::update only writes the
	// columns of the model's fieldset and silently ignores the others. A
	// model absent from the map accepts every column.
	Fieldsets map[int][]string
	// BeforeList runs before a hardware list is served, outside the lock.
	BeforeList func()

	mu        sync.Mutex
	assets    map[int]*Asset
	models    map[int]*named
	makers    map[int]*named
	locations map[int]*named
	statuses  map[int]*named
	history   map[int]map[string][]Write
	nextID    int
	// sorted caches, by filter and sort column, the listed assets in
	// ascending order (ties by id); nil when a write made it stale. A
	// list at a million assets would otherwise sort them all per page.
	sorted map[string][]*Asset
	window time.Time
	used   int
	stats  Stats
	listN  int
}

// New returns a Snipe-IT with the default status labels.
func New() *Server {
	s := &Server{assets: map[int]*Asset{}, models: map[int]*named{}, makers: map[int]*named{},
		locations: map[int]*named{}, statuses: map[int]*named{}, history: map[int]map[string][]Write{}}
	for _, l := range []struct{ name, typ string }{{"Ready to Deploy", "deployable"}, {"Pending", "pending"},
		{"Out for Repair", "undeployable"}, {"Lost/Stolen", "undeployable"}, {"Archived", "archived"}} {
		s.nextID++
		s.statuses[s.nextID] = &named{ID: s.nextID, Name: l.name, Type: l.typ}
	}
	return s
}

// Start serves s on a local test server.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

const stamp = "2006-01-02 15:04:05"

// InjectWrite queues faults for the next writes (PATCH, POST).
func (s *Server) InjectWrite(fs ...fault.Kind) { s.InjectWrites(fs...) }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// AddLocation, AddManufacturer and AddModel create reference rows and
// return their ids.
func (s *Server) AddLocation(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.locations[s.nextID] = &named{ID: s.nextID, Name: name}
	return s.nextID
}

// AddModel creates a model of a manufacturer (created if new).
func (s *Server) AddModel(manufacturer, name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	mid := 0
	for _, m := range s.makers {
		if m.Name == manufacturer {
			mid = m.ID
		}
	}
	if mid == 0 {
		s.nextID++
		mid = s.nextID
		s.makers[mid] = &named{ID: mid, Name: manufacturer}
	}
	s.nextID++
	s.models[s.nextID] = &named{ID: s.nextID, Name: name, ManufacturerID: mid}
	return s.nextID
}

// AddStatusLabel creates a status label of a meta type (deployable,
// pending, undeployable, archived) and returns its id.
func (s *Server) AddStatusLabel(name, typ string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.statuses[s.nextID] = &named{ID: s.nextID, Name: name, Type: typ}
	return s.nextID
}

// StatusID returns the id of a status label by name.
func (s *Server) StatusID(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.statuses {
		if l.Name == name {
			return l.ID
		}
	}
	return 0
}

// Put inserts an asset as a central user and returns its id.
func (s *Server) Put(a Asset) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insert(a, "central")
}

func (s *Server) insert(a Asset, by string) int {
	s.nextID++
	a.ID = s.nextID
	if a.Custom == nil {
		a.Custom = map[string]string{}
	}
	now := s.Clock().Format(stamp)
	if a.UpdatedAt == "" {
		a.UpdatedAt = now
	}
	a.CreatedAt = a.UpdatedAt
	s.assets[a.ID] = &a
	s.sorted = nil
	for f, v := range fieldsOf(&a) {
		s.record(a.ID, f, v, by)
	}
	return a.ID
}

func fieldsOf(a *Asset) map[string]string {
	m := map[string]string{"asset_tag": a.Tag, "serial": a.Serial, "model_id": strconv.Itoa(a.ModelID),
		"status_id": strconv.Itoa(a.StatusID), "location_id": strconv.Itoa(a.LocationID), "notes": a.Notes,
		"next_audit_date": a.NextAudit, "name": a.Name}
	for k, v := range a.Custom {
		m[k] = v
	}
	return m
}

func (s *Server) record(id int, field, value, by string) {
	h := s.history[id]
	if h == nil {
		h = map[string][]Write{}
		s.history[id] = h
	}
	h[field] = append(h[field], Write{Value: value, By: by})
}

// Edit changes an asset as a central user. Keys are PATCH field names.
func (s *Server) Edit(id int, fields map[string]string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[id]
	if !ok {
		return false
	}
	s.apply(a, fields, "central")
	return true
}

// apply writes PATCH fields and bumps updated_at when something changed.
func (s *Server) apply(a *Asset, fields map[string]string, by string) map[string][]string {
	errs := map[string][]string{}
	before := fieldsOf(a)
	for k, v := range fields {
		switch k {
		case "asset_tag":
			for _, o := range s.assets {
				if o.ID != a.ID && o.Tag == v {
					errs[k] = append(errs[k], s.msg("unique"))
				}
			}
			if len(errs[k]) == 0 {
				a.Tag = v
			}
		case "name":
			a.Name = v
		case "serial":
			a.Serial = v
		case "notes":
			a.Notes = v
		case "next_audit_date":
			a.NextAudit = v
		case "model_id", "status_id", "location_id", "rtd_location_id":
			n, err := strconv.Atoi(v)
			if err != nil && v != "" {
				errs[k] = append(errs[k], "The "+k+" must be an integer.")
				continue
			}
			switch k {
			case "model_id":
				if _, ok := s.models[n]; !ok {
					errs[k] = append(errs[k], "The selected model id is invalid.")
					continue
				}
				a.ModelID = n
			case "status_id":
				if _, ok := s.statuses[n]; !ok {
					errs[k] = append(errs[k], "The selected status id is invalid.")
					continue
				}
				a.StatusID = n
			case "location_id":
				if _, ok := s.locations[n]; !ok && n != 0 {
					errs[k] = append(errs[k], "The selected location id is invalid.")
					continue
				}
				a.LocationID = n
			}
		default:
			if strings.HasPrefix(k, "_snipeit_") && s.inFieldset(a, k) {
				a.Custom[k] = v
			}
		}
	}
	changed := false
	for f, v := range fieldsOf(a) {
		if before[f] != v {
			changed = true
			s.record(a.ID, f, v, by)
		}
	}
	if changed {
		a.UpdatedAt = s.Clock().Format(stamp)
		s.sorted = nil
	}
	return errs
}

func (s *Server) inFieldset(a *Asset, col string) bool {
	cols, ok := s.Fieldsets[a.ModelID]
	if !ok {
		return true
	}
	for _, c := range cols {
		if c == col {
			return true
		}
	}
	return false
}

// Asset returns a copy of an asset.
func (s *Server) Asset(id int) (Asset, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.assets[id]
	if !ok {
		return Asset{}, false
	}
	c := *a
	c.Custom = map[string]string{}
	for k, v := range a.Custom {
		c.Custom[k] = v
	}
	return c, true
}

// Assets returns copies of all assets, by id.
func (s *Server) Assets() []Asset {
	s.mu.Lock()
	ids := make([]int, 0, len(s.assets))
	for id := range s.assets {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	sort.Ints(ids)
	var out []Asset
	for _, id := range ids {
		if a, ok := s.Asset(id); ok {
			out = append(out, a)
		}
	}
	return out
}

// History returns the writes of one field of an asset.
func (s *Server) History(id int, field string) []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Write(nil), s.history[id][field]...)
}

// LocationName returns a location's name by id.
func (s *Server) LocationName(id int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.locations[id]; ok {
		return l.Name
	}
	return ""
}

// LocationID returns a location's id by name.
func (s *Server) LocationID(name string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.locations {
		if l.Name == name {
			return l.ID
		}
	}
	return 0
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.Enter()()
	if s.Token != "" && r.Header.Get("Authorization") != "Bearer "+s.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Unauthenticated."})
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	write := r.Method == http.MethodPatch || r.Method == http.MethodPost
	f := s.Pick(r, write)
	limit := s.PerMinute
	if limit == 0 {
		limit = 120
	}
	// Laravel's ThrottleRequests (throttle:api): a fixed window that the
	// first request opens and that lasts a minute; a refused request is
	// not counted. Every answer says the limit and what remains of it; a
	// 429 adds Retry-After and X-RateLimit-Reset (a Unix time).
	retry, remaining := 0, 0
	now := s.Clock()
	if limit > 0 {
		if now.Sub(s.window) >= time.Minute {
			s.window, s.used = now, 0
		}
		if s.used >= limit {
			retry = int((time.Minute - now.Sub(s.window) + time.Second - 1) / time.Second)
			s.stats.Throttled++
		} else {
			s.used++
			remaining = limit - s.used
		}
	}
	s.mu.Unlock()
	// The Date header is the server's clock, in UTC as HTTP wants.
	w.Header().Set("Date", now.Format(http.TimeFormat))
	if limit > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	}
	if f == fault.StatusError && !write {
		// Reads answer "status":"error" only for "does not exist"; other
		// read failures are HTTP errors (maintenance mode is a 503).
		f = fault.Unavailable
	}
	if retry > 0 || f == fault.Throttle {
		if retry == 0 {
			retry = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(now.Add(time.Duration(retry)*time.Second).Unix(), 10))
		if limit > 0 {
			w.Header().Set("X-RateLimit-Remaining", "0")
		}
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"status": "error", "messages": "Too Many Requests", "payload": nil})
		return
	}
	switch f {
	case fault.Unavailable:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case fault.InternalError:
		writeJSON(w, http.StatusInternalServerError, map[string]string{"message": "Server Error"})
		return
	case fault.StatusError:
		fail(w, "The server is in maintenance mode.")
		return
	case fault.Slow:
		if !s.Wait(r) {
			return
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	rec := httptest.NewRecorder()
	s.route(rec, r, body)
	fault.Answer(w, rec, f)
}
