package fault

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	gosync "sync"
	"time"
)

// Kind is a failure injected into one request.
type Kind int

// The faults. Each fake acts on those its API can show.
const (
	None Kind = iota
	// Throttle answers 429 with Retry-After.
	Throttle
	// Unavailable answers 503 without acting.
	Unavailable
	// InternalError answers 500 without acting.
	InternalError
	// DropAfterCommit acts, then closes the connection without answering.
	DropAfterCommit
	// Slow waits the fake's SlowDelay before acting and answering.
	Slow
	// Malformed acts, then answers 200 with truncated JSON.
	Malformed
	// PartialBatch services only the first half of a ServiceNow batch;
	// the rest is listed in unserviced_requests.
	PartialBatch
	// ItemError fails the first item of an IRE payload with an ABANDONED
	// error (nothing written for it); the others go through.
	ItemError
	// LockTimeout fails the first item of an IRE payload with
	// LOCK_TIMEOUT, which the IRE error messages document as transient
	// ("IRE error messages", servicenow.com/docs, CMDB: id-engine-error-
	// messages): nothing written, resubmit later.
	LockTimeout
	// StatusError answers HTTP 200 with Snipe-IT's "status":"error"
	// without acting.
	StatusError
)

var names = [...]string{"none", "throttle", "unavailable", "internal-error", "drop-after-commit", "slow",
	"malformed", "partial-batch", "item-error", "lock-timeout", "status-error"}

func (k Kind) String() string {
	if k < 0 || int(k) >= len(names) {
		return "fault-" + strconv.Itoa(int(k))
	}
	return names[k]
}

// Queue picks the fault of each request: first the faults queued for
// any request, in order; then, for a request that writes, those queued
// for writes; then the fake's own picker, when set. It is not safe for
// concurrent use: the fake calls it under its own lock.
type Queue struct {
	all, writes []Kind
}

// Add queues faults for the next requests.
func (q *Queue) Add(ks ...Kind) { q.all = append(q.all, ks...) }

// AddWrites queues faults for the next requests that write.
func (q *Queue) AddWrites(ks ...Kind) { q.writes = append(q.writes, ks...) }

// Next returns the fault of request r, which writes when write is true;
// pick (may be nil) chooses when no queued fault applies.
func (q *Queue) Next(r *http.Request, write bool, pick func(*http.Request) Kind) Kind {
	var k Kind
	switch {
	case len(q.all) > 0:
		k, q.all = q.all[0], q.all[1:]
	case write && len(q.writes) > 0:
		k, q.writes = q.writes[0], q.writes[1:]
	case pick != nil:
		k = pick(r)
	}
	return k
}

// Wait holds a Slow request for d (2 s when d is not positive). It
// returns false when the client gave up first: the fake then neither acts
// nor answers.
func Wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		d = 2 * time.Second
	}
	select {
	case <-time.After(d):
		return true
	case <-r.Context().Done():
		return false
	}
}

// Answer sends the answer the fake recorded in rec, spoiled by k: with
// DropAfterCommit the connection is closed with no answer (the work is
// done), with Malformed the body is cut in half under a 200.
func Answer(w http.ResponseWriter, rec *httptest.ResponseRecorder, k Kind) {
	switch k {
	case DropAfterCommit:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		b := rec.Body.Bytes()
		w.Write(b[:len(b)/2])
		return
	}
	for k, vs := range rec.Header() {
		w.Header()[k] = vs
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// Base is what every fake server embeds: its clock, its latency, the
// fault picked for each request and the count of requests in flight.
// Set its exported fields before serving.
type Base struct {
	// Latency is added to every request.
	Latency time.Duration
	// SlowDelay is how long Slow waits (default 2 s).
	SlowDelay time.Duration
	// Now is the server's clock (default time.Now).
	Now func() time.Time
	// FaultFunc, when set, picks a fault for each request no queued fault
	// applies to.
	FaultFunc func(r *http.Request) Kind

	active gosync.WaitGroup
	mu     gosync.Mutex // guards queue
	queue  Queue
}

// Inject queues faults for the next requests, in order.
func (b *Base) Inject(ks ...Kind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue.Add(ks...)
}

// InjectWrites queues faults for the next requests that write, leaving
// reads alone.
func (b *Base) InjectWrites(ks ...Kind) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.queue.AddWrites(ks...)
}

// Drain waits until no request is being served: after a client gave up
// on a request, the server may still be carrying it out.
func (b *Base) Drain() { b.active.Wait() }

// Clock returns the server's time in UTC.
func (b *Base) Clock() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

// Enter counts a request in flight and adds the latency; call the
// function it returns when the request is done.
func (b *Base) Enter() (done func()) {
	b.active.Add(1)
	if b.Latency > 0 {
		time.Sleep(b.Latency)
	}
	return b.active.Done
}

// Pick returns the fault of request r, which writes when write is true.
func (b *Base) Pick(r *http.Request, write bool) Kind {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.queue.Next(r, write, b.FaultFunc)
}

// Wait holds a Slow request for SlowDelay; false means the client gave
// up first.
func (b *Base) Wait(r *http.Request) bool { return Wait(r, b.SlowDelay) }
