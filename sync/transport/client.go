package transport

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/biomed-rounds/rounds/sync/secret"
)

// Sentinel errors.
var (
	// ErrStatus reports an HTTP answer that is neither a success nor worth
	// retrying (most 4xx), or a retryable one after the last attempt.
	ErrStatus = errors.New("transport: server answered with an error")
	// ErrUncertain reports that a request that is not safe to resend may
	// or may not have been carried out by the server (the connection broke
	// after it was sent, or the server failed with 5xx). The caller must
	// look before it tries again.
	ErrUncertain = errors.New("transport: outcome unknown")
	// ErrTooLarge reports a response body over Config.MaxBody.
	ErrTooLarge = errors.New("transport: response too large")
	// ErrInsecure refuses a plain http:// URL not explicitly allowed.
	ErrInsecure = errors.New("transport: plain http refused")
	// ErrRateLimited reports a server whose announced rate limit allows
	// no request for longer than MaxRetryAfter.
	ErrRateLimited = errors.New("transport: rate limit reached; try later")
)

// Auth applies credentials to a request.
type Auth interface {
	apply(*http.Request)
	secrets() []string
}

type basicAuth struct {
	user string
	pass secret.Secret
}

func (a basicAuth) apply(r *http.Request) { r.SetBasicAuth(a.user, a.pass.Reveal()) }
func (a basicAuth) secrets() []string {
	// The pair "user:password" is what Authorization carries in base64;
	// secret.Forms redacts that encoding too.
	return []string{a.pass.Reveal(), a.user + ":" + a.pass.Reveal()}
}

// Basic authenticates with a user name and password.
func Basic(user string, pass secret.Secret) Auth { return basicAuth{user, pass} }

type bearerAuth struct{ token secret.Secret }

func (a bearerAuth) apply(r *http.Request) { r.Header.Set("Authorization", "Bearer "+a.token.Reveal()) }
func (a bearerAuth) secrets() []string     { return []string{a.token.Reveal()} }

// Bearer authenticates with an OAuth or API bearer token.
func Bearer(token secret.Secret) Auth { return bearerAuth{token} }

// Config configures a Client. Zero values pick the defaults noted.
type Config struct {
	// BaseURL is the server root, "https://host[:port][/prefix]". It must
	// not carry credentials.
	BaseURL string
	// CAFile is a PEM bundle trusted in addition to the system roots.
	CAFile string
	// Auth applies credentials; nil sends none.
	Auth Auth
	// Secrets are further values to scrub from error messages (secrets the
	// caller puts in request bodies, such as an OAuth client secret).
	Secrets []secret.Secret
	// Timeout bounds one attempt (default 60 s).
	Timeout time.Duration
	// MaxAttempts bounds tries per request (default 6).
	MaxAttempts int
	// BaseDelay and MaxDelay shape the exponential backoff (defaults 500 ms
	// and 30 s); a Retry-After longer than MaxRetryAfter (default 5 min)
	// ends the retries.
	BaseDelay, MaxDelay, MaxRetryAfter time.Duration
	// PerMinute caps the request rate; zero means no cap. Besides it, the
	// client keeps within the limit the server announces in its
	// X-RateLimit-* headers (see RateWindow).
	PerMinute float64
	// RateWindow is the length of the server's rate-limit window, for a
	// server that announces its limit (X-RateLimit-Limit, -Remaining)
	// without saying when the window ends (default 1 minute: Laravel's
	// per-minute throttle, which Snipe-IT uses).
	RateWindow time.Duration
	// Now is the clock the pacing reads (default time.Now); tests pass
	// the virtual clock their Sleep advances.
	Now func() time.Time
	// MaxBody bounds a response body (default 64 MiB).
	MaxBody int64
	// UserAgent is sent with every request.
	UserAgent string
	// Sleep waits between attempts; nil waits on a timer. Tests inject a
	// fast one.
	Sleep func(context.Context, time.Duration) error
	// Rand returns a float in [0, 1) for jitter; nil uses math/rand/v2.
	Rand func() float64
	// RoundTripper replaces the TLS transport (tests only).
	RoundTripper http.RoundTripper
	// AllowInsecureHTTP accepts a plain http:// BaseURL. Without it such
	// a URL is refused: basic-auth credentials and tokens would travel in
	// clear.
	AllowInsecureHTTP bool
}

// Client sends requests to one server. It is safe for concurrent use.
type Client struct {
	cfg     Config
	base    *url.URL
	http    *http.Client
	limiter *rate.Limiter
	pace    *pacer
	redact  *strings.Replacer

	requests, attempts, sent, received atomic.Int64
	mu                                 gosync.Mutex
	retryAfterSeen                     int
}

// Stats counts what a Client did.
type Stats struct {
	// Requests counts logical requests, Attempts the HTTP exchanges
	// including retries.
	Requests, Attempts int64
	// BytesSent and BytesReceived count bodies.
	BytesSent, BytesReceived int64
	// Paced is how long requests waited for the server's rate-limit
	// window to end.
	Paced time.Duration
}

// New builds a client. It refuses a URL with credentials in it and a CA
// file it cannot read or that holds no certificate.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("transport: base URL: %w", err)
	}
	if u.User != nil {
		return nil, errors.New("transport: the URL carries credentials; keep them in the keyring or environment instead")
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("transport: base URL %q: want https://host", u.Redacted())
	}
	if u.Scheme == "http" && !cfg.AllowInsecureHTTP {
		return nil, fmt.Errorf("%w: %s (credentials and inventory would cross the network in clear; "+
			"set allow_insecure_http = true on the target only for a test server)", ErrInsecure, u.Redacted())
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 6
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = 500 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 30 * time.Second
	}
	if cfg.MaxRetryAfter <= 0 {
		cfg.MaxRetryAfter = 5 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "rounds-sync"
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Float64
	}
	if cfg.RateWindow <= 0 {
		cfg.RateWindow = time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	rt := cfg.RoundTripper
	if rt == nil {
		tc, err := TLSConfig(cfg.CAFile)
		if err != nil {
			return nil, err
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.TLSClientConfig = tc
		tr.MaxIdleConnsPerHost = 16
		rt = tr
	}
	c := &Client{cfg: cfg, base: u, http: &http.Client{Transport: rt, Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		pace: newPacer(cfg.RateWindow, cfg.MaxRetryAfter, cfg.Now, cfg.Sleep)}
	if cfg.PerMinute > 0 {
		burst := int(cfg.PerMinute / 60)
		if burst < 1 {
			burst = 1
		}
		c.limiter = rate.NewLimiter(rate.Limit(cfg.PerMinute/60), burst)
	}
	var all []string
	if cfg.Auth != nil {
		all = cfg.Auth.secrets()
	}
	for _, sec := range cfg.Secrets {
		all = append(all, sec.Reveal())
	}
	c.redact = secret.Redactor(all...)
	return c, nil
}

// TLSConfig returns the client TLS settings: certificate verification on,
// TLS 1.2 or newer, the system roots plus the certificates of caFile.
func TLSConfig(caFile string) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return tc, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("transport: CA bundle: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("transport: CA bundle %s holds no PEM certificate", caFile)
	}
	tc.RootCAs = pool
	return tc, nil
}

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{Requests: c.requests.Load(), Attempts: c.attempts.Load(),
		BytesSent: c.sent.Load(), BytesReceived: c.received.Load(), Paced: c.pace.Waited()}
}

// Redact removes the client's credentials from s.
func (c *Client) Redact(s string) string {
	s = c.redact.Replace(s)
	if d, ok := c.cfg.Auth.(dynamicAuth); ok {
		s = d.redact(s)
	}
	return s
}

// Request is one logical request.
type Request struct {
	Method string
	// Path is relative to the base URL ("/api/now/table/x").
	Path  string
	Query url.Values
	Body  []byte
	// ContentType defaults to application/json when Body is set.
	ContentType string
	// Idempotent says the request may be resent after the server might
	// have acted on it (reads, PATCH of fixed values, IRE with a source
	// key). Others are retried only when the server certainly did not act
	// (429, a refused connection) and otherwise fail with ErrUncertain.
	Idempotent bool
}

// Response is a complete answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Error is a failed request. Its message names the method and path, never
// the query string's secrets, the credentials or the full URL.
type Error struct {
	Method, Path string
	// Status is the last HTTP status, zero for a transport failure.
	Status int
	// Body is the start of the last response body, credentials removed.
	Body string
	Err  error

	retryAfter time.Duration
}

func (e *Error) Error() string {
	msg := e.Method + " " + e.Path + ": "
	if e.Status != 0 {
		msg += fmt.Sprintf("HTTP %d", e.Status)
		if e.Body != "" {
			msg += ": " + e.Body
		}
		return msg
	}
	return msg + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether resending later may succeed (throttling,
// server failures, broken connections) as opposed to a definite refusal.
func (e *Error) Retryable() bool {
	return e.Status == 0 || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// Do sends req, retrying as its idempotency allows, and returns the first
// 2xx or 3xx answer. Any other final answer is an *Error wrapping
// ErrStatus (or ErrUncertain).
func (c *Client) Do(ctx context.Context, req Request) (*Response, error) {
	c.requests.Add(1)
	var last *Error
	dyn, _ := c.cfg.Auth.(dynamicAuth)
	renewed := false
	for attempt := 0; attempt < c.cfg.MaxAttempts; attempt++ {
		if attempt > 0 {
			d := c.backoff(attempt, last)
			if d < 0 {
				break
			}
			if err := c.cfg.Sleep(ctx, d); err != nil {
				return nil, c.fail(req, 0, nil, err)
			}
		}
		if c.limiter != nil {
			if err := c.limiter.Wait(ctx); err != nil {
				return nil, c.fail(req, 0, nil, err)
			}
		}
		if dyn != nil {
			if err := dyn.prepare(ctx); err != nil {
				return nil, c.fail(req, 0, nil, err)
			}
		}
		tk, err := c.pace.acquire(ctx)
		if err != nil {
			return nil, c.fail(req, 0, nil, err)
		}
		resp, sentBody, err := c.once(ctx, req)
		if resp != nil {
			c.pace.done(tk, resp.Status, resp.Header)
		} else {
			c.pace.done(tk, 0, nil)
		}
		if err == nil && resp.Status == http.StatusUnauthorized && dyn != nil && !renewed {
			// The token expired early or was revoked: renew once and send
			// again (the server did not act on an unauthenticated request).
			renewed = true
			dyn.invalidate()
			attempt--
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, c.fail(req, 0, nil, ctx.Err())
			}
			if !req.Idempotent && sentBody {
				return nil, c.fail(req, 0, nil, fmt.Errorf("%w: %w", ErrUncertain, cleanErr(err)))
			}
			last = c.fail(req, 0, nil, cleanErr(err))
			last.retryAfter = -1
			continue
		}
		if resp.Status < 400 {
			return resp, nil
		}
		e := c.fail(req, resp.Status, resp.Body, ErrStatus)
		switch {
		case resp.Status == http.StatusTooManyRequests:
			e.retryAfter = c.retryAfter(resp.Header)
			last = e
		case resp.Status >= 500 && req.Idempotent:
			e.retryAfter = c.retryAfter(resp.Header)
			last = e
		case resp.Status >= 500:
			e.Err = fmt.Errorf("%w: HTTP %d", ErrUncertain, resp.Status)
			return nil, e
		default:
			return nil, e
		}
	}
	if last == nil {
		last = c.fail(req, 0, nil, errors.New("no attempt made"))
	}
	return nil, last
}

// retryAfter is carried on Error between attempts.
func (c *Client) retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return -1
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		d := time.Until(t)
		if d < 0 {
			d = 0
		}
		return d
	}
	return -1
}

// backoff returns how long to wait before the attempt, or a negative
// duration when the server asked for a wait longer than MaxRetryAfter.
func (c *Client) backoff(attempt int, last *Error) time.Duration {
	if last != nil && last.retryAfter >= 0 {
		if last.retryAfter > c.cfg.MaxRetryAfter {
			return -1
		}
		c.mu.Lock()
		c.retryAfterSeen++
		c.mu.Unlock()
		return last.retryAfter
	}
	d := c.cfg.BaseDelay << (attempt - 1)
	if d > c.cfg.MaxDelay || d <= 0 {
		d = c.cfg.MaxDelay
	}
	// Equal jitter: half fixed, half random, so that parallel clients
	// spread out without ever retrying immediately.
	return d/2 + time.Duration(c.cfg.Rand()*float64(d/2))
}

// RetryAfterHonoured counts the waits taken from a Retry-After header.
func (c *Client) RetryAfterHonoured() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryAfterSeen
}

func (c *Client) once(ctx context.Context, req Request) (*Response, bool, error) {
	c.attempts.Add(1)
	u := *c.base
	p, q, _ := strings.Cut(req.Path, "?")
	u.Path = strings.TrimRight(c.base.Path, "/") + p
	vals, _ := url.ParseQuery(q)
	for k, vs := range req.Query {
		for _, v := range vs {
			vals.Add(k, v)
		}
	}
	u.RawQuery = vals.Encode()
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.Method, u.String(), body)
	if err != nil {
		return nil, false, err
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", c.cfg.UserAgent)
	if req.Body != nil {
		ct := req.ContentType
		if ct == "" {
			ct = "application/json"
		}
		hr.Header.Set("Content-Type", ct)
	}
	if c.cfg.Auth != nil {
		c.cfg.Auth.apply(hr)
	}
	var wrote atomic.Bool
	if req.Body != nil {
		hr.Body = &countingBody{r: bytes.NewReader(req.Body), n: &c.sent, wrote: &wrote}
		hr.ContentLength = int64(len(req.Body))
		b := req.Body
		hr.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		// A request without a body counts as sent once the connection was
		// made; only a dial failure proves the server never saw it.
		return nil, wrote.Load() || (req.Body == nil && !isDialError(err)), err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody+1))
	c.received.Add(int64(len(b)))
	if err != nil {
		return nil, true, err
	}
	if int64(len(b)) > c.cfg.MaxBody {
		return nil, true, fmt.Errorf("%w (over %d bytes)", ErrTooLarge, c.cfg.MaxBody)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: b}, true, nil
}

type countingBody struct {
	r     *bytes.Reader
	n     *atomic.Int64
	wrote *atomic.Bool
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.n.Add(int64(n))
		b.wrote.Store(true)
	}
	return n, err
}

func (b *countingBody) Close() error { return nil }

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// cleanErr drops the URL a *url.Error carries (it may hold a query string)
// and keeps the cause.
func cleanErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// fail builds an *Error with credentials removed from everything it
// carries.
func (c *Client) fail(req Request, status int, body []byte, err error) *Error {
	p, _, _ := strings.Cut(req.Path, "?")
	e := &Error{Method: req.Method, Path: p, Status: status, retryAfter: -1}
	if len(body) > 0 {
		s := string(body)
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		e.Body = c.Redact(strings.ToValidUTF8(s, "?"))
	}
	if err != nil {
		e.Err = &redactedError{msg: c.Redact(err.Error()), cause: err}
	}
	return e
}

// redactedError keeps errors.Is working on the cause while printing a
// message with credentials removed.
type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.cause }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
