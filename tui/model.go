package tui

import (
	"context"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/biomed-rounds/rounds/inert"
)

// screenID names a screen.
type screenID int

const (
	scrOverview screenID = iota
	scrPicker
	scrSweep
	scrFindings
	scrDetail
	scrForm
	scrSummary
	scrSync
	scrHistory
)

var screenNames = map[screenID]string{scrOverview: "overview", scrPicker: "picker", scrSweep: "sweep",
	scrFindings: "findings", scrDetail: "detail", scrForm: "form", scrSummary: "summary", scrSync: "sync", scrHistory: "history"}

// page is one screen: a child model of the root.
type page interface {
	// Update handles a message meant for this screen.
	Update(msg tea.Msg) tea.Cmd
	// View renders the screen's body at its size.
	View() string
	// SetSize tells the screen the size of its body.
	SetSize(width, height int)
	// KeyMap is the screen's keys, for the help line.
	KeyMap() help.KeyMap
	// Typing reports that a text field has focus, so that letters and '?'
	// go to it rather than to the global keys.
	Typing() bool
}

// Model is the root model of the TUI.
type Model struct {
	c        *common
	keys     globalKeys
	help     help.Model
	showHelp bool

	overview *overviewPage
	picker   *pickerPage
	sweep    *sweepPage
	findings *findingsPage
	detail   *detailPage
	form     *formPage
	summary  *summaryPage
	sync     *syncPage
	history  *historyPage

	scan *scanner
	// ask is the question waiting for y or n, nil when none.
	ask *question
	// who is the first-run technician prompt, nil when not asking.
	who *whoPrompt

	// warn is the newest warning read from Options.Warnings, warnN how
	// many had been logged then, warnNew how many arrived in the last
	// poll that found any. statusSeq and warnSeq order the status and
	// the warning, so that the newer of the two is shown.
	warn                    string
	warnN, warnNew          int
	seq, statusSeq, warnSeq int

	stack   []screenID
	status  string
	isError bool
	quit    bool
	loaded  bool
}

// New returns the root model. ctx bounds every command it runs.
func New(ctx context.Context, opts Options) *Model {
	c := &common{ctx: ctx, opts: opts, eng: opts.Engine, isDark: true, prof: colorprofile.TrueColor,
		width: 80, height: 24, saver: &resumeSaver{}}
	if opts.Profile != 0 {
		c.prof = opts.Profile
	}
	c.restyle()
	m := &Model{c: c, keys: newGlobalKeys(), help: help.New(), stack: []screenID{scrOverview}, scan: newScanner(opts)}
	m.overview = newOverview(c)
	m.picker = newPicker(c)
	m.sweep = newSweep(c)
	m.findings = newFindings(c)
	m.detail = newDetail(c)
	m.form = newForm(c)
	m.summary = newSummary(c)
	m.sync = newSync(c)
	m.history = newHistory(c)
	m.help.Styles = c.styles.Help
	m.technicianInit(opts)
	m.layout()
	return m
}

// Init loads the round and asks the terminal for its background colour.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.c.loadRound(), tea.RequestBackgroundColor, m.warnTick())
}

func (m *Model) page(id screenID) page {
	switch id {
	case scrPicker:
		return m.picker
	case scrSweep:
		return m.sweep
	case scrFindings:
		return m.findings
	case scrDetail:
		return m.detail
	case scrForm:
		return m.form
	case scrSummary:
		return m.summary
	case scrSync:
		return m.sync
	case scrHistory:
		return m.history
	}
	return m.overview
}

func (m *Model) top() screenID { return m.stack[len(m.stack)-1] }

// push opens a screen on top of the current one; a screen already on the
// stack is brought back to the top instead of opened twice.
func (m *Model) push(id screenID) {
	for i, s := range m.stack {
		if s == id {
			m.stack = m.stack[:i]
			break
		}
	}
	m.stack = append(m.stack, id)
	m.layout()
}

func (m *Model) pop() {
	if len(m.stack) > 1 {
		m.stack = m.stack[:len(m.stack)-1]
	}
	m.layout()
}

// reset returns to the overview and opens the given screens on it.
func (m *Model) reset(ids ...screenID) {
	m.stack = append([]screenID{scrOverview}, ids...)
	m.layout()
}

// chrome is the number of lines around the body: header, status, help.
func (m *Model) chrome() int {
	n := 3
	if m.showHelp {
		n += lipgloss.Height(m.help.View(m.page(m.top()).KeyMap())) - 1
	}
	return n
}

func (m *Model) layout() {
	m.help.SetWidth(m.c.width)
	m.help.ShowAll = m.showHelp
	h := max(1, m.c.height-m.chrome())
	for _, id := range []screenID{scrOverview, scrPicker, scrSweep, scrFindings, scrDetail, scrForm, scrSummary, scrSync, scrHistory} {
		m.page(id).SetSize(m.c.width, h)
	}
}

func (m *Model) setStatus(text string, err error) {
	m.seq++
	m.statusSeq = m.seq
	if err != nil {
		m.status, m.isError = inert.String(err.Error()), true
		return
	}
	m.status, m.isError = text, false
}

// resumeState describes where the technician is now.
func (m *Model) resumeState() resumeState {
	rs := resumeState{Screen: screenNames[m.top()]}
	switch m.top() {
	case scrForm:
		rs.Screen = screenNames[scrDetail]
		if m.form.from == scrFindings {
			rs.Screen = screenNames[scrFindings]
		}
	case scrPicker:
		rs.Screen = screenNames[scrOverview]
	}
	switch rs.Screen {
	case "sweep":
		rs.Room = m.sweep.room.Key
	case "findings", "detail":
		rs.Room = m.findings.visit.Room.Key
		rs.VisitID = m.findings.visit.ID
		if it, ok := m.findings.current(); ok {
			rs.FindingID = it.ID
		}
		if rs.Screen == "detail" {
			rs.FindingID = m.detail.item.ID
		}
		rs.Sort, rs.Filter, rs.Query = m.findings.sort, m.findings.filter, m.findings.query
	default:
		rs.Room = m.overview.selectedKey()
	}
	return rs
}

// Update routes a message: global keys and navigation here, the rest to
// the screen it is for.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	// Warnings are read on every message (a mutex and two words), so a
	// sweep's warning shows with the sweep's own redraw.
	m.pollWarnings()
	switch msg := msg.(type) {
	case warnTickMsg:
		return m.warnTick()
	case technicianMsg:
		m.technicianSaved(msg)
		return nil
	case tea.WindowSizeMsg:
		m.c.width, m.c.height = msg.Width, msg.Height
		m.layout()
		return nil
	case tea.BackgroundColorMsg:
		m.c.isDark = msg.IsDark()
		m.c.restyle()
		m.help.Styles = m.c.styles.Help
		return nil
	case tea.ColorProfileMsg:
		if m.c.opts.Profile == 0 {
			m.c.prof = msg.Profile
			m.c.restyle()
			m.help.Styles = m.c.styles.Help
		}
		return nil
	case tea.KeyPressMsg:
		r := m.scan.key(msg)
		if r.cmd == nil && r.scan == "" && len(r.keys) == 1 {
			return m.key(r.keys[0])
		}
		cmds := []tea.Cmd{r.cmd}
		for _, k := range r.keys {
			cmds = append(cmds, m.key(k))
		}
		if r.scan != "" {
			cmds = append(cmds, m.onScan(r.scan))
		}
		return tea.Batch(cmds...)
	case scanFlushMsg:
		keys, again := m.scan.flush(msg.gen)
		if again != nil {
			return again
		}
		if len(keys) == 1 {
			return m.key(keys[0])
		}
		var cmds []tea.Cmd
		for _, k := range keys {
			cmds = append(cmds, m.key(k))
		}
		return tea.Batch(cmds...)
	case scanMsg:
		return m.onScan(msg.text)
	case scanResolvedMsg:
		return m.scanResolved(msg)
	case askMsg:
		m.ask = &question{text: msg.text, yes: msg.yes}
		return nil
	case tea.MouseWheelMsg:
		// The wheel scrolls whatever list or page is shown.
		if m.page(m.top()).Typing() && m.top() != scrPicker && m.top() != scrForm {
			return nil
		}
		k := tea.KeyPressMsg{Code: tea.KeyDown}
		if msg.Button == tea.MouseWheelUp {
			k = tea.KeyPressMsg{Code: tea.KeyUp}
		}
		return m.page(m.top()).Update(k)
	case tea.PasteMsg:
		// A paste is a scan: some scanners (and every wedge in paste mode)
		// deliver a label as a bracketed paste.
		return m.onScan(msg.Content)
	case statusMsg:
		m.setStatus(msg.text, msg.err)
		return m.c.reloadRooms()

	case roundMsg:
		m.loaded = true
		if msg.err != nil {
			m.setStatus("", msg.err)
			return nil
		}
		m.c.hasRound, m.c.round, m.c.rooms = true, msg.round, msg.rooms
		m.overview.refresh()
		return m.resume(msg.resume)
	case noRoundMsg:
		m.loaded = true
		m.setStatus("", msg.err)
		m.overview.floors = msg.floors
		m.overview.refresh()
		return nil
	case roomsMsg:
		if msg.err != nil {
			m.setStatus("", msg.err)
			return nil
		}
		m.c.rooms = msg.rooms
		m.overview.refresh()
		return nil
	case createRoundMsg:
		return m.c.createRound(msg.building, msg.floor)

	case openRoomMsg:
		m.setStatus("opening "+inert.String(msg.key)+"…", nil)
		return m.c.openRoomFor(msg.key, nil, msg.resweep)
	case roomMsg:
		return m.openRoom(msg)
	case visitMsg:
		if msg.err != nil {
			m.setStatus("", msg.err)
			if m.top() == scrSweep {
				m.sweep.finishing = false
			}
			return nil
		}
		m.findings.setVisit(msg.visit, msg.resume)
		m.setStatus("", nil)
		m.reset(scrFindings)
		if msg.resume != nil && msg.resume.Screen == "detail" {
			if it, ok := m.findings.current(); ok {
				m.detail.set(m.findings.visit, it)
				m.push(scrDetail)
			}
		}
		return tea.Batch(m.c.reloadRooms(), m.c.saveResume(m.resumeState()))
	case doneMsg:
		if msg.err != nil {
			m.setStatus("", msg.err)
			return nil
		}
		m.reset()
		m.overview.selectKey(msg.next)
		m.setStatus("room done", nil)
		return tea.Batch(m.c.reloadRooms(), m.c.saveResume(m.resumeState()))

	case pushMsg:
		m.push(msg.screen)
		var cmd tea.Cmd
		switch msg.screen {
		case scrPicker:
			cmd = m.picker.open()
		case scrSummary:
			cmd = m.summary.open()
		case scrSync:
			cmd = m.sync.open()
		case scrHistory:
			cmd = m.history.open()
		case scrDetail:
			if it, ok := m.findings.current(); ok {
				m.detail.set(m.findings.visit, it)
				cmd = m.c.loadNotes(it)
			}
		}
		return tea.Batch(cmd, m.c.saveResume(m.resumeState()))
	case popMsg:
		m.pop()
		return m.c.saveResume(m.resumeState())
	case openFormMsg:
		m.form.open(msg.kind, m.findings.visit, msg.item, m.top(), msg.tag)
		m.findings.scanTag = ""
		m.push(scrForm)
		if msg.kind == "adopt" {
			return m.c.loadModels()
		}
		return nil
	case quitMsg:
		return m.quitNow()
	case undoFindingMsg:
		m.setStatus("undoing…", nil)
		ctx, eng, id := m.c.ctx, m.c.eng, msg.findingID
		return func() tea.Msg {
			got, err := eng.UndoFinding(ctx, id)
			return actionMsg{id: id, item: got, kind: undoKind, err: err}
		}
	case historyMsg:
		return m.history.Update(msg)
	case undoMsg:
		m.setStatus("undoing…", nil)
		m.c.pending = msg.item.ID
		return m.c.undo(m.findings.visit, msg.item)
	case applyMsg:
		m.setStatus("saving…", nil)
		m.c.pending = msg.item.ID
		return m.c.apply(m.findings.visit, msg.item, msg.action)
	case actionMsg:
		return m.actionDone(msg)
	}
	// Everything else belongs to one screen.
	switch msg.(type) {
	case sweepStartedMsg, sweepEventsMsg, sweepTickMsg, segmentsMsg:
		return m.sweep.Update(msg)
	case roomIndexMsg:
		return m.picker.Update(msg)
	case notesMsg:
		nm := msg.(notesMsg)
		if nm.err != nil {
			m.setStatus("", nm.err)
		} else if nm.id == m.detail.item.ID {
			m.detail.notes = nm.notes
		}
		return nil
	case modelsMsg:
		return m.form.Update(msg)
	case reportMsg, exportMsg:
		if em, ok := msg.(exportMsg); ok {
			if em.err != nil {
				m.setStatus("", em.err)
			} else {
				m.setStatus("wrote "+strings.Join(em.paths, ", "), nil)
			}
		}
		return m.summary.Update(msg)
	case syncMsg:
		return m.sync.Update(msg)
	}
	return m.page(m.top()).Update(msg)
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	if m.ask != nil {
		return m.answer(msg)
	}
	if m.who != nil {
		return m.whoKey(msg)
	}
	if key.Matches(msg, m.keys.Quit) {
		if m.form.dirty() && m.top() == scrForm {
			// What the technician typed is not lost to a reflex.
			m.ask = &question{text: "quit and lose what you typed?", yes: send(quitMsg{})}
			return nil
		}
		return m.quitNow()
	}
	p := m.page(m.top())
	if !p.Typing() && key.Matches(msg, m.keys.Help) {
		m.showHelp = !m.showHelp
		m.layout()
		return nil
	}
	if m.top() != scrForm {
		m.status, m.isError = "", false
	}
	if m.top() == scrOverview && !p.Typing() && msg.String() == "q" {
		return m.quitNow()
	}
	return p.Update(msg)
}

func (m *Model) quitNow() tea.Cmd {
	m.sweep.stop()
	m.quit = true
	return tea.Sequence(m.c.saveResume(m.resumeState()), tea.Quit)
}
