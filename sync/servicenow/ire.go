package servicenow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

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
