package transport

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"time"
)

// pacer keeps a client inside the rate limit a server announces, so that
// it uses the whole allowance without running into 429s.
//
// Laravel's throttle (Snipe-IT: throttle:api, API_THROTTLE_PER_MINUTE,
// default 120) counts requests in a fixed window that the first request
// opens and that lasts a minute; a refused request is not counted. Every
// answer carries X-RateLimit-Limit and X-RateLimit-Remaining; a 429 adds
// Retry-After and X-RateLimit-Reset (a Unix time). ServiceNow's rate
// limit rules send the same headers, Reset on every answer.
//
// The pacer lets requests go while the window has room, then waits for
// the requests in flight to be answered and for the window's end: the
// reset the server announced, or else at the latest one window after the
// first answer seen in it (the window began before that answer). The
// room left is the lowest Remaining answered in the window less the
// requests still in flight, which the server may not have counted yet:
// exact for a key used by this client alone. A server that announces
// nothing is not paced, except that a 429's Retry-After holds back every
// request, not only the one retried.
type pacer struct {
	window time.Duration
	// maxWait bounds one wait: a server that asks for more (a Reset an
	// hour or a year away) gets ErrRateLimited, not a client that hangs.
	maxWait time.Duration
	now     func() time.Time
	sleep   func(context.Context, time.Duration) error

	// waitMu lets one caller at a time sleep for the window's end, each
	// measuring the wait again when its turn comes: no wait is taken twice.
	waitMu gosync.Mutex

	mu gosync.Mutex
	// known: the server announced a limit.
	known bool
	limit int
	// rmin is the lowest Remaining answered in the current window
	// (math.MaxInt until a limit is known).
	rmin int
	// pending counts the requests let through and not answered yet.
	pending int
	// epoch numbers the windows: an answer to a request of an older window
	// says nothing of the current one.
	epoch int
	// reset is the latest time the current window ends; zero until an
	// answer in it was seen.
	reset time.Time
	// blocked is the end of a 429's Retry-After.
	blocked time.Time
	// answered is closed and replaced at each answer, for callers that
	// wait for the requests in flight.
	answered chan struct{}
	waited   time.Duration
	// skipped is the time sleeps reported as passed beyond what the clock
	// shows: a test's fast sleep returns at once, and the pacer must then
	// see the window over, not wait for it again.
	skipped time.Duration
}

// ticket is a request let through.
type ticket struct{ epoch int }

func newPacer(window, maxWait time.Duration, now func() time.Time, sleep func(context.Context, time.Duration) error) *pacer {
	p := &pacer{window: window, maxWait: maxWait, sleep: sleep, rmin: math.MaxInt, answered: make(chan struct{})}
	p.now = func() time.Time { return now().Add(p.skipped) }
	return p
}

// room is how many more requests the current window takes.
func (p *pacer) room() int {
	if !p.known {
		return math.MaxInt
	}
	return p.rmin - p.pending
}

// acquire waits until the server's limit lets one more request go.
func (p *pacer) acquire(ctx context.Context) (ticket, error) {
	for {
		p.mu.Lock()
		p.roll()
		if p.room() > 0 && !p.now().Before(p.blocked) {
			p.pending++
			t := ticket{epoch: p.epoch}
			p.mu.Unlock()
			return t, nil
		}
		p.mu.Unlock()
		if err := p.waitTurn(ctx); err != nil {
			return ticket{}, err
		}
	}
}

// roll starts a new window once the current one is over.
func (p *pacer) roll() {
	if !p.known || p.reset.IsZero() || p.now().Before(p.reset) {
		return
	}
	p.epoch++
	p.rmin = p.limit
	p.reset = time.Time{}
}

// waitTurn waits, when the window is spent, first for the requests in
// flight to be answered (they tell where the window stands, and a request
// sent before the wait must not reach the server after it unaccounted),
// then until the window ends.
func (p *pacer) waitTurn(ctx context.Context) error {
	p.waitMu.Lock()
	defer p.waitMu.Unlock()
	p.mu.Lock()
	p.roll()
	now := p.now()
	until := p.blocked
	if p.room() <= 0 && p.reset.After(until) {
		until = p.reset
	}
	if p.pending > 0 && (p.room() <= 0 || until.After(now)) {
		ch := p.answered
		p.mu.Unlock()
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if !until.After(now) {
		p.mu.Unlock()
		return ctx.Err()
	}
	d := until.Sub(now)
	p.mu.Unlock()
	if d > p.maxWait {
		return fmt.Errorf("%w: no request allowed for %v (until %s)", ErrRateLimited, d.Round(time.Second), until.UTC().Format(time.RFC3339))
	}
	if err := p.sleep(ctx, d); err != nil {
		return err
	}
	p.mu.Lock()
	p.waited += d
	if e := p.now().Sub(now); e < d {
		p.skipped += d - e
	}
	p.mu.Unlock()
	return nil
}

// done reads the rate-limit headers of the answer to t's request (nil
// when none came).
func (p *pacer) done(t ticket, status int, h http.Header) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending--
	close(p.answered)
	p.answered = make(chan struct{})
	if h == nil {
		return
	}
	now := p.now()
	reset, okReset := resetAt(h, now)
	if status == http.StatusTooManyRequests {
		end := now.Add(p.window)
		if ra, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && ra >= 0 {
			end = now.Add(min(time.Duration(min(ra, int(farOff/time.Second)))*time.Second, farOff))
		} else if okReset {
			end = reset
		}
		if end.After(p.blocked) {
			p.blocked = end
		}
	}
	limit, okL := headerInt(h, "X-RateLimit-Limit")
	remaining, okR := headerInt(h, "X-RateLimit-Remaining")
	if !okL || limit <= 0 || !okR {
		return // no limit announced
	}
	p.known, p.limit = true, limit
	if status == http.StatusTooManyRequests {
		// The window is full whatever was counted: wait for its end.
		p.rmin = 0
		if p.blocked.After(p.reset) {
			p.reset = p.blocked
		}
		return
	}
	if t.epoch != p.epoch {
		return
	}
	switch {
	case okReset:
		p.reset = reset // the server says when; trust it over the guess
	case p.reset.IsZero():
		p.reset = now.Add(p.window)
	}
	p.rmin = min(p.rmin, remaining)
}

// farOff bounds the waits a server can announce before arithmetic on
// them: anything near it is refused as ErrRateLimited anyway.
const farOff = 1000 * time.Hour

// resetAt reads X-RateLimit-Reset, a Unix time on the server's clock,
// as a time on ours (through the Date header when there is one).
func resetAt(h http.Header, now time.Time) (time.Time, bool) {
	v, ok := headerInt(h, "X-RateLimit-Reset")
	if !ok {
		return time.Time{}, false
	}
	at := time.Unix(int64(v), 0)
	if d, err := http.ParseTime(h.Get("Date")); err == nil {
		// Both have one-second resolution: a second more is safe. The
		// offset is bounded so that a reset centuries away cannot wrap.
		return now.Add(min(max(at.Sub(d), 0), farOff) + time.Second), true
	}
	return at.Add(time.Second), true
}

func headerInt(h http.Header, name string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(h.Get(name)))
	return v, err == nil && v >= 0
}

// Waited is how long the pacer held requests back.
func (p *pacer) Waited() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waited
}
