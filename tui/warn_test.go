package tui

import (
	"strings"
	"sync"
	"testing"
)

// warnLog stands in for the program's logger: the newest warning and how
// many there were, read under a lock as the real one is.
type warnLog struct {
	mu   sync.Mutex
	last string
	n    int
}

func (l *warnLog) warn(s string) {
	l.mu.Lock()
	l.last, l.n = s, l.n+1
	l.mu.Unlock()
}

func (l *warnLog) Last() (string, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last, l.n
}

func statusLine(h *harness) string {
	lines := strings.Split(h.view(), "\n")
	// The status line is above the help line.
	return lines[len(lines)-2]
}

// TestWarningsReachTheStatusLine: a warning logged during a sweep shows
// in the status line with the next message; several at once say how many
// more there were; a later status replaces it, and a later warning wins
// over that status again.
func TestWarningsReachTheStatusLine(t *testing.T) {
	wl := &warnLog{}
	h := newHarness(t, 100, 24, true, func(o *Options) { o.Warnings = wl.Last })
	if s := statusLine(h); strings.Contains(s, "⚠") {
		t.Fatalf("warning shown before any: %q", s)
	}
	h.key("enter") // open room 3W-12
	wl.warn("sweep MAIN/3/3W-12: 127.0.12.9 skipped: excluded")
	h.key("down")
	if s := statusLine(h); !strings.Contains(s, "⚠ sweep MAIN/3/3W-12: 127.0.12.9 skipped") {
		t.Fatalf("status line %q lacks the warning", s)
	}
	for i := 0; i < 3; i++ {
		wl.warn("snmp: timeout \x1b[31mred\x1b[0m")
	}
	h.send(warnTickMsg{})
	s := statusLine(h)
	if !strings.Contains(s, "⚠ snmp: timeout") || !strings.Contains(s, "+2 more warnings") {
		t.Fatalf("status line %q: want the newest and +2 more", s)
	}
	if strings.Contains(h.raw(), "\x1b[31m") {
		t.Fatal("warning rendered its escape sequence")
	}
	// A status set later replaces it while it is shown.
	h.m.setStatus("saved", nil)
	if s := statusLine(h); strings.Contains(s, "⚠") || !strings.Contains(s, "saved") {
		t.Fatalf("status line %q: want the newer status", s)
	}
	wl.warn("ble: adapter busy")
	h.send(warnTickMsg{})
	if s := statusLine(h); !strings.Contains(s, "⚠ ble: adapter busy") || strings.Contains(s, "more warnings") {
		t.Fatalf("status line %q: want the one new warning", s)
	}
	// With the status cleared the last warning stays visible.
	h.m.setStatus("", nil)
	if s := statusLine(h); !strings.Contains(s, "⚠ ble: adapter busy") {
		t.Fatalf("status line %q lost the warning", s)
	}
}
