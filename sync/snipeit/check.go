package snipeit

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

var _ sync.Checker = (*Connector)(nil)

// Check reads (never writes) what the server is and says what will and
// will not work. An authentication failure is the error.
func (c *Connector) Check(ctx context.Context) ([]sync.Capability, error) {
	var out []sync.Capability
	l, err := c.listQ(ctx, url.Values{"limit": {"500"}, "offset": {"0"}, "sort": {"id"}, "order": {"asc"}})
	if err != nil {
		return nil, err
	}
	out = append(out, sync.Capability{Name: "read assets", OK: true, Detail: fmt.Sprintf("%d assets listed", l.Total)})
	if n := len(l.Rows); n < 500 && n < l.Total {
		out = append(out, sync.Capability{Name: "page size", OK: true,
			Detail: fmt.Sprintf("the server caps pages at %d (MAX_RESULTS); pulls page by the total, nothing is missed", n)})
	}
	if _, err := c.listQ(ctx, url.Values{"limit": {"1"}, "status": {"Archived"}}); err == nil {
		out = append(out, sync.Capability{Name: "archived assets", OK: true,
			Detail: "listed separately (status=Archived), so central retirements arrive whatever show_archived_in_list says"})
	}
	caps := c.Detect(ctx)
	switch {
	case caps.Version == "":
		out = append(out, sync.Capability{Name: "version", OK: false,
			Detail: "the server does not tell its version (GET /api/v1/version); audits use the legacy route POST /hardware/audit"})
	case caps.AuditByID:
		out = append(out, sync.Capability{Name: "audits", OK: true, Detail: "Snipe-IT " + caps.Version + ": POST /hardware/{id}/audit"})
	default:
		out = append(out, sync.Capability{Name: "audits", OK: true,
			Detail: "Snipe-IT " + caps.Version + " (before v8.1): legacy route POST /hardware/audit with asset_tag"})
	}
	if c.zoneUnknown {
		out = append(out, sync.Capability{Name: "time zone", OK: false,
			Detail: "option timezone not set: audit datetimes are read as UTC and a lost audit answer is matched loosely (12 h); set timezone to the server's APP_TIMEZONE"})
	} else {
		out = append(out, sync.Capability{Name: "time zone", OK: true, Detail: "server datetimes read in " + c.cfg.Location.String()})
	}
	if _, err := c.lookup(ctx, "statuslabels", ""); err == nil {
		var missing []string
		for st, label := range c.cfg.Status {
			if id, _ := c.cached("statuslabels", label); id == 0 {
				missing = append(missing, st+"→"+strconv.Quote(label))
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			out = append(out, sync.Capability{Name: "status labels", OK: false,
				Detail: fmt.Sprintf("no status label for %v: those statuses are refused on push; map them with status_map", missing)})
		} else {
			out = append(out, sync.Capability{Name: "status labels", OK: true, Detail: "every mapped status has its label"})
		}
	}
	out = append(out, sync.Capability{Name: "custom fields", OK: true,
		Detail: "a custom field outside the model's fieldset is ignored by Snipe-IT; rounds reports such a change rejected, never acked"})
	return out, nil
}

func (c *Connector) listQ(ctx context.Context, q url.Values) (*List, error) {
	resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: "/api/v1/hardware", Query: q, Idempotent: true})
	if err != nil {
		return nil, fmt.Errorf("snipeit: %w", err)
	}
	l, err := ParseList(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("snipeit: GET /api/v1/hardware: %w", err)
	}
	return l, nil
}
