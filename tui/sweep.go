package tui

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

type sweepKeys struct {
	list   listKeys
	Start  key.Binding
	Stop   key.Binding
	Cancel key.Binding
}

type sourceState int

const (
	srcWaiting sourceState = iota
	srcRunning
	srcDone
	srcFailed
	srcStopped
)

type sourceView struct {
	src         round.Source
	state       sourceState
	err         error
	count       int
	done, total int
	keys        map[string]bool
}

// sweepTickMsg animates the sweep screen and polls source progress.
type sweepTickMsg struct {
	gen int
	t   time.Time
}

// sweepPage runs the live sweep of a room: one line per source with its
// progress, the devices as they stream in, the elapsed time; enter stops
// early and reviews what was seen, esc cancels without storing anything.
type sweepPage struct {
	c       *common
	keys    sweepKeys
	room    store.Location
	sources []sourceView
	visitID int64
	// interrupted is when an earlier sweep of this visit stopped without
	// finishing (the laptop was closed, the program killed).
	interrupted time.Time

	gen       int
	running   bool
	stopping  bool
	finishing bool
	// checking is set while the store says whether the room's segments
	// need the technician's yes (a generated database, a segment that is
	// not loopback): no source starts before the answer.
	checking bool
	cancel   context.CancelFunc
	events   <-chan round.Event
	started  time.Time
	now      time.Time

	obs   []scan.Observation
	byKey map[string]int
	listState
	width  int
	height int
}

func newSweep(c *common) *sweepPage {
	return &sweepPage{c: c, keys: sweepKeys{
		list:   newListKeys(),
		Start:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "start sweep")),
		Stop:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "stop & review")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}}
}

func (p *sweepPage) KeyMap() help.KeyMap {
	k := p.keys
	first := k.Start
	if p.running {
		first = k.Stop
	}
	g := newGlobalKeys()
	return keyMap{
		short: []key.Binding{first, k.Cancel, k.list.Up, k.list.Down, g.Help},
		full:  [][]key.Binding{{first, k.Cancel}, k.list.bindings(), {g.Help, g.Quit}},
	}
}

func (p *sweepPage) Typing() bool { return false }

func (p *sweepPage) SetSize(w, h int) {
	p.width, p.height = w, h
	p.fit(len(p.obs), p.listHeight())
}

// prepare shows a room ready to sweep. An open visit (an interrupted
// sweep) is reused rather than left dangling.
func (p *sweepPage) prepare(room store.Location, sources []round.Source, v round.Visit) {
	p.stop()
	p.room = room
	p.sources = make([]sourceView, len(sources))
	for i, s := range sources {
		p.sources[i] = sourceView{src: s, keys: map[string]bool{}}
	}
	p.visitID, p.interrupted = 0, time.Time{}
	if v.ID != 0 && v.Status == store.VisitOpen {
		p.visitID, p.interrupted = v.ID, v.StartedAt
	}
	p.running, p.stopping, p.finishing, p.checking = false, false, false, false
	p.obs, p.byKey = nil, map[string]int{}
	p.reset()
	p.started, p.now = time.Time{}, time.Time{}
}

// stop cancels a running sweep (leaving the screen or quitting).
func (p *sweepPage) stop() {
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	p.gen++
	p.running, p.checking = false, false
}

func (p *sweepPage) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case sweepStartedMsg:
		if msg.gen != p.gen {
			if msg.cancel != nil {
				msg.cancel()
			}
			return nil
		}
		if msg.err != nil {
			p.running = false
			return send(statusMsg{err: msg.err})
		}
		p.visitID, p.cancel, p.events = msg.visitID, msg.cancel, msg.events
		for i := range p.sources {
			p.sources[i].state = srcRunning
		}
		return tea.Batch(readEvents(p.gen, p.events), p.tick(), p.c.saveResume(resumeState{Screen: "sweep", Room: p.room.Key}))
	case segmentsMsg:
		// A yes arrives after the check ended; a stale answer (the room
		// was left, another sweep began) starts nothing.
		if msg.gen != p.gen || p.running || p.finishing || (!p.checking && !msg.confirmed) {
			return nil
		}
		p.checking = false
		switch {
		case msg.err != nil:
			return send(statusMsg{err: msg.err})
		case msg.confirmed || len(msg.need) == 0:
			return p.begin()
		}
		return send(askMsg{text: confirmText(msg.need), yes: p.c.confirmSegments(p.gen, msg.need)})
	case sweepEventsMsg:
		if msg.gen != p.gen {
			return nil
		}
		for _, ev := range msg.events {
			p.event(ev)
		}
		if msg.closed {
			return p.finish()
		}
		return readEvents(p.gen, p.events)
	case sweepTickMsg:
		if msg.gen != p.gen || !p.running {
			return nil
		}
		p.now = p.c.now()
		p.poll()
		return p.tick()
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

func (p *sweepPage) tick() tea.Cmd {
	gen := p.gen
	return p.c.tick(100*time.Millisecond, func(t time.Time) tea.Msg { return sweepTickMsg{gen: gen, t: t} })
}

func (p *sweepPage) key(msg tea.KeyPressMsg) tea.Cmd {
	if p.move(p.keys.list, msg, len(p.obs), p.listHeight()) {
		return nil
	}
	switch {
	case key.Matches(msg, p.keys.Cancel):
		wasRunning := p.running || p.finishing
		p.stop()
		p.finishing = false
		if wasRunning {
			return tea.Batch(send(statusMsg{text: "sweep cancelled; nothing stored for " + inert.String(p.room.Key)}), send(popMsg{}))
		}
		return send(popMsg{})
	case key.Matches(msg, p.keys.Start):
		if p.finishing || p.stopping {
			return nil
		}
		if p.running {
			// Stop early and review what was seen: sources cut short do
			// not count as swept, so nothing is called missing on their
			// account.
			p.stopping = true
			if p.cancel != nil {
				p.cancel()
			}
			return nil
		}
		if p.checking {
			return nil
		}
		if nets := p.ipNets(); len(nets) > 0 {
			p.checking = true
			return p.c.checkSegments(p.gen, nets)
		}
		return p.begin()
	}
	return nil
}

// ipNets is what the IP sources of the room will sweep: its segments,
// when one of the sources is an IP sweep.
func (p *sweepPage) ipNets() []netip.Prefix {
	ip := false
	for _, s := range p.sources {
		ip = ip || s.src.Kind == scan.SourceIP
	}
	if !ip {
		return nil
	}
	var nets []netip.Prefix
	for _, sg := range p.room.Segments {
		nets = append(nets, sg.CIDR)
	}
	return nets
}

// confirmText is the question asked before sweeping segments of a
// generated database that are not loopback: the data is made up, the
// network is not.
func confirmText(need []netip.Prefix) string {
	const show = 3
	var names []string
	for i, n := range need {
		if i == show {
			names = append(names, fmt.Sprintf("+%d more", len(need)-show))
			break
		}
		names = append(names, n.String())
	}
	return "demo/generated inventory, but " + strings.Join(names, ", ") + " is a real network: sweep it?"
}

// begin starts the sources (or, with none, records the visit).
func (p *sweepPage) begin() tea.Cmd {
	p.gen++
	p.running = true
	p.started = p.c.now()
	p.now = p.started
	p.obs, p.byKey = nil, map[string]int{}
	srcs := make([]round.Source, len(p.sources))
	for i := range p.sources {
		srcs[i] = p.sources[i].src
		p.sources[i] = sourceView{src: srcs[i], keys: map[string]bool{}}
	}
	if len(srcs) == 0 {
		p.running = false
		p.finishing = true
		return p.c.finishVisitNew(p.room, nil)
	}
	return p.c.startSweep(p.gen, p.room, srcs, p.visitID)
}

func (p *sweepPage) event(ev round.Event) {
	if ev.Source < 0 || ev.Source >= len(p.sources) {
		return
	}
	sv := &p.sources[ev.Source]
	if ev.Done {
		switch {
		case ev.Err == nil:
			sv.state = srcDone
		case p.stopping || p.c.ctx.Err() != nil:
			sv.state = srcStopped
		default:
			sv.state, sv.err = srcFailed, ev.Err
		}
		return
	}
	k := ev.Obs.Key()
	if !sv.keys[k] {
		sv.keys[k] = true
		sv.count++
	}
	if i, ok := p.byKey[k]; ok {
		p.obs[i] = ev.Obs
		return
	}
	p.byKey[k] = len(p.obs)
	p.obs = append(p.obs, ev.Obs)
}

func (p *sweepPage) poll() {
	for i := range p.sources {
		if pr, ok := p.sources[i].src.Sweeper.(round.Progresser); ok {
			p.sources[i].done, p.sources[i].total = pr.Progress()
		}
	}
}

// swept says which kinds of source ran to completion.
func (p *sweepPage) swept() round.Swept {
	all := map[scan.Source]bool{}
	seen := map[scan.Source]bool{}
	for _, sv := range p.sources {
		k := sv.src.Kind
		if !seen[k] {
			seen[k], all[k] = true, true
		}
		if sv.state != srcDone {
			all[k] = false
		}
	}
	return round.Swept{IP: all[scan.SourceIP], BLE: all[scan.SourceBLE]}
}

func (p *sweepPage) finish() tea.Cmd {
	p.running = false
	p.finishing = true
	p.now = p.c.now()
	if p.cancel != nil {
		p.cancel()
		p.cancel = nil
	}
	var failed []string
	for _, sv := range p.sources {
		if sv.state == srcFailed {
			failed = append(failed, fmt.Sprintf("%s: %v", sv.src.Name, sv.err))
		}
	}
	cmd := p.c.finishVisit(p.visitID, p.room, p.obs, p.swept())
	if len(failed) > 0 {
		return tea.Batch(cmd, send(statusMsg{err: fmt.Errorf("%s", strings.Join(failed, "; "))}))
	}
	return cmd
}

func (p *sweepPage) listHeight() int {
	return max(1, p.height-5-len(p.sources))
}

func (p *sweepPage) View() string {
	s := p.c.styles
	var b strings.Builder
	title := s.Title.Render("Sweep "+inert.String(p.room.Key)) + s.Muted.Render(" · "+inert.String(p.room.Name))
	var right string
	switch {
	case p.finishing:
		right = "reconciling…"
	case p.running && p.stopping:
		right = "stopping… " + elapsed(p.now.Sub(p.started))
	case p.running:
		right = "elapsed " + elapsed(p.now.Sub(p.started))
	case !p.interrupted.IsZero():
		right = s.Warn.Render("interrupted sweep from " + p.interrupted.Local().Format("15:04") + "; enter sweeps again")
	default:
		right = "ready: enter starts the sweep"
	}
	b.WriteString(spread(title, s.Muted.Render(right), p.width) + "\n")
	var segs []string
	for _, sg := range p.room.Segments {
		seg := sg.CIDR.String()
		if len(sg.Tags) > 0 {
			seg += " (" + inert.String(strings.Join(sg.Tags, ",")) + ")"
		}
		segs = append(segs, seg)
	}
	info := "no IP segments configured"
	if len(segs) > 0 {
		info = "segments " + strings.Join(segs, " · ")
	}
	if p.room.RFShielded {
		info += " · " + s.Warn.Render("RF-shielded: expected devices will be unverified, not missing")
	}
	b.WriteString(s.Muted.Render(info) + "\n")
	if len(p.sources) == 0 {
		b.WriteString(s.Warn.Render("No discovery source for this room: enter records the visit with every device unverified.") + "\n")
	}
	nameW := 0
	for _, sv := range p.sources {
		nameW = max(nameW, len(inert.String(sv.src.Name)))
	}
	nameW = min(nameW, 30)
	spin := spinnerFrame(p.now)
	for _, sv := range p.sources {
		var mark, state string
		switch sv.state {
		case srcWaiting:
			mark, state = s.Faint.Render("·"), s.Muted.Render("waiting")
		case srcRunning:
			mark = s.Key.Render(spin)
			if sv.total > 0 {
				state = bar(s, sv.done, sv.total, 16) + fmt.Sprintf(" %d/%d", sv.done, sv.total)
			} else {
				state = "sweeping…"
			}
		case srcDone:
			mark, state = s.OK.Render("✓"), s.OK.Render("done")
		case srcStopped:
			mark, state = s.Warn.Render("■"), s.Warn.Render("stopped early")
		case srcFailed:
			mark, state = s.Error.Render("✗"), s.Error.Render("failed: "+inert.String(sv.err.Error()))
		}
		unit := "hosts"
		if sv.src.Kind == scan.SourceBLE {
			unit = "advertisers"
		}
		line := fmt.Sprintf(" %s %s  %s  %s", mark, pad(inert.String(sv.src.Name), nameW),
			s.Bold.Render(fmt.Sprintf("%3d", sv.count))+" "+unit, state)
		b.WriteString(line + "\n")
	}
	b.WriteString(s.Section.Render(fmt.Sprintf("Seen (%d)", len(p.obs))) + "\n")
	h := p.listHeight()
	// Newest first: what just arrived is what the technician looks for.
	order := make([]int, len(p.obs))
	for i := range order {
		order[i] = len(p.obs) - 1 - i
	}
	from, to := p.window(len(order), h)
	for i := from; i < to; i++ {
		cur := "  "
		if i == p.cursor {
			cur = s.Cursor.Render("▸ ")
		}
		b.WriteString(cur + obsLine(s, p.obs[order[i]], p.width-2) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// obsLine is one observation on one line: source, address, name, detail.
func obsLine(s Styles, o scan.Observation, w int) string {
	var addr, detail string
	if o.Source == scan.SourceBLE && o.BLE != nil {
		addr = "ble " + inert.String(o.BLE.Address)
		detail = fmt.Sprintf("%d dBm", o.BLE.RSSIMax)
		if o.BLE.Placement == scan.Nearby {
			detail += " nearby"
		}
	} else {
		addr = "ip  " + o.IP.String()
		if o.MAC != "" {
			addr += " " + o.MAC
		}
		if len(o.Ports) > 0 {
			ps := make([]string, 0, len(o.Ports))
			for _, pt := range o.Ports {
				ps = append(ps, fmt.Sprint(pt))
			}
			detail = "ports " + strings.Join(ps, ",")
		}
	}
	label := inert.String(o.Label())
	if o.Source == scan.SourceIP && label == o.IP.String() {
		label = inert.String(o.Vendor)
	}
	addrW := 22
	if o.Source == scan.SourceIP && o.MAC != "" {
		addrW = 40
	}
	labelW := max(8, w-addrW-len(detail)-3)
	return pad(addr, addrW) + " " + pad(label, labelW) + " " + s.Muted.Render(detail)
}

func elapsed(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	return fmt.Sprintf("%d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// spinnerFrame derives the frame from the clock so that a view depends
// only on the model's state.
func spinnerFrame(t time.Time) string {
	return spinner[int(t.UnixMilli()/100)%len(spinner)]
}

// spread puts left and right on one line w cells wide.
func spread(left, right string, w int) string {
	gap := w - widthOf(left) - widthOf(right)
	if gap < 1 {
		return left
	}
	return left + strings.Repeat(" ", gap) + right
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
