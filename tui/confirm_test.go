package tui

import (
	"context"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// countingSweeper counts the sweeps started through it.
type countingSweeper struct {
	scan.Sweeper
	n *atomic.Int32
}

func (s countingSweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	s.n.Add(1)
	return s.Sweeper.Sweep(ctx, out)
}

// segmentHarness seeds room 3W-12 with segment cidr, marks the database
// generated when generated is set, and counts the sweeps started.
func segmentHarness(t *testing.T, cidr string, generated bool) (*harness, *atomic.Int32) {
	t.Helper()
	h := newHarness(t, 80, 24, true)
	ctx := context.Background()
	err := h.st.Write(ctx, "test", func(w *store.Writer) error {
		w.NoJournal = true
		l, err := w.Location(roundtest.Rooms[0])
		if err != nil {
			return err
		}
		l.Segments = []store.Segment{{CIDR: netip.MustParsePrefix(cidr)}}
		if _, err := w.PutLocation(l); err != nil {
			return err
		}
		if generated {
			return w.MarkGenerated("test")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n := &atomic.Int32{}
	inner := h.eng.Sources
	h.eng.Sources = func(ctx context.Context, room store.Location) ([]round.Source, error) {
		ss, err := inner(ctx, room)
		for i := range ss {
			ss[i].Sweeper = countingSweeper{Sweeper: ss[i].Sweeper, n: n}
		}
		return ss, err
	}
	return h, n
}

// TestGeneratedDatabaseAsksBeforeRealSegment: in a generated (demo) database
// a segment that is not loopback is swept only after a y, asked once; n
// starts no source. Nothing here touches a network: the sources replay.
func TestGeneratedDatabaseAsksBeforeRealSegment(t *testing.T) {
	h, n := segmentHarness(t, "198.51.100.0/24", true)
	h.key("enter")
	h.wantScreen(scrSweep)
	h.key("enter")
	h.wantView("198.51.100.0/24 is a real network")
	if h.m.ask == nil {
		t.Fatal("no question asked")
	}
	h.key("n")
	if got := n.Load(); got != 0 {
		t.Fatalf("%d sweeps started after n", got)
	}
	h.wantScreen(scrSweep)
	if h.m.sweep.running || h.m.sweep.checking {
		t.Fatal("sweep page still busy after n")
	}
	// A stray key leaves the question open and starts nothing.
	h.key("enter")
	h.key("x")
	if h.m.ask == nil || n.Load() != 0 {
		t.Fatalf("question %v, sweeps %d after a stray key", h.m.ask, n.Load())
	}
	h.key("y")
	if got := n.Load(); got != 1 {
		t.Fatalf("%d sweeps after y, want 1", got)
	}
	h.wantScreen(scrFindings)
	need, err := h.st.NeedsConfirm(context.Background(), []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")})
	if err != nil || len(need) != 0 {
		t.Fatalf("after y the segment still needs confirming: %v %v", need, err)
	}
	// Asked once: sweeping again starts at once.
	h.key("esc")
	h.m.ask = nil
	h.send(roomMsgFor(t, h))
	h.wantScreen(scrSweep)
	h.key("enter")
	if h.m.ask != nil {
		t.Fatalf("asked again: %q", h.m.ask.text)
	}
	if got := n.Load(); got != 2 {
		t.Fatalf("%d sweeps, want 2", got)
	}
}

// roomMsgFor reopens room 3W-12 on its sweep screen.
func roomMsgFor(t *testing.T, h *harness) roomMsg {
	t.Helper()
	return h.m.c.openRoomFor(roundtest.Rooms[0], nil, true)().(roomMsg)
}

// TestNoQuestionWhenNotNeeded: loopback in a generated database, or any
// segment in a real inventory, sweeps at once.
func TestNoQuestionWhenNotNeeded(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cidr      string
		generated bool
	}{
		{"loopback in generated", "127.0.12.0/24", true},
		{"real inventory", "198.51.100.0/24", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, n := segmentHarness(t, tc.cidr, tc.generated)
			h.key("enter")
			h.key("enter")
			if h.m.ask != nil {
				t.Fatalf("asked %q", h.m.ask.text)
			}
			if n.Load() != 1 {
				t.Fatalf("%d sweeps, want 1", n.Load())
			}
			h.wantScreen(scrFindings)
		})
	}
}
