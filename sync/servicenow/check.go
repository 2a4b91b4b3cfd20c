package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

var _ sync.Checker = (*Connector)(nil)

// Check reads (never writes) what the instance offers: the CI table, and
// the IRE through POST /api/now/identifyreconcile/query, which identifies
// a payload without committing anything. An authentication failure is
// the error.
func (c *Connector) Check(ctx context.Context) ([]sync.Capability, error) {
	var out []sync.Capability
	rows, err := c.list(ctx, c.cfg.Table, url.Values{"sysparm_limit": {"1"}, "sysparm_fields": {"sys_id"}})
	var te *transport.Error
	if errors.As(err, &te) && (te.Status == http.StatusUnauthorized || te.Status == http.StatusForbidden) {
		return nil, err
	}
	if err != nil {
		out = append(out, sync.Capability{Name: "read " + c.cfg.Table, OK: false, Detail: err.Error() + ": pulls will fail"})
	} else {
		out = append(out, sync.Capability{Name: "read " + c.cfg.Table, OK: true, Detail: fmt.Sprintf("table readable (%d row sampled)", len(rows))})
	}
	body, _ := json.Marshal(map[string]any{"items": []ireItem{{ClassName: c.cfg.Class, InternalID: "rounds-check",
		Values: map[string]string{"name": "rounds-capability-check", "asset_tag": "rounds-capability-check"}}}, "relations": []any{}})
	resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodPost, Path: "/api/now/identifyreconcile/query",
		Query: url.Values{"sysparm_data_source": {c.cfg.SourceName}}, Body: body, Idempotent: true})
	switch {
	case err == nil:
		if _, perr := ParseIRE(resp.Body); perr != nil {
			out = append(out, sync.Capability{Name: "IRE", OK: false, Detail: "identifyreconcile answered without items: " + perr.Error()})
		} else {
			out = append(out, sync.Capability{Name: "IRE", OK: true,
				Detail: "identification and reconciliation available: pushes go through the IRE with source " + c.cfg.SourceName})
		}
	case errors.As(err, &te) && te.Status >= 400 && te.Status < 500:
		out = append(out, sync.Capability{Name: "IRE", OK: false, Detail: fmt.Sprintf(
			"POST /api/now/identifyreconcile answered HTTP %d: the IRE REST API is not available to this user (role itil/cmdb_inst_admin, plugin active?): pushes will fail; pulls work", te.Status)})
	default:
		out = append(out, sync.Capability{Name: "IRE", OK: false, Detail: "could not reach the IRE: " + err.Error()})
	}
	if col := c.cfg.Fields[sync.FieldLastSeen]; col == "" || col == "-" {
		out = append(out, sync.Capability{Name: "last_seen", OK: true,
			Detail: "not synced (the IRE stamps last_discovered itself); map it to a custom column to sync it"})
	}
	return out, nil
}
