package tui

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
)

// A USB barcode scanner is a keyboard that types fast: a label arrives as
// a burst of printable keys a few milliseconds apart, ended by Enter (or
// Tab). Left to the screens, every character of a burst is a command key
// (scanning "bme-3021" on the findings ran m and e). The scanner layer sits
// in front of every screen: it holds printable keys back for one gap, and
// either hands them on as keys (a person typing) or, when Enter or Tab
// ends a burst, turns them into one scan.

// DefaultScanGap is the longest pause between two keys of a scanner burst.
// Scanners type 1-10 ms apart; the fastest typists stay above 50 ms
// between keys.
const DefaultScanGap = 30 * time.Millisecond

// minScan is the shortest burst taken as a scan: asset tags, serials and
// room labels are longer, and a two-key chord is a person.
const minScan = 3

// maxScan bounds a scan; longer bursts are not labels.
const maxScan = 128

// scanFlushMsg is the timer that hands held keys on when no further key
// came within the gap.
type scanFlushMsg struct{ gen int }

// scanMsg is one scan: a burst, or a bracketed paste.
type scanMsg struct{ text string }

// scanner holds the keys of a possible burst.
type scanner struct {
	gap   time.Duration
	clock func() time.Time
	timer func(d time.Duration, gen int) tea.Cmd
	held  []tea.KeyPressMsg
	first time.Time
	last  time.Time
	// slow counts the gaps longer than gap within the held keys: a
	// loaded machine can hand the program one key of a burst late, so a
	// single slow gap (below hiccup) is forgiven when the keys average a
	// scanner's pace.
	slow  int
	burst bool // no gap so far was longer than hiccup
	gen   int
	// drawn is when the program last finished drawing. Bubble Tea draws
	// between two messages; on a slow or loaded machine a frame can take
	// longer than a scanner's gap, so the time spent drawing is not
	// counted as a pause between keys: a gap runs from the later of the
	// last key and the last frame.
	drawn  time.Time
	rearms int
}

// drew records the end of a frame. It is timing, not state of the model.
func (s *scanner) drew() { s.drawn = s.clock() }

// since is the idle time before now: from the later of the last key and
// the last frame.
func (s *scanner) since(now time.Time) time.Duration {
	from := s.last
	if s.drawn.After(from) {
		from = s.drawn
	}
	return now.Sub(from)
}

// hiccup is how many gaps long one pause inside a burst may be.
const hiccup = 4

func newScanner(o Options) *scanner {
	s := &scanner{gap: o.ScanGap, clock: o.keyClock, timer: o.scanTimer}
	if s.gap <= 0 {
		s.gap = DefaultScanGap
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.timer == nil {
		s.timer = func(d time.Duration, gen int) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return scanFlushMsg{gen: gen} })
		}
	}
	return s
}

// printable reports a key that types a character: those are held back.
func printable(k tea.KeyPressMsg) bool {
	return k.Text != "" && k.Mod&^tea.ModShift == 0 && k.Code != tea.KeyEnter && k.Code != tea.KeyTab
}

// ends reports a key a scanner sends after a label.
func ends(k tea.KeyPressMsg) bool {
	return k.Mod == 0 && (k.Code == tea.KeyEnter || k.Code == tea.KeyTab)
}

// result is what the scanner decided about one key press.
type result struct {
	// keys are the keys to hand on to the screens, in order.
	keys []tea.KeyPressMsg
	// scan is a recognised scan ("" when none).
	scan string
	// cmd is the flush timer to start.
	cmd tea.Cmd
}

// key takes one key press.
func (s *scanner) key(k tea.KeyPressMsg) result {
	now := s.clock()
	var r result
	if len(s.held) > 0 && s.since(now) >= s.gap*hiccup {
		// The timer has not fired yet, but the burst is long over.
		r.keys = s.take()
	}
	switch {
	case printable(k):
		if len(s.held) == 0 {
			s.first, s.burst, s.slow = now, true, 0
		} else if d := s.since(now); d >= s.gap*hiccup {
			s.burst = false
		} else if d >= s.gap {
			s.slow++
		}
		s.held = append(s.held, k)
		s.last = now
		s.gen++
		// Two gaps of silence hand the keys on: one late key of a burst
		// (a busy machine) does not split it, and a typed key still
		// answers within a frame or two.
		r.cmd = s.timer(2*s.gap, s.gen)
		if len(s.held) > maxScan {
			r.keys = append(r.keys, s.take()...)
			r.cmd = nil
		}
	case ends(k) && s.isScan(now):
		var b strings.Builder
		for _, h := range s.held {
			b.WriteString(h.Text)
		}
		s.held = s.held[:0]
		s.gen++
		r.scan = b.String()
	default:
		r.keys = append(r.keys, s.take()...)
		r.keys = append(r.keys, k)
	}
	return r
}

// isScan reports whether the held keys, ended now, were a scanner's
// burst: long enough, no pause longer than a hiccup, at most one slow gap,
// and on average faster than gap.
func (s *scanner) isScan(now time.Time) bool {
	n := len(s.held)
	if n < minScan || !s.burst || s.slow > 1 || s.since(now) >= s.gap*hiccup {
		return false
	}
	return s.slow == 0 || now.Sub(s.first) < s.gap*time.Duration(n)
}

// flush hands on the held keys when the timer of the latest one fires.
// When the program was busy drawing until just now, keys of the burst may
// still be queued behind the timer: it is started again instead.
func (s *scanner) flush(gen int) ([]tea.KeyPressMsg, tea.Cmd) {
	if gen != s.gen {
		return nil, nil
	}
	if len(s.held) > 0 && s.since(s.clock()) < s.gap && s.rearms < 4 {
		s.rearms++
		return nil, s.timer(2*s.gap, s.gen)
	}
	s.rearms = 0
	return s.take(), nil
}

func (s *scanner) take() []tea.KeyPressMsg {
	if len(s.held) == 0 {
		return nil
	}
	out := append([]tea.KeyPressMsg(nil), s.held...)
	s.held = s.held[:0]
	s.gen++
	return out
}

// cleanScan trims what a scanner or a paste delivered to one label:
// surrounding blanks go, and a multi-line paste keeps its first line.
func cleanScan(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	if len(s) > maxScan {
		s = s[:maxScan]
	}
	return s
}
