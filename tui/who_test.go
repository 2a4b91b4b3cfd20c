package tui

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// TestFirstRunAsksTheTechnician: with nobody named, the TUI asks first;
// the answer is saved once, signs the journal, and a bad answer is
// refused without saving.
func TestFirstRunAsksTheTechnician(t *testing.T) {
	var saved []string
	h := newHarness(t, 80, 24, true, func(o *Options) {
		o.Technician = func(_ context.Context, name string) error {
			saved = append(saved, name)
			return nil
		}
	})
	h.wantView("Who is doing this round?")
	// Global keys are typing here: q is a letter, enter with nothing
	// typed is refused.
	h.key("enter")
	h.wantView("type your name")
	if len(saved) != 0 {
		t.Fatalf("saved %q for an empty name", saved)
	}
	h.typ("  Sam Quinn ")
	h.key("enter")
	if len(saved) != 1 || saved[0] != "Sam Quinn" {
		t.Fatalf("saved %q, want once \"Sam Quinn\"", saved)
	}
	if h.m.who != nil || h.eng.Actor != "Sam Quinn" {
		t.Fatalf("prompt %v, actor %q", h.m.who, h.eng.Actor)
	}
	h.wantView("signing as Sam Quinn")
	// The next action is signed with the answer.
	h.sweepRoom12()
	h.gotoFinding("BME-1002")
	h.key("c")
	es, err := h.st.Journal(context.Background(), store.JournalQuery{AssetTag: "BME-1002"})
	if err != nil || len(es) == 0 || es[len(es)-1].Actor != "Sam Quinn" {
		t.Fatalf("journal %+v %v: want the last entry by Sam Quinn", es, err)
	}
}

// TestTechnicianPromptCases covers a scanned badge, esc, a failed save and
// a name that is never asked.
func TestTechnicianPromptCases(t *testing.T) {
	tests := []struct {
		name      string
		ask       bool
		saveErr   error
		do        func(h *harness)
		wantActor string
		wantSaved int
		wantView  string
	}{
		{"badge scan", true, nil, func(h *harness) { h.burst("NURSE-0042", 5*time.Millisecond, "enter") }, "NURSE-0042", 1, "saved for next time"},
		{"esc keeps the login name", true, nil, func(h *harness) { h.key("esc") }, "tech", 0, "signed tech this session"},
		{"save fails", true, errors.New("config: read-only"), func(h *harness) { h.typ("Ana"); h.key("enter") }, "Ana", 1, "not saved"},
		{"control characters refused", true, nil, func(h *harness) { h.send(scanMsg{text: "a\x1b[2Jb"}) }, "tech", 0, "control characters"},
		{"named already", false, nil, func(h *harness) {}, "tech", 0, "Wing 3 rounds"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			h := newHarness(t, 80, 24, true, func(o *Options) {
				if tc.ask {
					o.Technician = func(context.Context, string) error { n++; return tc.saveErr }
				}
			})
			tc.do(h)
			if h.eng.Actor != tc.wantActor || n != tc.wantSaved {
				t.Fatalf("actor %q saved %d times, want %q %d", h.eng.Actor, n, tc.wantActor, tc.wantSaved)
			}
			h.wantView(tc.wantView)
			if strings.Contains(h.raw(), "\x1b[2J") {
				t.Fatal("escape sequence rendered")
			}
		})
	}
}
