package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/round/roundtest"
	"github.com/biomed-rounds/rounds/store"
)

// allJournal is every journal entry, oldest first.
func allJournal(t *testing.T, st *store.Store) []store.Entry {
	t.Helper()
	es, err := st.Journal(context.Background(), store.JournalQuery{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// Each case is a defect seen with a USB scanner on the findings list:
// the keys of a burst ran commands. A burst at 5 ms per key must never
// act, only jump, open or fill.
func TestScanOnFindingsNeverRunsKeys(t *testing.T) {
	tests := []struct {
		name   string
		cursor string // finding under the cursor before the scan
		scan   string
		end    string
		check  func(t *testing.T, h *harness)
	}{
		{name: "asset tag jumps to its row", cursor: "BME-1004", scan: "bme-1002", end: "enter",
			check: func(t *testing.T, h *harness) {
				h.wantScreen(scrFindings)
				it, _ := h.m.findings.current()
				if it.Finding.Device == nil || it.Finding.Device.AssetTag != "BME-1002" {
					t.Fatalf("cursor on %+v, want BME-1002", it.Finding.Device)
				}
			}},
		{name: "serial jumps to its row", cursor: "BME-1004", scan: "AL-77", end: "tab",
			check: func(t *testing.T, h *harness) {
				it, _ := h.m.findings.current()
				if it.Finding.Device == nil || it.Finding.Device.AssetTag != "BME-1001" {
					t.Fatalf("cursor on %+v, want BME-1001", it.Finding.Device)
				}
			}},
		{name: "next room's label asks before leaving a room with open items", cursor: "BME-1004", scan: "LOC-3W14", end: "enter",
			check: func(t *testing.T, h *harness) {
				h.wantScreen(scrFindings)
				h.wantView("has 4 items open. Leave it for MAIN/3/3W-14?")
				if h.m.findings.visit.Status == store.VisitDone {
					t.Fatal("room marked done by a scan")
				}
				h.key("y")
				h.wantScreen(scrSweep)
				if h.m.sweep.room.Key != roundtest.Rooms[1] {
					t.Fatalf("opened %s", h.m.sweep.room.Key)
				}
			}},
		{name: "unknown tag on an unknown unit opens adopt with it", cursor: "127.0.12.50", scan: "BME-2001", end: "enter",
			check: func(t *testing.T, h *harness) {
				h.wantScreen(scrForm)
				if h.m.form.kind != round.Adopt || h.m.form.input.Value() != "BME-2001" {
					t.Fatalf("form %s with %q", h.m.form.kind, h.m.form.input.Value())
				}
			}},
		{name: "a device recorded elsewhere is named, not the row under the cursor", cursor: "BME-1001", scan: "BME-1005", end: "enter",
			check: func(t *testing.T, h *harness) {
				h.wantView("BME-1005 is recorded in MAIN/3/3W-MRI")
				h.wantScreen(scrFindings)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 80, 24, true)
			h.sweepRoom12()
			h.gotoFinding(tt.cursor)
			before := len(allJournal(t, h.st))
			h.burst(tt.scan, 5*time.Millisecond, tt.end)
			tt.check(t, h)
			if got := len(allJournal(t, h.st)); got != before {
				t.Fatalf("a scan wrote %d journal entries", got-before)
			}
		})
	}
}

// A person typing the same letters still gets the keys: confirm by c.
func TestHumanKeysStillAct(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1002")
	h.key("c")
	h.wantView("saved · BME-1002: confirmed")
	// c again refuses rather than queueing an empty change.
	n := len(allJournal(t, h.st))
	h.key("c")
	if got := len(allJournal(t, h.st)); got != n {
		t.Fatalf("second c queued %d entries", got-n)
	}
	h.wantView("already confirmed")
}

// A scan into a text field replaces what is there; into the adopt tag it
// moves on to the model.
func TestScanIntoFieldReplaces(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1001")
	h.key("e")
	h.burst("3021", 5*time.Millisecond, "enter")
	if v := h.m.form.input.Value(); v != "3021" {
		t.Fatalf("firmware field %q, want the scan alone", v)
	}
	h.wantScreen(scrForm)

	h = newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("127.0.12.50")
	h.key("a")
	h.typ("XX")
	h.burst("BME-2001", 5*time.Millisecond, "enter")
	if h.m.form.tag != "BME-2001" || h.m.form.step != 1 {
		t.Fatalf("tag %q step %d", h.m.form.tag, h.m.form.step)
	}
	// The device reported Masimo Rad-97, which is in the catalog: it is
	// the likely model, picked.
	h.key("enter")
	h.wantScreen(scrFindings)
	d, err := h.st.Device(context.Background(), "BME-2001")
	if err != nil || d.Model != "Rad-97" {
		t.Fatalf("adopted %+v, %v", d, err)
	}
}

// A paste is a scan too.
func TestPasteIsAScan(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1004")
	h.send(pasteMsg("BME-1002\n"))
	it, _ := h.m.findings.current()
	if it.Finding.Device == nil || it.Finding.Device.AssetTag != "BME-1002" {
		t.Fatalf("cursor on %+v", it.Finding.Device)
	}
}

// Esc with a search active clears it and stays in the room.
func TestEscClearsSearchFirst(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003")
	h.key("esc")
	h.wantScreen(scrFindings)
	if h.m.findings.query != "" {
		t.Fatalf("query %q kept", h.m.findings.query)
	}
	h.key("esc")
	h.wantScreen(scrOverview)
}

// ctrl+c while typing a note asks; n keeps the note.
func TestCtrlCWhileTypingAsks(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003")
	h.key("n")
	h.typ("last seen in CT")
	h.key("ctrl+c")
	if h.quit {
		t.Fatal("quit and lost the note")
	}
	h.wantView("quit and lose what you typed?")
	h.key("n")
	if h.m.form.input.Value() != "last seen in CT" {
		t.Fatalf("note %q", h.m.form.input.Value())
	}
}

// Mark missing asks once; n leaves the journal alone.
func TestMarkMissingAsks(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003")
	n := len(allJournal(t, h.st))
	h.key("x")
	h.wantView("mark BME-1003 missing?")
	h.key("n")
	if got := len(allJournal(t, h.st)); got != n {
		t.Fatal("written without a yes")
	}
}

// Dismissing an unknown unit settles it with its reason.
func TestDismissUnknown(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("Rad-97 BLE")
	h.key("d")
	h.wantScreen(scrForm)
	h.key("1")
	h.key("enter")
	h.wantScreen(scrFindings)
	h.wantView("dismissed: patient-owned")
}

func pasteMsg(s string) tea.PasteMsg { return tea.PasteMsg{Content: s} }

func TestGrammar(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{plural(1, "room"), "1 room"}, {plural(3, "room"), "3 rooms"}, {plural(0, "item"), "0 items"},
		{article("unknown"), "an unknown"}, {article("missing"), "a missing"},
		{plural(1, "finding") + " " + verb(1, "needs", "need"), "1 finding needs"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// u takes back the last action on the row, with a compensating journal
// entry, and the row needs action again.
func TestUndoFromFindings(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003")
	h.key("x")
	h.key("y")
	h.wantView("marked missing")
	// The cursor moved on; u still takes back what was just done.
	h.key("esc")
	h.key("u")
	h.wantView("undone · BME-1003")
	it, _ := h.m.findings.current()
	if it.Action != "" || !it.Open() {
		t.Fatalf("after undo %+v", it)
	}
	d, err := h.st.Device(context.Background(), "BME-1003")
	if err != nil || d.Status != store.StatusInService {
		t.Fatalf("status %s %v", d.Status, err)
	}
	if es := allJournal(t, h.st); len(es) != 2 {
		t.Fatalf("journal %d entries, want 2", len(es))
	}
}

// Notes are searchable.
func TestSearchFindsNotes(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1003")
	h.key("n")
	h.typ("bezel cracked")
	h.key("enter")
	h.wantScreen(scrFindings)
	h.gotoFinding("bezel")
	it, _ := h.m.findings.current()
	if it.Finding.Device == nil || it.Finding.Device.AssetTag != "BME-1003" {
		t.Fatalf("search by note found %+v", it.Finding.Device)
	}
}

// The round history lists actions and undoes one; a scan there is not
// keys either.
func TestHistoryUndo(t *testing.T) {
	h := newHarness(t, 80, 24, true)
	h.sweepRoom12()
	h.gotoFinding("BME-1002")
	h.key("c")
	h.key("esc")
	h.key("esc")
	h.wantScreen(scrOverview)
	h.key("H")
	h.wantScreen(scrHistory)
	h.wantView("BME-1002   confirmed")
	h.burst("buu-1", 5*time.Millisecond, "enter")
	if a, _ := h.m.history.current(); !a.UndoneAt.IsZero() {
		t.Fatal("a scan undid an action")
	}
	h.key("u")
	h.wantView("undone · BME-1002")
	h.wantView("confirmed · undone")
	d, err := h.st.Device(context.Background(), "BME-1002")
	if err != nil || !d.LastAudited.IsZero() {
		t.Fatalf("after undo %+v %v", d.LastAudited, err)
	}
}
