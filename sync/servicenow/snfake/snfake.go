package snfake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

// Record is a row: field name to value, all strings as the Table API
// returns them.
type Record map[string]string

// Write is one change of one field of a CI.
type Write struct {
	Value string
	// By is the authenticated user, or "central" for Edit.
	By string
}

// Stats counts requests by kind.
type Stats struct {
	Requests, Lists, Gets, Batches, BatchItems, IREPayloads, IREItems int
}

// Server is a fake instance. Configure its exported fields before serving.
type Server struct {
	// Table is the CI table (default cmdb_ci_med_device); its rows have
	// sys_class_name Table.
	Table string
	// User and Password enable basic auth; Token enables bearer auth.
	// With neither, requests are not authenticated.
	User, Password, Token string
	// ClientID and ClientSecret let POST /oauth_token.do hand out Token
	// (client credentials grant, or password grant with User/Password).
	ClientID, ClientSecret string
	// Base holds Latency, SlowDelay (default 2 s), Now (the clock of
	// sys_updated_on) and FaultFunc, which picks a fault for each request
	// not served from the queues set by Inject and InjectPost.
	fault.Base
	// RetryAfter is the Retry-After of fault.Throttle, in seconds (default 1).
	RetryAfter int
	// RefuseSerial, when set, makes the IRE answer 400 for a whole payload
	// holding an item with that serial_number: a payload-level refusal.
	RefuseSerial string
	// NoIRE makes the instance lack the IRE REST API.
	NoIRE bool
	// Required lists CI attributes the instance's data policy requires:
	// an IRE item that leaves one empty on insert fails with
	// REQUIRED_ATTRIBUTE_EMPTY and is ABANDONED (nothing written). It is
	// permanent: resending the same item fails the same way.
	Required []string
	// StableDiscovered turns off the IRE's habit of stamping
	// last_discovered with the time of every item it processes (the IRE
	// writes it for each CI a data source reports, whatever the payload
	// says).
	StableDiscovered bool
	// TokenTTL is the lifetime of OAuth tokens (expires_in, default
	// 1799 s as instances ship); a token older than that is refused with
	// 401. Each grant hands out a new token.
	TokenTTL time.Duration
	// BeforeList runs before a table list is served, outside the lock,
	// with the table and the encoded query: tests make concurrent central
	// edits there.
	BeforeList func(table, query string)

	mu      sync.Mutex
	tables  map[string]*table
	sources map[[2]string]string
	history map[string]map[string][]Write
	stats   Stats
	seq     int
	tokens  map[string]time.Time // granted OAuth tokens: when issued
	grants  int
}

type table struct {
	rows   map[string]Record
	order  []string // sys_ids sorted by (sys_updated_on, sys_id)
	sorted bool
}

// New returns an empty instance.
func New() *Server {
	return &Server{tables: map[string]*table{}, sources: map[[2]string]string{}, history: map[string]map[string][]Write{}}
}

// Start serves s on a local test server; Close it when done.
func (s *Server) Start() *httptest.Server { return httptest.NewServer(s) }

// StartTLS serves s over TLS with a self-signed certificate.
func (s *Server) StartTLS() *httptest.Server { return httptest.NewTLSServer(s) }

func (s *Server) ciTable() string {
	if s.Table == "" {
		return "cmdb_ci_med_device"
	}
	return s.Table
}

const stamp = "2006-01-02 15:04:05"

// InjectPost queues faults for the next POST requests (IRE and batch
// calls), leaving reads alone.
func (s *Server) InjectPost(fs ...fault.Kind) { s.InjectWrites(fs...) }

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) tbl(name string) *table {
	t := s.tables[name]
	if t == nil {
		t = &table{rows: map[string]Record{}}
		s.tables[name] = t
	}
	return t
}

func (s *Server) newID() string {
	s.seq++
	return fmt.Sprintf("%032x", s.seq)
}

// Put inserts a row into any table as a central user and returns its
// sys_id. Rows of the CI table get their system fields.
func (s *Server) Put(tableName string, r Record) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.insert(tableName, r, "central")
}

func (s *Server) insert(tableName string, r Record, by string) string {
	id := r["sys_id"]
	if id == "" {
		id = s.newID()
	}
	row := Record{}
	for k, v := range r {
		row[k] = v
	}
	row["sys_id"] = id
	now := s.Clock().Format(stamp)
	if row["sys_updated_on"] == "" {
		row["sys_updated_on"] = now
	}
	if row["sys_created_on"] == "" {
		row["sys_created_on"] = row["sys_updated_on"]
	}
	row["sys_mod_count"] = "0"
	if tableName == s.ciTable() {
		row["sys_class_name"] = s.ciTable()
		for k, v := range row {
			if !strings.HasPrefix(k, "sys_") {
				s.record(id, k, v, by)
			}
		}
	}
	t := s.tbl(tableName)
	t.rows[id] = row
	t.sorted = false
	return id
}

func (s *Server) record(id, field, value, by string) {
	h := s.history[id]
	if h == nil {
		h = map[string][]Write{}
		s.history[id] = h
	}
	h[field] = append(h[field], Write{Value: value, By: by})
}

// Edit changes fields of a CI as a central user, as someone working in
// the ServiceNow UI would. It reports whether the CI exists.
func (s *Server) Edit(sysID string, fields Record) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.update(s.ciTable(), sysID, fields, "central")
	return ok
}

// update writes fields and reports whether anything changed.
func (s *Server) update(tableName, id string, fields Record, by string) (bool, bool) {
	t := s.tbl(tableName)
	row, ok := t.rows[id]
	if !ok {
		return false, false
	}
	changed := false
	for k, v := range fields {
		if k == "sys_id" || strings.HasPrefix(k, "sys_") {
			continue
		}
		if row[k] != v {
			row[k] = v
			changed = true
			if tableName == s.ciTable() {
				s.record(id, k, v, by)
			}
		}
	}
	if changed {
		row["sys_updated_on"] = s.Clock().Format(stamp)
		n, _ := strconv.Atoi(row["sys_mod_count"])
		row["sys_mod_count"] = strconv.Itoa(n + 1)
		t.sorted = false
	}
	return changed, true
}

// Get returns a copy of a row of the CI table.
func (s *Server) Get(sysID string) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.tbl(s.ciTable()).rows[sysID]
	if !ok {
		return nil, false
	}
	return copyRecord(r), true
}

// All returns copies of every row of a table.
func (s *Server) All(tableName string) []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Record
	for _, r := range s.tbl(tableName).rows {
		out = append(out, copyRecord(r))
	}
	sort.Slice(out, func(i, j int) bool { return out[i]["sys_id"] < out[j]["sys_id"] })
	return out
}

// History returns the writes of one field of a CI, oldest first.
func (s *Server) History(sysID, field string) []Write {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Write(nil), s.history[sysID][field]...)
}

// Name returns the name field of a row of any table ("" if none): the
// display value of references.
func (s *Server) Name(tableName, sysID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tbl(tableName).rows[sysID]["name"]
}

func copyRecord(r Record) Record {
	c := Record{}
	for k, v := range r {
		c[k] = v
	}
	return c
}

// References maps reference fields of the CI table to the tables they
// point at, for dot-walking and validation.
var References = map[string]string{
	"location":     "cmn_location",
	"model_id":     "cmdb_model",
	"manufacturer": "core_company",
}

// ServeHTTP implements the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.Enter()()
	if r.URL.Path == "/oauth_token.do" && r.Method == http.MethodPost {
		s.oauth(w, r)
		return
	}
	user, ok := s.authenticate(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "User Not Authenticated", "Required to provide Auth information")
		return
	}
	s.mu.Lock()
	s.stats.Requests++
	// POSTs are the writes (IRE and batch calls); reads stay alone.
	f := s.Pick(r, r.Method == http.MethodPost)
	s.mu.Unlock()
	switch f {
	case fault.Throttle:
		ra := s.RetryAfter
		if ra <= 0 {
			ra = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		writeError(w, http.StatusTooManyRequests, "Too many requests", "rate limit exceeded")
		return
	case fault.Unavailable:
		writeError(w, http.StatusServiceUnavailable, "Service unavailable", "node is restarting")
		return
	case fault.InternalError:
		writeError(w, http.StatusInternalServerError, "Internal server error", "")
		return
	case fault.Slow:
		if !s.Wait(r) {
			return
		}
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<20))
	rec := httptest.NewRecorder()
	if isBatch(r.URL.Path) && r.Method == http.MethodPost {
		s.batch(rec, body, user, f)
	} else {
		s.route(rec, r.Method, r.URL, body, user, f)
	}
	fault.Answer(w, rec, f)
}

func (s *Server) authenticate(r *http.Request) (string, bool) {
	if s.User == "" && s.Token == "" {
		return "anonymous", true
	}
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && s.Token != "" {
		s.mu.Lock()
		issued, granted := s.tokens[tok]
		s.mu.Unlock()
		switch {
		case tok == s.Token && !granted:
			return "oauth", true // a fixed token, not from a grant
		case granted && s.Clock().Sub(issued) < s.tokenTTL():
			return "oauth", true
		}
	}
	if u, p, ok := r.BasicAuth(); ok && s.User != "" && u == s.User && p == s.Password {
		return u, true
	}
	return "", false
}

func (s *Server) oauth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || s.ClientID == "" || r.PostForm.Get("client_id") != s.ClientID ||
		r.PostForm.Get("client_secret") != s.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "access_denied", "error_description": "access_denied"})
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "password":
		if r.PostForm.Get("username") != s.User || r.PostForm.Get("password") != s.Password {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "access_denied"})
			return
		}
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	s.mu.Lock()
	s.grants++
	tok := fmt.Sprintf("%s-%d", s.Token, s.grants)
	if s.tokens == nil {
		s.tokens = map[string]time.Time{}
	}
	s.tokens[tok] = s.Clock()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "refresh_token": "r-" + tok,
		"scope": "useraccount", "token_type": "Bearer", "expires_in": int(s.tokenTTL() / time.Second)})
}

func (s *Server) tokenTTL() time.Duration {
	if s.TokenTTL > 0 {
		return s.TokenTTL
	}
	return 1799 * time.Second
}

func isBatch(p string) bool { return p == "/api/now/v1/batch" || p == "/api/now/batch" }

func writeError(w http.ResponseWriter, code int, msg, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"message": msg, "detail": detail}, "status": "failure"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// route serves one (possibly batched) request.
func (s *Server) route(w http.ResponseWriter, method string, u *url.URL, body []byte, user string, f fault.Kind) {
	p := strings.TrimPrefix(u.Path, "/api/now")
	p = strings.TrimPrefix(p, "/v1")
	switch {
	case (p == "/identifyreconcile" || p == "/identifyreconcile/query") && s.NoIRE:
		// An instance without the IRE REST API (plugin inactive, or the
		// user lacks the role) answers 400 "Requested URI does not
		// represent any resource", like any unknown path.
		writeError(w, http.StatusBadRequest, "Requested URI does not represent any resource", u.Path)
	case p == "/identifyreconcile" && method == http.MethodPost:
		s.ire(w, body, user, f)
	case p == "/identifyreconcile/query" && method == http.MethodPost:
		// Identification only: what the IRE would do, nothing committed.
		s.ireQuery(w, body)
	case strings.HasPrefix(p, "/table/") && method == http.MethodGet:
		rest := strings.TrimPrefix(p, "/table/")
		name, id, _ := strings.Cut(rest, "/")
		if id != "" {
			s.getOne(w, name, id, u.Query())
			return
		}
		if s.BeforeList != nil {
			s.BeforeList(name, u.Query().Get("sysparm_query"))
		}
		s.list(w, name, u)
	default:
		writeError(w, http.StatusBadRequest, "Requested URI does not represent any resource", u.Path)
	}
}

// Do serves a request in-process, for benchmarks that want no sockets.
func (s *Server) Do(ctx context.Context, method, target string, body []byte) *http.Response {
	r := httptest.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec.Result()
}
