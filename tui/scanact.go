package tui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/report"
	"github.com/biomed-rounds/rounds/round"
	"github.com/biomed-rounds/rounds/store"
)

// question is a yes/no question shown in the status line; destructive
// actions ask once before they are done.
type question struct {
	text string
	yes  tea.Cmd
}

// askMsg asks the technician a question; yes runs when they answer y.
type askMsg struct {
	text string
	yes  tea.Cmd
}

// quitMsg quits after a question was answered.
type quitMsg struct{}

var (
	yesKey = key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y", "yes"))
	noKey  = key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n/esc", "no"))
)

// answer takes the key that answers the open question; any other key
// leaves the question open (a stray key must not confirm a destructive
// action, nor drop the question silently).
func (m *Model) answer(k tea.KeyPressMsg) tea.Cmd {
	q := m.ask
	switch {
	case key.Matches(k, yesKey):
		m.ask = nil
		m.setStatus("", nil)
		return q.yes
	case key.Matches(k, noKey), key.Matches(k, m.keys.Quit):
		m.ask = nil
		m.setStatus("cancelled", nil)
	}
	return nil
}

// scanResolvedMsg is what a scan names: a room, a device in the
// inventory, or nothing known.
type scanResolvedMsg struct {
	text string
	room *store.Location
	dev  *store.Device
	err  error
}

// onScan takes one scan (a scanner burst or a paste). In a text field it
// replaces the field's content; anywhere else it is looked up.
func (m *Model) onScan(text string) tea.Cmd {
	text = cleanScan(text)
	if text == "" {
		return nil
	}
	if !inert.Clean(text) {
		m.setStatus("", fmt.Errorf("scan %q holds control characters; ignored", inert.String(text)))
		return nil
	}
	m.ask = nil
	if m.who != nil {
		// A badge scanned into the first-run prompt is the name.
		m.who.input.SetValue(text)
		return m.whoSubmit(text)
	}
	if m.top() == scrForm {
		return m.form.scanned(text)
	}
	if m.findings.typing {
		m.findings.endSearch()
	}
	m.setStatus("looking up "+text+"…", nil)
	return m.c.resolveScan(text)
}

// inRoom reports that a room's findings are on screen (or under the
// detail).
func (m *Model) inRoom() bool {
	t := m.top()
	return (t == scrFindings || t == scrDetail) && m.findings.visit.ID != 0
}

func (m *Model) scanResolved(msg scanResolvedMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus("", msg.err)
		return nil
	}
	text := inert.String(msg.text)
	if msg.room != nil {
		key := msg.room.Key
		if m.inRoom() && m.findings.visit.Room.Key == key {
			m.setStatus("already in "+inert.String(key), nil)
			return nil
		}
		if m.inRoom() {
			if open := m.findings.openCount(); open > 0 {
				m.ask = &question{text: fmt.Sprintf("%s has %s open. Leave it for %s?",
					inert.String(m.findings.visit.Room.Key), plural(open, "item"), inert.String(key)),
					yes: send(openRoomMsg{key: key})}
				return nil
			}
		}
		return send(openRoomMsg{key: key})
	}
	if m.inRoom() {
		if m.findings.jump(msg.text, msg.dev) {
			if m.top() == scrDetail {
				m.pop()
			}
			it, _ := m.findings.current()
			tag, model := report.Subject(it.Finding)
			m.setStatus("scanned "+inert.String(strings.TrimSpace(tag+" "+model)), nil)
			return m.findings.save()
		}
		if msg.dev != nil {
			m.setStatus(fmt.Sprintf("%s is recorded in %s and was not seen here", inert.String(msg.dev.AssetTag),
				inert.String(msg.dev.LocationKey)), nil)
			return nil
		}
		if err := round.ValidTag(msg.text); err != nil {
			m.setStatus("", fmt.Errorf("scan %q is not a room, a known device nor a usable asset tag", text))
			return nil
		}
		// An unknown tag: the label of a unit about to be adopted.
		if it, ok := m.findings.current(); ok && round.Applies(round.Adopt, it) {
			return send(openFormMsg{kind: round.Adopt, item: it, tag: msg.text})
		}
		m.findings.scanTag = msg.text
		m.setStatus(fmt.Sprintf("%s is not in the inventory; press a on an unknown unit to adopt it under this tag", text), nil)
		return nil
	}
	if msg.dev != nil {
		m.setStatus(fmt.Sprintf("%s is recorded in %s; scan that room's label to act on it", inert.String(msg.dev.AssetTag),
			inert.String(msg.dev.LocationKey)), nil)
		return nil
	}
	m.setStatus("", fmt.Errorf("scan %q is neither a room label nor a known asset tag", text))
	return nil
}

// resolveScan looks a scan up: a room key or label first, then an asset
// tag, then a serial. Labels are printed upper case but scanners can be
// set to send lower case: both are tried.
func (c *common) resolveScan(text string) tea.Cmd {
	ctx, st := c.ctx, c.eng.Store
	return func() tea.Msg {
		tries := []string{text}
		if up := strings.ToUpper(text); up != text {
			tries = append(tries, up)
		}
		for _, t := range tries {
			l, err := st.Location(ctx, t)
			if err == nil {
				return scanResolvedMsg{text: text, room: &l}
			}
			if !errors.Is(err, store.ErrNotFound) {
				return scanResolvedMsg{text: text, err: err}
			}
		}
		for _, t := range tries {
			d, err := st.Device(ctx, t)
			if err == nil {
				return scanResolvedMsg{text: text, dev: &d}
			}
			if !errors.Is(err, store.ErrNotFound) {
				return scanResolvedMsg{text: text, err: err}
			}
		}
		for _, t := range tries {
			ds, err := st.DevicesByIdentifier(ctx, store.IdentSerial, t)
			if err != nil {
				return scanResolvedMsg{text: text, err: err}
			}
			if len(ds) == 1 {
				return scanResolvedMsg{text: text, dev: &ds[0]}
			}
		}
		return scanResolvedMsg{text: text}
	}
}

// act is the one dispatch of the action keys, shared by the findings list
// and the detail: it checks that the action applies (and says why not),
// opens the form of actions that need input, and asks before the
// destructive ones.
func act(k round.ActionKind, it round.Item, pending bool, scanTag string) tea.Cmd {
	if pending {
		return send(statusMsg{text: "still saving the last change…"})
	}
	if err := round.Check(k, it); err != nil {
		return send(statusMsg{err: err})
	}
	switch k {
	case round.Adopt, round.Correct, round.Note, round.Dismiss:
		return send(openFormMsg{kind: k, item: it, tag: scanTag})
	case round.MarkMissing:
		tag, _ := report.Subject(it.Finding)
		return send(askMsg{text: fmt.Sprintf("mark %s missing? The CMDB will be told it is lost", inert.String(tag)),
			yes: send(applyMsg{item: it, action: round.Action{Kind: k}})})
	}
	return send(applyMsg{item: it, action: round.Action{Kind: k}})
}

// plural writes a count with its noun: "1 room", "3 rooms".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// article puts "a" or "an" before a word.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an " + word
	}
	return "a " + word
}

// verb picks the singular or plural form of a verb for a count.
func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// undoMsg asks the root to undo the latest action on an item.
type undoMsg struct{ item round.Item }

// undo asks to take back the latest action on the item.
func undo(it round.Item, pending bool) tea.Cmd {
	if pending {
		return send(statusMsg{text: "still saving the last change…"})
	}
	if it.Action == "" {
		return send(statusMsg{text: "nothing to undo on this finding"})
	}
	return send(undoMsg{item: it})
}

func (c *common) undo(v round.Visit, it round.Item) tea.Cmd {
	ctx, eng := c.ctx, c.eng
	return func() tea.Msg {
		got, err := eng.Undo(ctx, v, it)
		return actionMsg{id: it.ID, item: got, kind: undoKind, err: err}
	}
}

// undoKind marks an actionMsg that carries an undo.
const undoKind round.ActionKind = "undo"
