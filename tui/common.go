package tui

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// Options configure the TUI.
type Options struct {
	// Engine runs the round; its Store, Sources, Reconcile and Now are
	// used. Required.
	Engine *round.Engine
	// RoundID opens a given round instead of the active one.
	RoundID int64
	// ExportDir is where report exports are written ("" means the
	// current directory).
	ExportDir string
	// Sync reads the sync status; nil reads the journal's counts only.
	Sync func(ctx context.Context) (SyncInfo, error)
	// Demo marks the header as a demo.
	Demo bool
	// Mouse captures the mouse (wheel scrolling). Off by default so that
	// the technician can select text, an asset tag for example, to copy.
	Mouse bool
	// Profile forces a colour profile (tests use NoTTY); zero means the
	// terminal's, learnt from Bubble Tea.
	Profile colorprofile.Profile

	// Warnings reads the newest warning logged (sweep warnings: skipped
	// hosts, features unavailable) and how many there have been. The
	// status line shows the newest, and how many arrived since the last
	// one shown, so none passes unnoticed; nil shows none.
	Warnings func() (last string, count int)

	// Technician, when set, makes the TUI ask first who the technician
	// is (nobody named them: no flag, configuration or ROUNDS_ACTOR) and
	// saves the answer through it, so that it is asked once. The engine
	// signs as the answer from then on.
	Technician func(ctx context.Context, name string) error

	// ScanGap is the longest pause between two keys of a barcode
	// scanner's burst; zero means DefaultScanGap.
	ScanGap time.Duration

	// tick schedules animation ticks; tests replace it to keep views
	// deterministic.
	tick func(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
	// keyClock times key presses and scanTimer starts the timer that
	// hands held keys on; tests replace both to type at a given pace.
	keyClock  func() time.Time
	scanTimer func(d time.Duration, gen int) tea.Cmd
}

// SyncInfo is what the sync screen shows.
type SyncInfo struct {
	// Counts are journal entries per delivery state.
	Counts map[store.EntryState]int
	// Queue is the oldest entries waiting to be sent.
	Queue []store.Entry
	// Conflicts are changes the CMDB and the laptop both made.
	Conflicts []Conflict
	// Target names the configured CMDB; LastSync is when sync last ran.
	Target   string
	LastSync time.Time
	// Note explains anything missing (no target configured, ...).
	Note string
}

// Conflict is one field changed both locally and centrally.
type Conflict struct {
	AssetTag string
	Field    string
	Local    string
	Remote   string
}

// common is what every screen shares.
type common struct {
	ctx    context.Context
	opts   Options
	eng    *round.Engine
	styles Styles
	isDark bool
	prof   colorprofile.Profile
	width  int
	height int

	hasRound bool
	round    store.Round
	rooms    []store.RoundRoom

	saver *resumeSaver
	// pending is the finding whose action is being saved (0 for none):
	// one action at a time, whichever screen asked for it.
	pending int64
}

func (c *common) now() time.Time {
	if c.eng.Now != nil {
		return c.eng.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *common) tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	if c.opts.tick != nil {
		return c.opts.tick(d, fn)
	}
	return tea.Tick(d, fn)
}

func (c *common) restyle() {
	c.styles = NewStyles(c.isDark, c.prof)
}

// roomIndex returns the position of a room in the round, or -1.
func (c *common) roomIndex(key string) int {
	for i, r := range c.rooms {
		if r.Location.Key == key {
			return i
		}
	}
	return -1
}

// Messages carrying the results of commands.
type (
	roundMsg struct {
		round  store.Round
		rooms  []store.RoundRoom
		resume resumeState
		err    error
	}
	noRoundMsg struct {
		floors []store.Floor
		err    error
	}
	roomsMsg struct {
		rooms []store.RoundRoom
		err   error
	}
	roomIndexMsg struct {
		rooms []store.RoomEntry
		err   error
	}
	// roomMsg opens a room: its visit if it has one, else the sweep.
	roomMsg struct {
		room    store.Location
		visit   round.Visit
		sources []round.Source
		err     error
		resume  *resumeState
		resweep bool
	}
	visitMsg struct {
		visit  round.Visit
		err    error
		resume *resumeState
	}
	actionMsg struct {
		id   int64
		item round.Item
		kind round.ActionKind
		err  error
	}
	modelsMsg struct {
		models []store.Model
		err    error
	}
	reportMsg struct {
		report report.Report
		err    error
	}
	exportMsg struct {
		paths []string
		err   error
	}
	syncMsg struct {
		info SyncInfo
		err  error
	}
	doneMsg struct {
		next string
		err  error
	}
	statusMsg struct {
		text string
		err  error
	}
)

// Navigation messages sent by screens to the root.
type (
	openRoomMsg struct {
		key     string
		resweep bool
	}
	pushMsg     struct{ screen screenID }
	popMsg      struct{}
	openFormMsg struct {
		kind round.ActionKind
		item round.Item
		// tag is a scanned asset tag to offer in the adopt form.
		tag string
	}
	applyMsg struct {
		item   round.Item
		action round.Action
	}
	createRoundMsg struct {
		building, floor string
	}
)

func send(msg tea.Msg) tea.Cmd { return func() tea.Msg { return msg } }

// resumeState is where the technician was, saved with the round.
type resumeState struct {
	Screen    string `json:"screen"`
	Room      string `json:"room,omitempty"`
	VisitID   int64  `json:"visit_id,omitempty"`
	FindingID int64  `json:"finding_id,omitempty"`
	Sort      int    `json:"sort,omitempty"`
	Filter    int    `json:"filter,omitempty"`
	Query     string `json:"query,omitempty"`
}

// resumeSaver orders resume writes: a write older than one already made
// is skipped, so that concurrent commands never store a stale position.
type resumeSaver struct {
	mu   sync.Mutex
	last uint64
	seq  uint64
}

func (s *resumeSaver) next() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	return s.seq
}

func (c *common) saveResume(st resumeState) tea.Cmd {
	if !c.hasRound {
		return nil
	}
	seq := c.saver.next()
	ctx, eng, id := c.ctx, c.eng, c.round.ID
	saver := c.saver
	return func() tea.Msg {
		saver.mu.Lock()
		defer saver.mu.Unlock()
		if seq < saver.last {
			return nil
		}
		saver.last = seq
		if err := eng.SaveResume(ctx, id, st); err != nil {
			return statusMsg{err: err}
		}
		return nil
	}
}
