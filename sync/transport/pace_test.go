package transport

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// vclock is a virtual clock that sleeps advance.
type vclock struct {
	mu gosync.Mutex
	t  time.Time
}

func (c *vclock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *vclock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

// windowServer is a fixed-window throttle as Laravel's: the first request
// opens a window of a minute; refused requests are not counted; every
// answer carries X-RateLimit-Limit and -Remaining, a 429 Retry-After and
// X-RateLimit-Reset. withReset sends X-RateLimit-Reset on every answer,
// as ServiceNow does.
type windowServer struct {
	clock     *vclock
	limit     int
	withReset bool

	mu      gosync.Mutex
	opened  time.Time
	used    int
	served  int
	refused int
	windows []int
}

func (s *windowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	now := s.clock.now()
	if s.opened.IsZero() || now.Sub(s.opened) >= time.Minute {
		s.opened, s.used = now, 0
		s.windows = append(s.windows, 0)
	}
	end := s.opened.Add(time.Minute)
	w.Header().Set("Date", now.UTC().Format(http.TimeFormat))
	w.Header().Set("X-RateLimit-Limit", strconv.Itoa(s.limit))
	if s.withReset {
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(end.Unix(), 10))
	}
	if s.used >= s.limit {
		s.refused++
		s.mu.Unlock()
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("Retry-After", strconv.Itoa(int((end.Sub(now)+time.Second-1)/time.Second)))
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(end.Unix(), 10))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	s.used++
	s.served++
	s.windows[len(s.windows)-1]++
	w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(s.limit-s.used))
	s.mu.Unlock()
	w.Write([]byte("{}"))
}

// The client keeps within an announced limit with no 429, and fills
// every window but the last: N requests at L a minute take
// ceil(N/L)-1 minutes of waiting, however many go in parallel.
func TestPacingToAnnouncedLimit(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit, n  int
		parallel  int
		withReset bool
		prior     int // requests another run made in the window first
	}{
		{"60/min sequential", 60, 150, 1, false, 0},
		{"60/min 4 in parallel", 60, 300, 4, false, 0},
		{"120/min 4 in parallel", 120, 250, 4, false, 0},
		{"10/min 4 in parallel, reset announced", 10, 95, 4, true, 0},
		{"60/min, window half used before", 60, 100, 4, false, 30},
		{"60/min, window half used before, reset announced", 60, 100, 4, true, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &vclock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
			srv := &windowServer{clock: clk, limit: tc.limit, withReset: tc.withReset}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			// Another process's requests opened the window 20 s ago.
			if tc.prior > 0 {
				srv.opened, srv.used, srv.windows = clk.now(), tc.prior, []int{tc.prior}
				clk.sleep(context.Background(), 20*time.Second)
			}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			c, err := New(Config{BaseURL: ts.URL, AllowInsecureHTTP: true, RoundTripper: tr, Sleep: clk.sleep, Now: clk.now})
			if err != nil {
				t.Fatal(err)
			}
			start := clk.now()
			g, ctx := errgroup.WithContext(context.Background())
			g.SetLimit(tc.parallel)
			for i := 0; i < tc.n; i++ {
				g.Go(func() error {
					_, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/x", Idempotent: true})
					return err
				})
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			took := clk.now().Sub(start)
			if srv.refused != 0 {
				t.Errorf("%d requests refused with 429 (windows %v)", srv.refused, srv.windows)
			}
			total := tc.n + tc.prior
			need := time.Duration((total+tc.limit-1)/tc.limit-1) * time.Minute
			if tc.prior > 0 && tc.withReset {
				need -= 20 * time.Second // the first window was 20 s old, and the server says so
			}
			// Without X-RateLimit-Reset (Laravel's successful answers) the
			// age of a window another client opened is unknown: the client
			// waits a full window from its first answer, up to 20 s more.
			slack := 2 * time.Second
			if tc.withReset {
				// A second of margin per window: Reset and Date are whole
				// seconds.
				slack += time.Duration(total/tc.limit) * time.Second
			}
			if took > need+slack {
				t.Errorf("%d requests took %v of waiting, the limit permits %v (windows %v)", tc.n, took, need, srv.windows)
			}
			if st := c.Stats(); st.Attempts != int64(tc.n) {
				t.Errorf("stats %+v, want %d attempts", st, tc.n)
			}
		})
	}
}

// A server announcing a window's end far away (a Reset an hour or a year
// ahead, or a long Retry-After) gets an error, not a client that waits
// past MaxRetryAfter.
func TestPacingRefusesLongWaits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"reset a year ahead", map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "33000000000"}, 200},
		{"429 retry after an hour", map[string]string{"Retry-After": "3600"}, 429},
		{"429 with limit, reset in 2 hours", map[string]string{"X-RateLimit-Limit": "10", "X-RateLimit-Remaining": "0", "Retry-After": "7200"}, 429},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &vclock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Date", clk.now().Format(http.TimeFormat))
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.status)
			}))
			defer ts.Close()
			tr := http.DefaultTransport.(*http.Transport).Clone()
			defer tr.CloseIdleConnections()
			c, err := New(Config{BaseURL: ts.URL, AllowInsecureHTTP: true, RoundTripper: tr, Sleep: clk.sleep, Now: clk.now, MaxAttempts: 2})
			if err != nil {
				t.Fatal(err)
			}
			c.Do(context.Background(), Request{Method: http.MethodGet, Path: "/x", Idempotent: true})
			_, err = c.Do(context.Background(), Request{Method: http.MethodGet, Path: "/x", Idempotent: true})
			if !errors.Is(err, ErrRateLimited) {
				t.Fatalf("second request: %v, want ErrRateLimited", err)
			}
			if waited := clk.now().Sub(time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)); waited > 5*time.Minute {
				t.Errorf("waited %v", waited)
			}
		})
	}
}

// FuzzPacerHeaders feeds the pacer any rate-limit headers: it never
// panics, never waits past its bound, and lets a request through once
// the window it was told of is over.
func FuzzPacerHeaders(f *testing.F) {
	f.Add(200, "120", "119", "", "", 5)
	f.Add(429, "60", "0", "1767254400", "30", 3)
	f.Add(200, "10", "0", "", "", 1)
	f.Add(429, "", "", "", "-5", 2)
	f.Add(200, "-1", "99999999999999999999", "x", "1e9", 7)
	f.Add(200, "1", "5", "0", "", 0)
	f.Fuzz(func(t *testing.T, status int, limit, remaining, reset, retry string, n int) {
		clk := &vclock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
		p := newPacer(time.Minute, 5*time.Minute, clk.now, clk.sleep)
		h := http.Header{}
		for k, v := range map[string]string{"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining,
			"X-RateLimit-Reset": reset, "Retry-After": retry, "Date": clk.now().Format(http.TimeFormat)} {
			if v != "" {
				h.Set(k, v)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		for i := 0; i < n%16; i++ {
			tk, err := p.acquire(ctx)
			if err != nil {
				if !errors.Is(err, ErrRateLimited) {
					t.Fatalf("acquire: %v", err)
				}
				return
			}
			p.done(tk, status, h)
		}
		start := clk.now()
		tk, err := p.acquire(ctx)
		if err == nil {
			p.done(tk, 200, nil)
		} else if !errors.Is(err, ErrRateLimited) {
			t.Fatalf("acquire: %v", err)
		}
		if w := clk.now().Sub(start); w > 5*time.Minute {
			t.Fatalf("waited %v", w)
		}
	})
}
