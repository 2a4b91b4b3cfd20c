package snipeit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/transport"
)

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
