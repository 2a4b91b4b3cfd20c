package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// HTTPError is an answer other than 2xx, 404 or 410, after retries.
type HTTPError struct {
	URL    string
	Status int
}

func (e *HTTPError) Error() string { return fmt.Sprintf("%s: HTTP %d", e.URL, e.Status) }

// client fetches with bounded bodies, a rate limit, retries with backoff
// for answers that may pass (429, 5xx, a dropped connection) and a count
// of requests sent.
type client struct {
	hc       *http.Client
	limiter  *rate.Limiter
	retries  int
	backoff  time.Duration
	requests atomic.Int64
	agent    string
	// redact is a credential sent in URLs (openFDA's api_key), replaced
	// in every error.
	redact string
}

func newClient(hc *http.Client, limit rate.Limit, burst int, backoff time.Duration) *client {
	if hc == nil {
		hc = &http.Client{Timeout: 60 * time.Second}
	}
	// A copy, so that the caller's client keeps its own policy: redirects
	// are followed (CISA's files live behind them) but never from https
	// to http, and at most five.
	cp := *hc
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return fmt.Errorf("%w: more than 5 redirects", ErrFormat)
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return fmt.Errorf("%w: refusing a redirect from https to %s", ErrFormat, req.URL.Scheme)
		}
		return nil
	}
	hc = &cp
	if backoff <= 0 {
		backoff = time.Second
	}
	return &client{hc: hc, limiter: rate.NewLimiter(limit, burst), retries: 3, backoff: backoff, agent: "rounds (biomed inventory; feed update)"}
}

// get fetches u and returns at most max bytes; a longer body is an error.
// 404 and 410 are ErrNotFound and not retried. A server that cannot be
// reached at all after the retries is ErrOffline.
func (c *client) get(ctx context.Context, u string, max int64) ([]byte, error) {
	b, err := c.fetch(ctx, u, max)
	if err != nil && c.redact != "" {
		err = redacted{err, c.redact}
	}
	return b, err
}

// redacted hides a credential in an error's text; Unwrap keeps the
// sentinel errors visible to errors.Is.
type redacted struct {
	err    error
	secret string
}

func (r redacted) Error() string {
	s := strings.ReplaceAll(r.err.Error(), r.secret, "[redacted]")
	return strings.ReplaceAll(s, url.QueryEscape(r.secret), "[redacted]")
}

func (r redacted) Unwrap() error { return r.err }

func (c *client) fetch(ctx context.Context, u string, max int64) ([]byte, error) {
	var lastErr error
	for attempt := 0; attempt <= c.retries; attempt++ {
		if attempt > 0 {
			wait := c.backoff << (attempt - 1)
			var he *retryAfter
			if errors.As(lastErr, &he) && he.d > 0 {
				wait = min(he.d, 2*time.Minute)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
		b, retry, err := c.once(ctx, u, max)
		if err == nil {
			return b, nil
		}
		var ne *netError
		if errors.As(err, &ne) && ne.dial {
			// No route, no such host, connection refused: offline, and
			// waiting seconds to retry would only delay saying so.
			return nil, fmt.Errorf("%w: cannot reach %s: %v", ErrOffline, hostOf(u), ne.err)
		}
		if !retry {
			return b, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
	}
	var ne *netError
	if errors.As(lastErr, &ne) {
		return nil, fmt.Errorf("%w: cannot reach %s: %v", ErrOffline, hostOf(u), ne.err)
	}
	var ra *retryAfter
	if errors.As(lastErr, &ra) {
		return nil, ra.HTTPError
	}
	return nil, lastErr
}

// netError is a transport failure; dial is set when no connection could
// be made at all.
type netError struct {
	err  error
	dial bool
}

func (e *netError) Error() string { return e.err.Error() }

type retryAfter struct {
	*HTTPError
	d time.Duration
}

// once sends one request; retry says whether the failure may pass.
func (c *client) once(ctx context.Context, u string, max int64) (b []byte, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", u, err)
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "application/json, text/plain, */*")
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		if errors.Is(err, ErrFormat) { // a redirect refused
			return nil, false, fmt.Errorf("%s: %w", u, err)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		var oe *net.OpError
		var de *net.DNSError
		dial := errors.As(err, &de) || (errors.As(err, &oe) && oe.Op == "dial")
		return nil, true, &netError{err: err, dial: dial}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSmall))
		return nil, false, fmt.Errorf("%s: %w (HTTP %d)", u, ErrNotFound, resp.StatusCode)
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSmall))
		var d time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
			d = time.Duration(s) * time.Second
		}
		return nil, true, &retryAfter{&HTTPError{URL: u, Status: resp.StatusCode}, d}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxSmall))
		return nil, false, &HTTPError{URL: u, Status: resp.StatusCode}
	}
	b, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		// A connection dropped mid-body: retry.
		return nil, true, &netError{err: err}
	}
	if int64(len(b)) > max {
		return nil, false, fmt.Errorf("%s: %w: answer over %d bytes", u, ErrFormat, max)
	}
	return b, false, nil
}

func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Host == "" {
		return u
	}
	return p.Host
}

// resolve makes ref absolute against base and refuses schemes other than
// http and https, and a downgrade from https to http.
func resolve(base, ref string) (string, error) {
	b, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("%w: url %q: %v", ErrFormat, clip(base), err)
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("%w: url %q: %v", ErrFormat, clip(ref), err)
	}
	abs := b.ResolveReference(r)
	switch {
	case abs.Scheme != "http" && abs.Scheme != "https":
		return "", fmt.Errorf("%w: url %q: scheme %q is not http(s)", ErrFormat, clip(ref), clip(abs.Scheme))
	case b.Scheme == "https" && abs.Scheme == "http":
		return "", fmt.Errorf("%w: url %q: refusing http under an https provider", ErrFormat, clip(ref))
	case abs.Host == "":
		return "", fmt.Errorf("%w: url %q has no host", ErrFormat, clip(ref))
	}
	return abs.String(), nil
}

// isOffline reports whether err means the network is down.
func isOffline(err error) bool {
	var ne *net.OpError
	return errors.Is(err, ErrOffline) || errors.As(err, &ne)
}
