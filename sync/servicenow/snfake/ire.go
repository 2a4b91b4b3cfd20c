package snfake

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"

	"github.com/biomed-rounds/rounds/sync/synctest/fault"
)

// batch serves POST /api/now/v1/batch.
func (s *Server) batch(w http.ResponseWriter, body []byte, user string, f fault.Kind) {
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
	if f == fault.PartialBatch {
		n = (n + 1) / 2
	}
	itemFault := fault.None
	if f == fault.ItemError || f == fault.LockTimeout {
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
				itemFault = fault.None
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
func (s *Server) ire(w http.ResponseWriter, body []byte, user string, f fault.Kind) {
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
		if f == fault.ItemError && i == 0 {
			fail("ABANDONED_DUE_TO_DEPENDENT_FAILURE", "processing abandoned; resubmit the payload")
			continue
		}
		if f == fault.LockTimeout && i == 0 {
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
			it.Values["last_discovered"] = s.Clock().Format(stamp)
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
