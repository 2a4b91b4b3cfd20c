package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

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
