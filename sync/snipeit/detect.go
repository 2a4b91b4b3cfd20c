package snipeit

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/biomed-rounds/rounds/sync/transport"
)

// Capabilities is what the connector found out about the server.
type Capabilities struct {
	// Version is the app version from GET /api/v1/version ("v8.1.4"), or
	// "" when the server does not say.
	Version string
	// AuditByID says POST /api/v1/hardware/{id}/audit exists (v8.1.0 and
	// later); older servers have only POST /api/v1/hardware/audit with
	// asset_tag (routes/api.php, "Legacy URL for audit").
	AuditByID bool
	// Err is why detection failed, if it did; the defaults then are the
	// ones that work on every version.
	Err error
}

// Detect asks the server its version, once per connector. A server that
// does not answer gets the routes every version has.
func (c *Connector) Detect(ctx context.Context) Capabilities {
	c.mu.Lock()
	if c.caps != nil {
		defer c.mu.Unlock()
		return *c.caps
	}
	c.mu.Unlock()
	var caps Capabilities
	resp, err := c.cfg.Client.Do(ctx, transport.Request{Method: http.MethodGet, Path: "/api/v1/version", Idempotent: true})
	if err == nil {
		var v struct {
			Version string `json:"version"`
		}
		if json.Unmarshal(resp.Body, &v) == nil && resp.Status == http.StatusOK {
			caps.Version = bounded(v.Version, 40)
		}
	} else {
		caps.Err = err
	}
	caps.AuditByID = versionAtLeast(caps.Version, 8, 1)
	if ctx.Err() != nil {
		return caps // do not remember what a cancelled call could not learn
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.caps = &caps
	return caps
}

// versionAtLeast compares "vX.Y.Z[-suffix]" with X.Y; an unparsable
// version is old.
func versionAtLeast(v string, major, minor int) bool {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(strings.TrimRightFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

func bounded(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
