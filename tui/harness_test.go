package tui

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

// harness drives a Model the way Bubble Tea does, but synchronously:
// every command runs to completion and its message is fed back, so that a
// test reads like a sequence of key presses. Animation ticks are dropped,
// and the clock is fixed, so that views are deterministic.
type harness struct {
	t     *testing.T
	m     *Model
	st    *store.Store
	eng   *round.Engine
	now   *time.Time
	quit  bool
	msgs  []tea.Msg
	round store.Round
	// keyAt is the clock of key presses: key advances it at a person's
	// pace, burst at a scanner's.
	keyAt time.Time
}

type harnessOpt func(*Options)

func newHarness(t *testing.T, w, h int, withRound bool, opts ...harnessOpt) *harness {
	t.Helper()
	st := roundtest.Open(t)
	now, clock := roundtest.Clock()
	eng := &round.Engine{Store: st, Reconcile: roundtest.Reconciler(st), Now: clock, Actor: "tech",
		Sources: roundtest.Sources(map[string][]scan.Observation{roundtest.Rooms[0]: roundtest.Room12()}, 0)}
	hs := &harness{t: t, st: st, eng: eng, now: now}
	if withRound {
		rd, err := st.CreateRound(context.Background(), "Wing 3 rounds", "tech", roundtest.T0, roundtest.Rooms)
		if err != nil {
			t.Fatal(err)
		}
		hs.round = rd
	}
	hs.keyAt = roundtest.T0
	o := Options{Engine: eng, Profile: colorprofile.NoTTY, ExportDir: t.TempDir(),
		tick:      func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil },
		keyClock:  func() time.Time { return hs.keyAt },
		scanTimer: func(time.Duration, int) tea.Cmd { return nil }}
	for _, f := range opts {
		f(&o)
	}
	hs.m = New(context.Background(), o)
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(hs.m.Init())
	return hs
}

// send delivers a message and runs what it asks for.
func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

// sendOnly delivers a message and returns its command without running it.
func (h *harness) sendOnly(msg tea.Msg) tea.Cmd {
	_, cmd := h.m.Update(msg)
	return cmd
}

var cmdType = reflect.TypeOf(tea.Cmd(nil))

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	if cmd == nil {
		return
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil:
		return
	case tea.QuitMsg:
		h.quit = true
		return
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
		return
	}
	// tea.Sequence's message type is unexported: a slice of commands.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == cmdType {
		for i := 0; i < v.Len(); i++ {
			h.run(v.Index(i).Interface().(tea.Cmd))
			if h.quit {
				return
			}
		}
		return
	}
	h.msgs = append(h.msgs, msg)
	h.send(msg)
}

// key presses one key: "enter", "esc", "up", "tab", "ctrl+c", or a
// printable character.
func (h *harness) key(k string) {
	h.t.Helper()
	h.keyAt = h.keyAt.Add(200 * time.Millisecond)
	h.send(keyMsg(k))
	// A person pauses: the scanner layer's timer fires and hands the
	// key on.
	h.keyAt = h.keyAt.Add(100 * time.Millisecond)
	h.send(scanFlushMsg{gen: h.m.scan.gen})
}

// burst types s as a barcode scanner does, every key gap apart, ended by
// end ("enter" or "tab"), with no timer firing in between.
func (h *harness) burst(s string, gap time.Duration, end string) {
	h.t.Helper()
	h.keyAt = h.keyAt.Add(time.Second)
	for _, r := range s {
		h.send(keyMsg(string(r)))
		h.keyAt = h.keyAt.Add(gap)
	}
	h.send(keyMsg(end))
	h.send(scanFlushMsg{gen: h.m.scan.gen})
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// typ types text one key at a time, as a barcode scanner does.
func (h *harness) typ(s string) {
	h.t.Helper()
	for _, r := range s {
		h.key(string(r))
	}
}

// view renders the screen through a colourless profile.
func (h *harness) view() string {
	var b bytes.Buffer
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.NoTTY}
	w.WriteString(h.m.View().Content)
	return b.String()
}

func (h *harness) raw() string { return h.m.View().Content }

func (h *harness) screen() screenID { return h.m.top() }

func (h *harness) wantScreen(id screenID) {
	h.t.Helper()
	if got := h.screen(); got != id {
		h.t.Fatalf("screen = %s, want %s\n%s", screenNames[got], screenNames[id], h.view())
	}
}

func (h *harness) wantView(sub string) {
	h.t.Helper()
	if v := h.view(); !strings.Contains(v, sub) {
		h.t.Fatalf("view lacks %q:\n%s", sub, v)
	}
}

// sweepRoom12 opens MAIN/3/3W-12 from the overview and sweeps it to the
// findings screen.
func (h *harness) sweepRoom12() {
	h.t.Helper()
	h.wantScreen(scrOverview)
	h.key("enter")
	h.wantScreen(scrSweep)
	h.key("enter")
	h.wantScreen(scrFindings)
}

// gotoFinding searches the findings for text and leaves the cursor on the
// first match.
func (h *harness) gotoFinding(text string) {
	h.t.Helper()
	h.key("/")
	for h.m.findings.query != "" {
		h.key("backspace")
	}
	h.typ(text)
	h.key("enter")
	if _, ok := h.m.findings.current(); !ok {
		h.t.Fatalf("no finding matches %q", text)
	}
}
