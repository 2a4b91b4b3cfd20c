package transport

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/sync/secret"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const pass = "s3cr3t-Pa55word"

// fastSleep records waits instead of sleeping.
type fastSleep struct{ waits []time.Duration }

func (f *fastSleep) sleep(ctx context.Context, d time.Duration) error {
	f.waits = append(f.waits, d)
	return ctx.Err()
}

func newClient(t *testing.T, url string, mod func(*Config)) (*Client, *fastSleep) {
	t.Helper()
	fs := &fastSleep{}
	cfg := Config{BaseURL: url, AllowInsecureHTTP: strings.HasPrefix(url, "http:"), Auth: Basic("svc", secret.New(pass)), Sleep: fs.sleep,
		Rand: func() float64 { return 0.5 }, RoundTripper: http.DefaultTransport.(*http.Transport).Clone()}
	if mod != nil {
		mod(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cfg.RoundTripper.(*http.Transport).CloseIdleConnections() })
	return c, fs
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name       string
		answers    []int
		retryAfter string
		idempotent bool
		wantErr    error
		wantTries  int
		wantWait   time.Duration
	}{
		{"429 honours Retry-After seconds", []int{429, 200}, "7", false, nil, 2, 7 * time.Second},
		{"503 idempotent backs off", []int{503, 502, 200}, "", true, nil, 3, 0},
		{"500 on a non-idempotent request is uncertain", []int{500}, "", false, ErrUncertain, 1, 0},
		{"404 is final", []int{404}, "", true, ErrStatus, 1, 0},
		{"gives up after MaxAttempts", []int{503, 503, 503, 503, 503, 503, 503}, "", true, ErrStatus, 6, 0},
		{"Retry-After too long ends retries", []int{429, 200}, "100000", true, ErrStatus, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				i := int(n.Add(1)) - 1
				code := tt.answers[min(i, len(tt.answers)-1)]
				if tt.retryAfter != "" && code == 429 {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(code)
				io.WriteString(w, `{"status":"x"}`)
			}))
			defer srv.Close()
			c, fs := newClient(t, srv.URL, nil)
			_, err := c.Do(context.Background(), Request{Method: "POST", Path: "/x", Body: []byte("{}"), Idempotent: tt.idempotent})
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if int(n.Load()) != tt.wantTries {
				t.Errorf("tries = %d, want %d", n.Load(), tt.wantTries)
			}
			if tt.wantWait > 0 && (len(fs.waits) == 0 || fs.waits[0] != tt.wantWait) {
				t.Errorf("waits = %v, want first %v", fs.waits, tt.wantWait)
			}
			for i := 1; i < len(fs.waits); i++ {
				if tt.retryAfter == "" && fs.waits[i] <= fs.waits[i-1] {
					t.Errorf("backoff not growing: %v", fs.waits)
				}
			}
		})
	}
}

func TestDroppedConnection(t *testing.T) {
	// The server reads the request, then drops the connection without an
	// answer: the commit may have happened.
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		if n.Add(1) == 1 {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
			return
		}
		w.WriteHeader(200)
	}))
	defer srv.Close()
	c, _ := newClient(t, srv.URL, nil)
	_, err := c.Do(context.Background(), Request{Method: "POST", Path: "/audit", Body: []byte("{}")})
	if !errors.Is(err, ErrUncertain) || n.Load() != 1 {
		t.Fatalf("non-idempotent: err = %v after %d tries, want ErrUncertain after 1", err, n.Load())
	}
	n.Store(0)
	if _, err := c.Do(context.Background(), Request{Method: "PATCH", Path: "/x", Body: []byte("{}"), Idempotent: true}); err != nil || n.Load() != 2 {
		t.Fatalf("idempotent: err = %v after %d tries, want success after 2", err, n.Load())
	}
}

func TestRefusedConnectionIsRetriedEvenWhenNotIdempotent(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens: dial fails, the server never saw anything
	c, fs := newClient(t, "http://"+addr, func(c *Config) { c.MaxAttempts = 3 })
	_, err := c.Do(context.Background(), Request{Method: "POST", Path: "/audit", Body: []byte("{}")})
	if err == nil || errors.Is(err, ErrUncertain) || len(fs.waits) != 2 {
		t.Fatalf("err = %v, waits %v; want a definite failure after 3 tries", err, fs.waits)
	}
}

func TestErrorsNeverCarryCredentials(t *testing.T) {
	// A misbehaving server echoes the request headers in its error body.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		io.WriteString(w, "bad credentials: Authorization: "+r.Header.Get("Authorization")+" pass="+pass)
	}))
	defer srv.Close()
	for _, auth := range []Auth{Basic("svc", secret.New(pass)), Bearer(secret.New(pass))} {
		c, _ := newClient(t, srv.URL, func(c *Config) { c.Auth = auth })
		_, err := c.Do(context.Background(), Request{Method: "GET", Path: "/api?sysparm_query=x", Idempotent: true})
		if err == nil {
			t.Fatal("want an error")
		}
		msg := err.Error()
		enc := "czNjcjN0LVBhNTV3b3Jk" // base64 fragment of the password
		if strings.Contains(msg, pass) || strings.Contains(msg, enc) || strings.Contains(msg, "sysparm_query") {
			t.Errorf("error leaks: %s", msg)
		}
		if !strings.Contains(msg, "HTTP 401") || !strings.Contains(msg, "[redacted]") {
			t.Errorf("error lacks status or placeholder: %s", msg)
		}
	}
	if _, err := New(Config{BaseURL: "https://svc:" + pass + "@example.org"}); err == nil || strings.Contains(err.Error(), pass) {
		t.Errorf("URL with credentials: err = %v", err)
	}
}

func TestTLSVerificationAndCABundle(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "{}") }))
	defer srv.Close()
	// Without the test CA the certificate is refused.
	c, err := New(Config{BaseURL: srv.URL, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/", Idempotent: true}); err == nil {
		t.Fatal("self-signed certificate accepted without a CA bundle")
	}
	c.http.CloseIdleConnections()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)
	c, err = New(Config{BaseURL: srv.URL, CAFile: ca, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.http.CloseIdleConnections()
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/", Idempotent: true}); err != nil {
		t.Fatalf("with CA bundle: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := New(Config{BaseURL: srv.URL, CAFile: bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("bad CA file: err = %v", err)
	}
}

func TestBodyLimitAndStats(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Write([]byte(strings.Repeat("x", 2000)))
	}))
	defer srv.Close()
	c, _ := newClient(t, srv.URL, func(c *Config) { c.MaxBody = 1000; c.MaxAttempts = 1 })
	if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/", Idempotent: true}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	c, _ = newClient(t, srv.URL, nil)
	if _, err := c.Do(context.Background(), Request{Method: "POST", Path: "/", Body: []byte("12345"), Idempotent: true}); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	if st.Requests != 1 || st.BytesSent != 5 || st.BytesReceived != 2000 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRateLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c, _ := newClient(t, srv.URL, func(c *Config) { c.PerMinute = 600 }) // 10/s, burst 10
	start := time.Now()
	for i := 0; i < 13; i++ {
		if _, err := c.Do(context.Background(), Request{Method: "GET", Path: "/", Idempotent: true}); err != nil {
			t.Fatal(err)
		}
	}
	if el := time.Since(start); el < 250*time.Millisecond {
		t.Errorf("13 requests at 10/s with burst 10 took %v, want >= 0.3 s", el)
	}
}
