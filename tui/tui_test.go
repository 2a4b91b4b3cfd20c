package tui

import (
	"context"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"go.uber.org/goleak"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

func TestMain(m *testing.M) {
	// Views show local time; the goldens are in UTC.
	time.Local = time.UTC
	goleak.VerifyTestMain(m)
}

func journal(t *testing.T, st *store.Store, tag string) []store.Entry {
	t.Helper()
	es, err := st.Journal(context.Background(), store.JournalQuery{AssetTag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestWalkRoom(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.wantView("0 of 3 rooms done")
	h.sweepRoom12()
	h.wantView("Findings MAIN/3/3W-12")
	for _, want := range []string{"Verified (2)", "Missing (1)", "Moved here (1)", "Unknown (2)", "FW<MIN"} {
		h.wantView(want)
	}
	// Room done goes back to the overview on the next room; with items
	// open it asks first.
	h.key("D")
	h.wantView("4 items open")
	h.key("y")
	h.wantScreen(scrOverview)
	h.wantView("1 of 3 rooms done")
	if k := h.m.overview.selectedKey(); k != roundtest.Rooms[1] {
		t.Errorf("cursor on %s, want the next room", k)
	}
	// Reopening a done room shows its findings, not a new sweep.
	h.key("up")
	h.key("enter")
	h.wantScreen(scrFindings)
}

// trigger presses the key that asks for a write and returns the write
// itself, not yet run, so that a test can look at the screen in between.
func (h *harness) trigger(k string) tea.Cmd {
	h.t.Helper()
	h.keyAt = h.keyAt.Add(200 * time.Millisecond)
	cmd := h.sendOnly(keyMsg(k))
	h.keyAt = h.keyAt.Add(100 * time.Millisecond)
	if c := h.sendOnly(scanFlushMsg{gen: h.m.scan.gen}); c != nil {
		cmd = c
	}
	if cmd == nil {
		h.t.Fatalf("%s asked for nothing\n%s", k, h.view())
	}
	msg := cmd()
	am, ok := msg.(applyMsg)
	if !ok {
		h.t.Fatalf("%s sent %T, want an action\n%s", k, msg, h.view())
	}
	return h.sendOnly(am)
}

func TestActionsFromKeys(t *testing.T) {
	tests := []struct {
		name    string
		find    string
		keys    []string // keys before typing
		clear   bool     // clear a prefilled field before typing
		typed   []string // each but the last followed by enter
		trigger string
		tag     string
		op      store.Op
		check   func(t *testing.T, d store.Device)
	}{
		{name: "confirm", find: "BME-1002", trigger: "c", tag: "BME-1002", op: store.OpAudit,
			check: func(t *testing.T, d store.Device) {
				if d.LastAudited.IsZero() {
					t.Error("not audited")
				}
			}},
		{name: "move here", find: "BME-1004", trigger: "m", tag: "BME-1004", op: store.OpAudit,
			check: func(t *testing.T, d store.Device) {
				if d.LocationKey != roundtest.Rooms[0] {
					t.Errorf("location %s", d.LocationKey)
				}
			}},
		{name: "mark missing", find: "BME-1003", keys: []string{"x"}, trigger: "y", tag: "BME-1003", op: store.OpUpdate,
			check: func(t *testing.T, d store.Device) {
				if d.Status != store.StatusMissing {
					t.Errorf("status %s", d.Status)
				}
			}},
		{name: "correct firmware", find: "BME-1001", keys: []string{"e"}, clear: true, typed: []string{"12.4"},
			trigger: "enter", tag: "BME-1001", op: store.OpUpdate, check: func(t *testing.T, d store.Device) {
				if d.FirmwareVersion != "12.4" {
					t.Errorf("firmware %s", d.FirmwareVersion)
				}
			}},
		{name: "correct serial", find: "BME-1001", keys: []string{"e", "tab"}, clear: true, typed: []string{"AL-99"},
			trigger: "enter", tag: "BME-1001", op: store.OpUpdate, check: func(t *testing.T, d store.Device) {
				if d.Serial != "AL-99" {
					t.Errorf("serial %s", d.Serial)
				}
			}},
		{name: "note", find: "BME-1003", keys: []string{"n"}, typed: []string{"last seen in CT"}, trigger: "enter",
			tag: "BME-1003", op: store.OpNote, check: func(t *testing.T, d store.Device) {}},
		{name: "adopt", find: "127.0.12.50", keys: []string{"a"}, typed: []string{"BME-2001", "Rad-97"}, trigger: "enter",
			tag: "BME-2001", op: store.OpCreate, check: func(t *testing.T, d store.Device) {
				if d.Manufacturer != "Masimo" || d.Model != "Rad-97" || d.LocationKey != roundtest.Rooms[0] ||
					d.MAC != "00:11:22:33:44:55" {
					t.Errorf("adopted %+v", d)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, true)
			h.sweepRoom12()
			h.gotoFinding(tt.find)
			before := len(journal(t, h.st, tt.tag))
			for _, k := range tt.keys {
				h.key(k)
			}
			if tt.clear {
				for h.m.form.input.Value() != "" {
					h.key("backspace")
				}
			}
			for i, s := range tt.typed {
				h.typ(s)
				if i < len(tt.typed)-1 {
					h.key("enter")
				}
			}
			screen := h.screen()
			write := h.trigger(tt.trigger)
			// Asked, not yet written: the screen has not moved on.
			if len(journal(t, h.st, tt.tag)) != before {
				t.Fatal("written before the command ran")
			}
			if h.screen() != screen {
				t.Fatalf("screen moved to %s before the write", screenNames[h.screen()])
			}
			h.wantView("saving")
			h.run(write)
			es := journal(t, h.st, tt.tag)
			if len(es) <= before || es[len(es)-1].Op != tt.op || es[len(es)-1].Actor != "tech" {
				t.Fatalf("journal = %+v, want a new %s entry", es, tt.op)
			}
			d, err := h.st.Device(context.Background(), tt.tag)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, d)
			h.wantScreen(scrFindings)
			h.wantView("saved")
		})
	}
}

func TestAdoptRefusesTakenTagAndStays(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("127.0.12.50")
	h.key("a")
	h.typ("BME-1001")
	h.key("enter")
	h.typ("Rad-97")
	h.key("enter")
	h.wantScreen(scrForm)
	h.wantView("asset tag already in use")
	if _, err := h.st.Device(context.Background(), "BME-1001"); err != nil {
		t.Fatal(err)
	}
	if es := journal(t, h.st, "BME-1001"); len(es) != 0 {
		t.Errorf("journal %+v after a refused adoption", es)
	}
	// esc goes back to the tag; a good tag then goes through.
	h.key("esc")
	for h.m.form.input.Value() != "" {
		h.key("backspace")
	}
	h.typ("BME-2002")
	h.key("enter")
	h.key("enter") // first model: the likely one
	h.wantScreen(scrFindings)
	if d, err := h.st.Device(context.Background(), "BME-2002"); err != nil || d.Model != "Rad-97" {
		t.Fatalf("adopted %+v %v", d, err)
	}
}

func TestActionThatDoesNotApply(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003") // missing
	h.key("m")
	h.wantView("move here does not apply to a missing finding")
	if es := journal(t, h.st, "BME-1003"); len(es) != 0 {
		t.Errorf("journal %+v", es)
	}
}

func TestNoRoundPlansAFloor(t *testing.T) {
	h := newHarness(t, 80, 24, false)
	h.wantView("No round in progress")
	h.wantView("MAIN floor 3")
	h.key("enter")
	h.wantView("0 of 3 rooms done")
	rd, err := h.st.ActiveRound(context.Background())
	if err != nil || !strings.Contains(rd.Name, "MAIN floor 3") {
		t.Fatalf("round %+v %v", rd, err)
	}
}

func TestBarcodeScanOnOverviewOpensRoom(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	// A scanner types the label fast and ends with enter; letters that
	// are keys elsewhere (s, y) must not fire here.
	h.typ("LOC-3W14")
	h.wantScreen(scrPicker)
	h.key("enter")
	h.wantScreen(scrSweep)
	if h.m.sweep.room.Key != "MAIN/3/3W-14" {
		t.Fatalf("room %s", h.m.sweep.room.Key)
	}
}

func TestPickerFuzzyAndAdHocRoom(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.key("/")
	h.typ("mri")
	if r := h.m.picker.rooms[h.m.picker.matches[0]]; r.Key != "MAIN/3/3W-MRI" {
		t.Fatalf("top match %s", r.Key)
	}
	h.key("esc")
	h.wantScreen(scrOverview)
	// A room off the plan joins the round when visited.
	if err := h.st.Write(context.Background(), "t", func(w *store.Writer) error {
		_, err := w.PutLocation(store.Location{Building: "MAIN", Floor: "4", Room: "4E-01", Name: "Step-down"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	h.m.picker.rooms = nil // force a reload of the index
	h.key("/")
	h.typ("4E-01")
	h.key("enter")
	h.wantScreen(scrSweep)
	rooms, _ := h.st.RoundRooms(context.Background(), h.round.ID, roundtest.T0)
	if len(rooms) != 4 || rooms[3].Location.Key != "MAIN/4/4E-01" {
		t.Fatalf("round rooms %+v", rooms)
	}
}

func TestUnknownLabelSaysSo(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.key("/")
	h.typ("LOC-NOPE")
	h.key("enter")
	h.wantScreen(scrPicker)
	h.wantView(`no room matches "LOC-NOPE"`)
}

// startSyntheticSweep starts the sweep screen's sweep with a visit but no
// real sources, so that a test feeds the events itself.
func startSyntheticSweep(t *testing.T, h *harness) {
	t.Helper()
	h.key("enter") // open room
	h.wantScreen(scrSweep)
	// enter asks the store whether the segments need a yes; its answer
	// (none, here: loopback) starts the sweep, whose command is dropped.
	cmd := h.sendOnly(keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter did not start the sweep")
	}
	if cmd := h.sendOnly(cmd()); cmd == nil || !h.m.sweep.running {
		t.Fatal("the segment check did not start the sweep")
	}
	id, err := h.eng.Begin(context.Background(), h.round.ID, h.m.sweep.room)
	if err != nil {
		t.Fatal(err)
	}
	h.sendOnly(sweepStartedMsg{gen: h.m.sweep.gen, visitID: id, events: make(chan round.Event), cancel: func() {}})
}

func TestSweepCancelStoresNothingAndResumes(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	startSyntheticSweep(t, h)
	obs := roundtest.Room12()
	h.sendOnly(sweepEventsMsg{gen: h.m.sweep.gen, events: []round.Event{{Obs: obs[0]}, {Obs: obs[1]}}})
	h.wantView("Seen (2)")
	h.key("esc")
	h.wantScreen(scrOverview)
	h.wantView("sweep cancelled")
	h.wantView("sweep interrupted")
	v, err := h.eng.LatestVisit(context.Background(), h.round.ID, roundtest.Rooms[0])
	if err != nil || v.Status != store.VisitOpen || len(v.Items) != 0 {
		t.Fatalf("visit %+v %v", v, err)
	}
	// Reopening offers to sweep again and reuses the open visit.
	h.key("enter")
	h.wantScreen(scrSweep)
	h.wantView("interrupted sweep")
	h.key("enter")
	h.wantScreen(scrFindings)
	if h.m.findings.visit.ID != v.ID {
		t.Errorf("visit %d, want the interrupted one %d", h.m.findings.visit.ID, v.ID)
	}
}

func TestStopEarlyMarksUnverifiedNotMissing(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	startSyntheticSweep(t, h)
	obs := roundtest.Room12()
	h.sendOnly(sweepEventsMsg{gen: h.m.sweep.gen, events: []round.Event{{Obs: obs[0]}}})
	h.key("enter") // stop & review
	h.wantView("stopping")
	h.send(sweepEventsMsg{gen: h.m.sweep.gen, events: []round.Event{{Done: true, Err: context.Canceled}}, closed: true})
	h.wantScreen(scrFindings)
	kinds := map[reconcile.Kind]int{}
	for _, it := range h.m.findings.visit.Items {
		kinds[it.Finding.Kind]++
	}
	if kinds[reconcile.Missing] != 0 || kinds[reconcile.Unverified] != 2 || kinds[reconcile.Verified] != 1 {
		t.Errorf("kinds %v", kinds)
	}
}

func TestQuitDuringRealSweepLeavesNothingRunning(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.eng.Sources = roundtest.Sources(map[string][]scan.Observation{roundtest.Rooms[0]: roundtest.Room12()}, time.Hour)
	h.key("enter")
	start := h.sendOnly(keyMsg("enter"))
	msg := start() // begins the visit and starts the sources
	h.sendOnly(msg)
	if !h.m.sweep.running {
		t.Fatal("not running")
	}
	h.key("ctrl+c")
	if !h.quit {
		t.Fatal("did not quit")
	}
	// goleak in TestMain fails the run if a source outlived the quit.
}

func TestResumeWhereItStopped(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1004")
	h.key("enter")
	h.wantScreen(scrDetail)
	want := h.m.detail.item.ID
	h.key("ctrl+c")
	// A new session on the same database opens the same device.
	o := h.m.c.opts
	h2 := &harness{t: t, st: h.st, eng: h.eng, now: h.now, round: h.round}
	h2.m = New(context.Background(), o)
	h2.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h2.run(h2.m.Init())
	h2.wantScreen(scrDetail)
	if h2.m.detail.item.ID != want {
		t.Fatalf("detail of %d, want %d", h2.m.detail.item.ID, want)
	}
	if h2.m.findings.query != "BME-1004" {
		t.Errorf("search %q not restored", h2.m.findings.query)
	}
	// And from a sweep: the sweep screen, waiting (never auto-started).
	h2.key("esc")
	h2.key("esc") // clears the restored search
	h2.key("esc")
	h2.wantScreen(scrOverview)
	h2.key("down")
	h2.key("enter")
	h2.wantScreen(scrSweep)
	h2.key("ctrl+c")
	h3 := &harness{t: t, st: h.st, eng: h.eng, now: h.now, round: h.round}
	h3.m = New(context.Background(), o)
	h3.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h3.run(h3.m.Init())
	h3.wantScreen(scrSweep)
	if h3.m.sweep.running || h3.m.sweep.room.Key != roundtest.Rooms[1] {
		t.Fatalf("sweep running=%v room %s", h3.m.sweep.running, h3.m.sweep.room.Key)
	}
}

func TestExportReport(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.key("esc")
	h.key("s")
	h.wantScreen(scrSummary)
	h.wantView("Round summary")
	h.key("x")
	h.wantView("wrote")
	dir := h.m.c.opts.ExportDir
	for _, ext := range []string{".html", ".csv", ".json"} {
		ms, _ := filepath.Glob(filepath.Join(dir, "round-*"+ext))
		if len(ms) != 1 {
			t.Fatalf("%s exports: %v", ext, ms)
		}
		fi, err := os.Stat(ms[0])
		if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() == 0 {
			t.Errorf("%s: %v %v", ms[0], fi.Mode(), err)
		}
	}
}

func TestSyncStatus(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1002")
	h.key("c")
	h.key("esc") // clears the search
	h.key("esc")
	h.key("y")
	h.wantScreen(scrSync)
	h.wantView("1 queued (1 pending, 0 in flight)")
	h.wantView("BME-1002")
}

func TestHelpToggles(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.wantView("? help")
	h.key("?")
	h.wantView("page down")
	h.key("?")
	if strings.Contains(h.view(), "page down") {
		t.Error("full help still shown")
	}
}

func TestEveryScreenFitsTheTerminal(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}, {60, 15}} {
		h := newHarness(t, size[0], size[1], true)
		check := func(name string) {
			t.Helper()
			lines := strings.Split(h.view(), "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d %s: %d lines", size[0], size[1], name, len(lines))
			}
			for _, l := range lines {
				if w := widthOf(l); w > size[0] {
					t.Errorf("%dx%d %s: line %d wide: %q", size[0], size[1], name, w, l)
				}
			}
		}
		check("overview")
		h.sweepRoom12()
		check("findings")
		h.key("enter")
		check("detail")
		h.key("esc")
		h.key("esc")
		h.key("s")
		check("summary")
	}
}

func TestColourlessAndLightTerminals(t *testing.T) {
	// NO_COLOR gives the Ascii profile: bracketed badges, and once
	// downsampled no colour sequence at all.
	for _, prof := range []colorprofile.Profile{colorprofile.ASCII, colorprofile.NoTTY} {
		if s := NewStyles(true, prof); !s.Plain || s.Badge("FW<MIN", reconcile.Critical) != "[FW<MIN]" {
			t.Errorf("%v: plain %v badge %q", prof, s.Plain, s.Badge("FW<MIN", reconcile.Critical))
		}
	}
	if s := NewStyles(true, colorprofile.TrueColor); s.Plain || !strings.Contains(s.Badge("FW<MIN", reconcile.Critical), "\x1b[") {
		t.Error("true colour badges are not coloured")
	}
	h := newHarness(t, 80, 24, true, func(o *Options) { o.Profile = 0 })
	h.send(tea.ColorProfileMsg{Profile: colorprofile.ASCII})
	h.sweepRoom12()
	h.wantView("[FW<MIN]")
	var b strings.Builder
	w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ASCII}
	w.WriteString(h.raw())
	if strings.Contains(b.String(), "38;2;") || strings.Contains(b.String(), "48;2;") || strings.Contains(b.String(), "[3") {
		t.Errorf("colour left after ASCII downsampling: %q", b.String()[:200])
	}
	// A light background restyles (the text stays the same).
	before := h.view()
	h.send(tea.BackgroundColorMsg{Color: color.White})
	if h.m.c.isDark || h.view() != before {
		t.Errorf("light background: dark=%v, text changed", h.m.c.isDark)
	}
}

func TestMouseWheelScrolls(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.overview.cursor != 1 {
		t.Errorf("cursor %d after wheel down", h.m.overview.cursor)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if h.m.overview.cursor != 0 {
		t.Errorf("cursor %d after wheel up", h.m.overview.cursor)
	}
}

// TestMouseCaptureOptIn: the mouse is captured only when asked for, so that
// by default a technician can select an asset tag in the terminal to copy.
func TestMouseCaptureOptIn(t *testing.T) {
	for _, tc := range []struct {
		mouse bool
		want  tea.MouseMode
	}{{false, tea.MouseModeNone}, {true, tea.MouseModeCellMotion}} {
		h := newHarness(t, 80, 24, true, func(o *Options) { o.Mouse = tc.mouse })
		if got := h.m.View().MouseMode; got != tc.want {
			t.Errorf("Mouse=%v: mouse mode %v, want %v", tc.mouse, got, tc.want)
		}
	}
}
