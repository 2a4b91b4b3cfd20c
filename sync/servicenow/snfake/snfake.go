package snfake

import (
	"bytes"
	"context"
	"encoding/base64"
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
)

// Fault is a failure injected into one request.
type Fault int

// The faults.
const (
	NoFault Fault = iota
	// Throttle answers 429 with Retry-After.
	Throttle
	// Unavailable answers 503 without acting.
	Unavailable
	// InternalError answers 500 without acting.
	InternalError
	// DropAfterCommit acts, then closes the connection without answering.
	DropAfterCommit
	// Slow waits SlowDelay before acting and answering.
	Slow
	// Malformed acts, then answers 200 with truncated JSON.
	Malformed
	// PartialBatch services only the first half of a batch; the rest is
	// listed in unserviced_requests.
	PartialBatch
	// ItemError fails the first item of an IRE payload with an
	// ABANDONED error (nothing written for it); the others go through.
	ItemError
	// LockTimeout fails the first item of an IRE payload with
	// LOCK_TIMEOUT, which the IRE error messages document as transient
	// ("IRE error messages", servicenow.com/docs, CMDB: id-engine-error-
	// messages): nothing written, resubmit later.
	LockTimeout
)

func (f Fault) String() string {
	return [...]string{"none", "throttle", "unavailable", "internal-error", "drop-after-commit", "slow",
		"malformed", "partial-batch", "item-error", "lock-timeout"}[f]
}

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
	// Latency is added to every request.
	Latency time.Duration
	// SlowDelay is how long Slow waits (default 2 s).
	SlowDelay time.Duration
	// RetryAfter is the Retry-After of Throttle, in seconds (default 1).
	RetryAfter int
	// Now is the clock of sys_updated_on (default time.Now).
	Now func() time.Time
	// FaultFunc, when set, picks a fault for each request not served from
	// the queue set by Inject.
	FaultFunc func(r *http.Request) Fault
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

	active    sync.WaitGroup
	mu        sync.Mutex
	queue     []Fault
	postQueue []Fault
	tables    map[string]*table
	sources   map[[2]string]string
	history   map[string]map[string][]Write
	stats     Stats
	seq       int
	tokens    map[string]time.Time // granted OAuth tokens: when issued
	grants    int
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

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

const stamp = "2006-01-02 15:04:05"

// Inject queues faults for the next requests, in order.
func (s *Server) Inject(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, fs...)
}

// InjectPost queues faults for the next POST requests (IRE and batch
// calls), leaving reads alone.
func (s *Server) InjectPost(fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.postQueue = append(s.postQueue, fs...)
}

// Drain waits until no request is being served: after a client gave up
// on a request, the server may still be carrying it out.
func (s *Server) Drain() { s.active.Wait() }

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
	now := s.now().Format(stamp)
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
		row["sys_updated_on"] = s.now().Format(stamp)
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
	s.active.Add(1)
	defer s.active.Done()
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
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
	f := NoFault
	if len(s.queue) > 0 {
		f, s.queue = s.queue[0], s.queue[1:]
	} else if len(s.postQueue) > 0 && r.Method == http.MethodPost {
		f, s.postQueue = s.postQueue[0], s.postQueue[1:]
	} else if s.FaultFunc != nil {
		f = s.FaultFunc(r)
	}
	s.mu.Unlock()
	switch f {
	case Throttle:
		ra := s.RetryAfter
		if ra <= 0 {
			ra = 1
		}
		w.Header().Set("Retry-After", strconv.Itoa(ra))
		writeError(w, http.StatusTooManyRequests, "Too many requests", "rate limit exceeded")
		return
	case Unavailable:
		writeError(w, http.StatusServiceUnavailable, "Service unavailable", "node is restarting")
		return
	case InternalError:
		writeError(w, http.StatusInternalServerError, "Internal server error", "")
		return
	case Slow:
		d := s.SlowDelay
		if d <= 0 {
			d = 2 * time.Second
		}
		select {
		case <-time.After(d):
		case <-r.Context().Done():
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
	switch f {
	case DropAfterCommit:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		b := rec.Body.Bytes()
		w.Write(b[:len(b)/2])
		return
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
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
		case granted && s.now().Sub(issued) < s.tokenTTL():
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
	s.tokens[tok] = s.now()
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
func (s *Server) route(w http.ResponseWriter, method string, u *url.URL, body []byte, user string, f Fault) {
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

// batch serves POST /api/now/v1/batch.
func (s *Server) batch(w http.ResponseWriter, body []byte, user string, f Fault) {
	var req struct {
		BatchRequestID string `json:"batch_request_id"`
		RestRequests   []struct {
			ID      string `json:"id"`
			Method  string `json:"method"`
			URL     string `json:"url"`
			Body    string `json:"body"`
			Headers []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"headers"`
			ExcludeResponseHeaders bool `json:"exclude_response_headers"`
		} `json:"rest_requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "Invalid batch request", err.Error())
		return
	}
	s.mu.Lock()
	s.stats.Batches++
	s.mu.Unlock()
	type header struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	type serviced struct {
		ID            string   `json:"id"`
		Body          string   `json:"body"`
		StatusCode    int      `json:"status_code"`
		StatusText    string   `json:"status_text"`
		Headers       []header `json:"headers"`
		ExecutionTime int      `json:"execution_time"`
		ErrorMessage  string   `json:"error_message,omitempty"`
	}
	resp := struct {
		BatchRequestID     string     `json:"batch_request_id"`
		ServicedRequests   []serviced `json:"serviced_requests"`
		UnservicedRequests []string   `json:"unserviced_requests"`
	}{BatchRequestID: req.BatchRequestID, ServicedRequests: []serviced{}, UnservicedRequests: []string{}}
	n := len(req.RestRequests)
	if f == PartialBatch {
		n = (n + 1) / 2
	}
	itemFault := NoFault
	if f == ItemError || f == LockTimeout {
		itemFault = f
	}
	for i, rr := range req.RestRequests {
		if i >= n {
			resp.UnservicedRequests = append(resp.UnservicedRequests, rr.ID)
			continue
		}
		s.mu.Lock()
		s.stats.BatchItems++
		s.mu.Unlock()
		u, err := url.Parse(rr.URL)
		var rec *httptest.ResponseRecorder = httptest.NewRecorder()
		if err != nil {
			writeError(rec, http.StatusBadRequest, "Invalid URL", rr.URL)
		} else {
			b, err := base64.StdEncoding.DecodeString(rr.Body)
			if err != nil {
				writeError(rec, http.StatusBadRequest, "Body is not base64", err.Error())
			} else {
				s.route(rec, rr.Method, u, b, user, itemFault)
				itemFault = NoFault
			}
		}
		sv := serviced{ID: rr.ID, Body: base64.StdEncoding.EncodeToString(rec.Body.Bytes()), StatusCode: rec.Code,
			StatusText: http.StatusText(rec.Code), Headers: []header{}, ExecutionTime: 3}
		if !rr.ExcludeResponseHeaders {
			sv.Headers = append(sv.Headers, header{"Content-Type", "application/json;charset=UTF-8"})
		}
		if rec.Code >= 400 {
			sv.ErrorMessage = http.StatusText(rec.Code)
		}
		resp.ServicedRequests = append(resp.ServicedRequests, sv)
	}
	writeJSON(w, http.StatusOK, resp)
}

type ireItem struct {
	ClassName  string            `json:"className"`
	InternalID string            `json:"internal_id"`
	Values     map[string]string `json:"values"`
	Source     *struct {
		SourceName      string `json:"source_name"`
		SourceNativeKey string `json:"source_native_key"`
		SourceFeed      string `json:"source_feed"`
	} `json:"sys_object_source_info"`
}

type ireError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

type ireResult struct {
	ClassName              string     `json:"className"`
	Operation              string     `json:"operation"`
	SysID                  string     `json:"sysId"`
	IdentifierEntrySysID   string     `json:"identifierEntrySysId"`
	IdentificationAttempts []any      `json:"identificationAttempts"`
	Markers                []any      `json:"markers"`
	InputIndices           []int      `json:"inputIndices"`
	MergedPayloadIDs       []any      `json:"mergedPayloadIds"`
	ErrorCount             int        `json:"errorCount"`
	Errors                 []ireError `json:"errors,omitempty"`
}

func (s *Server) ireQuery(w http.ResponseWriter, body []byte) {
	var req struct {
		Items []ireItem `json:"items"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Items == nil {
		writeError(w, http.StatusBadRequest, "Invalid payload", "items is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []ireResult{}
	for i, it := range req.Items {
		res := ireResult{ClassName: it.ClassName, Operation: "INSERT", SysID: "Unknown", InputIndices: []int{i},
			IdentificationAttempts: []any{}, Markers: []any{}, MergedPayloadIDs: []any{}}
		if id, code, msg := s.identify(it); code != "" {
			res.ErrorCount, res.Errors = 1, []ireError{{code, msg}}
		} else if id != "" {
			res.Operation, res.SysID = "UPDATE", id
		}
		out = append(out, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{"items": out, "relations": []any{}}})
}

// ire serves POST /api/now/identifyreconcile.
func (s *Server) ire(w http.ResponseWriter, body []byte, user string, f Fault) {
	var req struct {
		Items     []ireItem `json:"items"`
		Relations []any     `json:"relations"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.Items == nil {
		writeError(w, http.StatusBadRequest, "Invalid payload", "items is required")
		return
	}
	for _, it := range req.Items {
		if s.RefuseSerial != "" && it.Values["serial_number"] == s.RefuseSerial {
			writeError(w, http.StatusBadRequest, "Invalid payload", "serial_number "+s.RefuseSerial+" is not allowed")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.IREPayloads++
	out := make([]ireResult, 0, len(req.Items))
	for i, it := range req.Items {
		s.stats.IREItems++
		res := ireResult{ClassName: it.ClassName, Operation: "NO_CHANGE", SysID: "Unknown", IdentifierEntrySysID: "Unknown",
			IdentificationAttempts: []any{}, Markers: []any{}, InputIndices: []int{i}, MergedPayloadIDs: []any{}}
		fail := func(code, msg string) {
			res.ErrorCount, res.Errors = 1, []ireError{{code, msg}}
			out = append(out, res)
		}
		if f == ItemError && i == 0 {
			fail("ABANDONED_DUE_TO_DEPENDENT_FAILURE", "processing abandoned; resubmit the payload")
			continue
		}
		if f == LockTimeout && i == 0 {
			fail("LOCK_TIMEOUT", "Timed out waiting for lock on identification; try again")
			continue
		}
		if it.ClassName != s.ciTable() {
			fail("INVALID_INPUT_DATA", fmt.Sprintf("className %q is not a CMDB class this instance serves", it.ClassName))
			continue
		}
		bad := ""
		for k, v := range it.Values {
			if t, ok := References[k]; ok && v != "" {
				if _, ok := s.tbl(t).rows[v]; !ok {
					bad = fmt.Sprintf("%s: %q is not a sys_id of %s", k, v, t)
				}
			}
		}
		if bad != "" {
			fail("INVALID_INPUT_DATA", bad)
			continue
		}
		id, errCode, msg := s.identify(it)
		if errCode != "" {
			fail(errCode, msg)
			continue
		}
		if id == "" {
			missing := ""
			for _, a := range s.Required {
				if it.Values[a] == "" {
					missing = a
				}
			}
			if missing != "" {
				res.ErrorCount = 2
				res.Errors = []ireError{{"REQUIRED_ATTRIBUTE_EMPTY", "Required attribute " + missing + " is empty"},
					{"ABANDONED", "Abandoned due to REQUIRED_ATTRIBUTE_EMPTY"}}
				out = append(out, res)
				continue
			}
		}
		if !s.StableDiscovered {
			it.Values = copyValues(it.Values)
			it.Values["last_discovered"] = s.now().Format(stamp)
		}
		if id == "" {
			vals := Record{}
			for k, v := range it.Values {
				if k != "sys_id" {
					vals[k] = v
				}
			}
			id = s.insert(s.ciTable(), vals, user)
			res.Operation = "INSERT"
		} else if changed, _ := s.update(s.ciTable(), id, it.Values, user); changed {
			res.Operation = "UPDATE"
		}
		if it.Source != nil && it.Source.SourceName != "" && it.Source.SourceNativeKey != "" {
			s.sources[[2]string{it.Source.SourceName, it.Source.SourceNativeKey}] = id
		}
		res.SysID, res.IdentifierEntrySysID = id, "556eb250c3400200d8d4bea192d3ae92"
		out = append(out, res)
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": map[string]any{"items": out, "relations": []any{},
		"additionalCommittedItems": []any{}, "additionalCommittedRelations": []any{}}})
}

func copyValues(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// identify finds the CI an item describes: by source native key, then
// sys_id, then the hardware rule (serial_number, then name).
func (s *Server) identify(it ireItem) (id, errCode, msg string) {
	t := s.tbl(s.ciTable())
	if it.Source != nil && it.Source.SourceName != "" && it.Source.SourceNativeKey != "" {
		if id, ok := s.sources[[2]string{it.Source.SourceName, it.Source.SourceNativeKey}]; ok {
			if _, ok := t.rows[id]; ok {
				return id, "", ""
			}
		}
	}
	if id := it.Values["sys_id"]; id != "" {
		if _, ok := t.rows[id]; ok {
			return id, "", ""
		}
		return "", "INVALID_INPUT_DATA", "sys_id " + id + " does not exist"
	}
	tried := false
	for _, attr := range []string{"serial_number", "name"} {
		v := it.Values[attr]
		if v == "" {
			continue
		}
		tried = true
		var found []string
		for rid, r := range t.rows {
			if r[attr] == v {
				found = append(found, rid)
			}
		}
		switch len(found) {
		case 0:
			continue
		case 1:
			return found[0], "", ""
		default:
			return "", "MULTI_MATCH", fmt.Sprintf("%d CIs match %s=%s", len(found), attr, v)
		}
	}
	if !tried {
		return "", "MISSING_MATCHING_ATTRIBUTES", "In payload no matching attributes for identifier rule Hardware Rule"
	}
	return "", "", ""
}

func (s *Server) getOne(w http.ResponseWriter, name, id string, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Gets++
	r, ok := s.tbl(name).rows[id]
	if !ok {
		writeError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": s.render(name, r, fieldList(q))})
}

func fieldList(q url.Values) []string {
	f := q.Get("sysparm_fields")
	if f == "" {
		return nil
	}
	return strings.Split(f, ",")
}

// render selects fields, dot-walking references ("location.name").
func (s *Server) render(tableName string, r Record, fields []string) map[string]string {
	out := map[string]string{}
	if fields == nil {
		for k, v := range r {
			out[k] = v
		}
		return out
	}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if ref, sub, ok := strings.Cut(f, "."); ok && tableName == s.ciTable() {
			out[f] = s.tbl(References[ref]).rows[r[ref]][sub]
			continue
		}
		out[f] = r[f]
	}
	return out
}

// list serves GET /api/now/table/{name}.
func (s *Server) list(w http.ResponseWriter, name string, u *url.URL) {
	q := u.Query()
	cond, orders, lower, err := parseQuery(q.Get("sysparm_query"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid query", err.Error())
		return
	}
	limit := 10000
	if v := q.Get("sysparm_limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	offset, _ := strconv.Atoi(q.Get("sysparm_offset"))
	noCount := q.Get("sysparm_no_count") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Lists++
	t := s.tbl(name)
	var ids []string
	if len(orders) == 2 && orders[0] == (order{"sys_updated_on", false}) && orders[1] == (order{"sys_id", false}) {
		// Fast path of the incremental pull: walk the kept order.
		if !t.sorted {
			t.order = t.order[:0]
			for id := range t.rows {
				t.order = append(t.order, id)
			}
			sort.Slice(t.order, func(i, j int) bool {
				a, b := t.rows[t.order[i]], t.rows[t.order[j]]
				if a["sys_updated_on"] != b["sys_updated_on"] {
					return a["sys_updated_on"] < b["sys_updated_on"]
				}
				return t.order[i] < t.order[j]
			})
			t.sorted = true
		}
		// Start at the lower bound of sys_updated_on, as an index would,
		// and stop at the page's end when no count is asked for.
		start := sort.Search(len(t.order), func(i int) bool { return t.rows[t.order[i]]["sys_updated_on"] >= lower })
		for _, id := range t.order[start:] {
			if cond(t.rows[id]) {
				ids = append(ids, id)
				if noCount && len(ids) >= offset+limit {
					break
				}
			}
		}
	} else {
		for id, r := range t.rows {
			if cond(r) {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := t.rows[ids[i]], t.rows[ids[j]]
			for _, o := range orders {
				if a[o.field] != b[o.field] {
					return (a[o.field] < b[o.field]) != o.desc
				}
			}
			return ids[i] < ids[j]
		})
	}
	total := len(ids)
	page := []map[string]string{}
	for i := offset; i < total && i < offset+limit; i++ {
		page = append(page, s.render(name, t.rows[ids[i]], fieldList(q)))
	}
	if noCount {
		if len(page) == limit {
			total = offset + limit + 1 // enough for a "next" link
		}
	} else {
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	w.Header().Set("Link", links(u, offset, limit, total))
	writeJSON(w, http.StatusOK, map[string]any{"result": page})
}

func links(u *url.URL, offset, limit, total int) string {
	mk := func(off int, rel string) string {
		c := *u
		q := c.Query()
		q.Set("sysparm_offset", strconv.Itoa(off))
		q.Set("sysparm_limit", strconv.Itoa(limit))
		c.RawQuery = q.Encode()
		return "<" + c.String() + `>;rel="` + rel + `"`
	}
	parts := []string{mk(0, "first")}
	if offset > 0 {
		parts = append(parts, mk(max(0, offset-limit), "prev"))
	}
	if offset+limit < total {
		parts = append(parts, mk(offset+limit, "next"))
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	parts = append(parts, mk(last, "last"))
	return strings.Join(parts, ",")
}

type order struct {
	field string
	desc  bool
}

// parseQuery understands the encoded-query subset rounds uses: conditions
// joined by ^ (AND) and ^OR, operators = != > >= < <= IN STARTSWITH
// ISEMPTY ISNOTEMPTY, and ORDERBY / ORDERBYDESC.
//
// lower is a lower bound of sys_updated_on implied by a top-level AND
// condition (>=, > or =), "" when there is none.
func parseQuery(q string) (func(Record) bool, []order, string, error) {
	type cond struct {
		field, op, value string
		or               bool
		set              map[string]bool
	}
	var conds []cond
	var orders []order
	if q != "" {
		for i, part := range strings.Split(q, "^") {
			if part == "" {
				return nil, nil, "", fmt.Errorf("empty condition in %q", q)
			}
			or := false
			if strings.HasPrefix(part, "OR") && i > 0 && !strings.HasPrefix(part, "ORDERBY") {
				or, part = true, part[2:]
			}
			if strings.HasPrefix(part, "ORDERBYDESC") {
				orders = append(orders, order{strings.TrimPrefix(part, "ORDERBYDESC"), true})
				continue
			}
			if strings.HasPrefix(part, "ORDERBY") {
				orders = append(orders, order{strings.TrimPrefix(part, "ORDERBY"), false})
				continue
			}
			c := cond{or: or}
			found := false
			for _, op := range []string{"ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "!=", ">=", "<=", "IN", "=", ">", "<"} {
				if i := strings.Index(part, op); i > 0 {
					c.field, c.op, c.value = part[:i], op, part[i+len(op):]
					found = true
					break
				}
			}
			if !found {
				return nil, nil, "", fmt.Errorf("cannot parse condition %q", part)
			}
			if c.op == "IN" {
				c.set = map[string]bool{}
				for _, x := range strings.Split(c.value, ",") {
					c.set[x] = true
				}
			}
			conds = append(conds, c)
		}
	}
	match := func(c cond, r Record) bool {
		v := r[c.field]
		switch c.op {
		case "=":
			return v == c.value
		case "!=":
			return v != c.value
		case ">":
			return v > c.value
		case ">=":
			return v >= c.value
		case "<":
			return v < c.value
		case "<=":
			return v <= c.value
		case "IN":
			return c.set[v]
		case "STARTSWITH":
			return strings.HasPrefix(v, c.value)
		case "ISEMPTY":
			return v == ""
		case "ISNOTEMPTY":
			return v != ""
		}
		return false
	}
	lower := ""
	for i, c := range conds {
		alone := !c.or && (i+1 == len(conds) || !conds[i+1].or)
		if alone && c.field == "sys_updated_on" && (c.op == ">=" || c.op == ">" || c.op == "=") && c.value > lower {
			lower = c.value
		}
	}
	return func(r Record) bool {
		// OR binds tighter than AND: a^b^ORc is a AND (b OR c).
		ok := true
		for i := 0; i < len(conds); {
			group := match(conds[i], r)
			j := i + 1
			for ; j < len(conds) && conds[j].or; j++ {
				group = group || match(conds[j], r)
			}
			ok = ok && group
			i = j
		}
		return ok
	}, orders, lower, nil
}

// Do serves a request in-process, for benchmarks that want no sockets.
func (s *Server) Do(ctx context.Context, method, target string, body []byte) *http.Response {
	r := httptest.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	return rec.Result()
}
