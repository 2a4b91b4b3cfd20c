package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	gosync "sync"
	"time"
)

// progressMode is how long work reports how far it is.
type progressMode int

const (
	// progressNone: nothing (stdout not a terminal, or --quiet).
	progressNone progressMode = iota
	// progressBar: a bar with counts and rate redrawn on stderr.
	progressBar
	// progressJSON: one JSON object per line on stderr (--json), so
	// that a script can follow long work while stdout keeps the result.
	progressJSON
)

// progressModeFor decides the mode: --quiet silences, --json asks for
// machine-readable lines, and a bar is drawn only when both stdout and
// stderr are terminals (a pipe or a file on stdout means a script runs us).
func (a *app) progressModeFor(jsonOut bool) progressMode {
	switch {
	case a.quiet:
		return progressNone
	case jsonOut:
		return progressJSON
	}
	so, ok1 := a.stdout.(*os.File)
	se, ok2 := a.stderr.(*os.File)
	if ok1 && ok2 && isTerminal(so) && isTerminal(se) {
		return progressBar
	}
	return progressNone
}

// progress reports how far a long piece of work is. It is safe for use
// from several goroutines; updates are drawn at most every interval.
type progress struct {
	mu       gosync.Mutex
	w        io.Writer
	mode     progressMode
	task     string
	unit     string
	total    int64 // of done; 0 when unknown
	frac     func() float64
	done     int64
	start    time.Time
	last     time.Time
	interval time.Duration
	now      func() time.Time
	drawn    bool
}

// newProgress starts reporting task ("import devices.csv") counted in unit
// ("rows") out of total (0: unknown).
func (a *app) newProgress(task, unit string, total int64, jsonOut bool) *progress {
	p := &progress{w: a.stderr, mode: a.progressModeFor(jsonOut), task: inert(task), unit: unit, total: total,
		interval: 100 * time.Millisecond, now: time.Now}
	p.start = p.now()
	return p
}

// Fraction sets a function that tells how far the work is when the count
// alone cannot (bytes read of a file whose row count is unknown).
func (p *progress) Fraction(f func() float64) { p.frac = f }

// Set records that n units are done.
func (p *progress) Set(n int64) {
	if p == nil || p.mode == progressNone {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = n
	if t := p.now(); t.Sub(p.last) >= p.interval {
		p.last = t
		p.draw(false)
	}
}

// Add records n more units done.
func (p *progress) Add(n int64) {
	if p == nil || p.mode == progressNone {
		return
	}
	p.mu.Lock()
	d := p.done + n
	p.mu.Unlock()
	p.Set(d)
}

// Done draws the final state and ends the line.
func (p *progress) Done(n int64) {
	if p == nil || p.mode == progressNone {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = n
	p.draw(true)
}

// progressEvent is one line of --json progress.
type progressEvent struct {
	Progress string  `json:"progress"`
	Unit     string  `json:"unit"`
	Done     int64   `json:"done"`
	Total    int64   `json:"total,omitempty"`
	Fraction float64 `json:"fraction,omitempty"`
	Rate     float64 `json:"rate"`
	Elapsed  float64 `json:"elapsed_s"`
	Final    bool    `json:"final,omitempty"`
}

func (p *progress) draw(final bool) {
	el := p.now().Sub(p.start)
	rate := 0.0
	if s := el.Seconds(); s > 0 {
		rate = float64(p.done) / s
	}
	frac := -1.0
	switch {
	case p.total > 0:
		frac = float64(p.done) / float64(p.total)
	case p.frac != nil:
		frac = p.frac()
	}
	if final && frac >= 0 {
		frac = 1
	}
	frac = min(frac, 1)
	if p.mode == progressJSON {
		ev := progressEvent{Progress: p.task, Unit: p.unit, Done: p.done, Total: p.total, Rate: float64(int64(rate*10)) / 10,
			Elapsed: float64(el.Milliseconds()) / 1000, Final: final}
		if frac >= 0 {
			ev.Fraction = float64(int(frac*1000)) / 1000
		}
		b, _ := json.Marshal(ev)
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	var b strings.Builder
	b.WriteString("\r\x1b[K")
	b.WriteString(p.task)
	b.WriteString(" ")
	if frac >= 0 {
		const width = 24
		n := int(frac * width)
		b.WriteString("[" + strings.Repeat("█", n) + strings.Repeat("░", width-n) + "]")
		fmt.Fprintf(&b, " %3d%% ", int(frac*100))
	}
	b.WriteString(groupDigits(p.done))
	if p.total > 0 {
		b.WriteString("/" + groupDigits(p.total))
	}
	fmt.Fprintf(&b, " %s  %s %s/s", p.unit, groupDigits(int64(rate)), p.unit)
	if final {
		fmt.Fprintf(&b, "  %.1fs\n", el.Seconds())
	}
	io.WriteString(p.w, b.String())
	p.drawn = true
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r  io.Reader
	mu gosync.Mutex
	n  int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// countingWriter counts the bytes written through it and reports them.
type countingWriter struct {
	w io.Writer
	n int64
	p *progress
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.p.Set(c.n)
	return n, err
}
