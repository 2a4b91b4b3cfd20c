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
	burst bool // every gap so far was shorter than gap
	gen   int
}

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
	if len(s.held) > 0 && now.Sub(s.last) >= s.gap {
		// The timer has not fired yet, but the burst is over.
		r.keys = s.take()
	}
	switch {
	case printable(k):
		if len(s.held) == 0 {
			s.first, s.burst = now, true
		} else if now.Sub(s.last) >= s.gap {
			s.burst = false
		}
		s.held = append(s.held, k)
		s.last = now
		s.gen++
		r.cmd = s.timer(s.gap, s.gen)
		if len(s.held) > maxScan {
			r.keys = append(r.keys, s.take()...)
			r.cmd = nil
		}
	case ends(k) && len(s.held) >= minScan && s.burst && now.Sub(s.last) < s.gap:
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

// flush hands on the held keys when the timer of the latest one fires.
func (s *scanner) flush(gen int) []tea.KeyPressMsg {
	if gen != s.gen {
		return nil
	}
	return s.take()
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
