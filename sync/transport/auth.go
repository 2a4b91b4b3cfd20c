package transport

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	gosync "sync"
	"time"

	"github.com/biomed-rounds/rounds/sync/secret"
)

// dynamicAuth is an Auth whose credentials change during a run: it is
// prepared before each attempt, told when the server refused it, and
// redacts every credential it has held.
type dynamicAuth interface {
	Auth
	prepare(ctx context.Context) error
	invalidate()
	redact(string) string
}

// TokenFunc obtains a bearer token and how long it lives (zero: unknown).
type TokenFunc func(ctx context.Context) (secret.Secret, time.Duration, error)

// Refreshing authenticates with bearer tokens from fetch: fetched at the
// first request, renewed shortly before the lifetime fetch reported runs
// out, and once more when the server answers 401, so that a pull longer
// than a token's life (ServiceNow's expires_in is 30 minutes by default)
// goes on. now is the clock (nil: time.Now).
func Refreshing(fetch TokenFunc, now func() time.Time) Auth {
	if now == nil {
		now = time.Now
	}
	return &refreshing{fetch: fetch, now: now, red: strings.NewReplacer()}
}

type refreshing struct {
	fetch TokenFunc
	now   func() time.Time

	mu      gosync.Mutex
	tok     secret.Secret
	expires time.Time // zero: no known expiry
	stale   bool
	held    []string
	red     *strings.Replacer
}

func (a *refreshing) apply(r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.tok.IsZero() {
		r.Header.Set("Authorization", "Bearer "+a.tok.Reveal())
	}
}

func (a *refreshing) secrets() []string { return nil } // redacted dynamically

func (a *refreshing) prepare(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.tok.IsZero() && !a.stale && (a.expires.IsZero() || a.now().Before(a.expires)) {
		return nil
	}
	tok, ttl, err := a.fetch(ctx)
	if err != nil {
		return fmt.Errorf("transport: renew token: %w", err)
	}
	a.tok, a.stale, a.expires = tok, false, time.Time{}
	if ttl > 0 {
		// Renew a little early: a request sent just before expiry must
		// not arrive after it.
		margin := min(ttl/10, time.Minute)
		a.expires = a.now().Add(ttl - margin)
	}
	a.held = append(a.held, tok.Reveal())
	a.red = secret.Redactor(a.held...)
	return nil
}

func (a *refreshing) invalidate() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.stale = true
}

func (a *refreshing) redact(s string) string {
	a.mu.Lock()
	r := a.red
	a.mu.Unlock()
	return r.Replace(s)
}
