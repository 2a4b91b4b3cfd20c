package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/round"
)

// globalKeys work on every screen (unless a text field has focus, where
// only ctrl+c and esc do).
type globalKeys struct {
	Quit key.Binding
	Help key.Binding
	Back key.Binding
}

func newGlobalKeys() globalKeys {
	return globalKeys{
		Quit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Back: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
	}
}

// listKeys move a cursor through a list.
type listKeys struct {
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding
}

func newListKeys() listKeys {
	return listKeys{
		Up:       key.NewBinding(key.WithKeys("up", "k", "ctrl+p"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j", "ctrl+n"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
	}
}

// pickerListKeys are listKeys without letters, for lists under a text
// field (the letters go to the field).
func pickerListKeys() listKeys {
	k := newListKeys()
	k.Up.SetKeys("up", "ctrl+p")
	k.Up.SetHelp("↑", "up")
	k.Down.SetKeys("down", "ctrl+n")
	k.Down.SetHelp("↓", "down")
	k.Home.SetKeys("home")
	k.Home.SetHelp("home", "first")
	k.End.SetKeys("end")
	k.End.SetHelp("end", "last")
	return k
}

func (k listKeys) bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End}
}

// moveCursor returns the cursor after the list key in msg, and whether msg
// was one.
func moveCursor(k listKeys, msg interface{ String() string }, cursor, n, page int) (int, bool) {
	if n == 0 {
		return 0, key.Matches(msg, k.bindings()...)
	}
	page = max(1, page)
	switch {
	case key.Matches(msg, k.Up):
		cursor--
	case key.Matches(msg, k.Down):
		cursor++
	case key.Matches(msg, k.PageUp):
		cursor -= page
	case key.Matches(msg, k.PageDown):
		cursor += page
	case key.Matches(msg, k.Home):
		cursor = 0
	case key.Matches(msg, k.End):
		cursor = n - 1
	default:
		return cursor, false
	}
	return min(max(cursor, 0), n-1), true
}

// keyMap is a help.KeyMap made from binding groups.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyMap) ShortHelp() []key.Binding  { return k.short }
func (k keyMap) FullHelp() [][]key.Binding { return k.full }

// actionKeys are the keys of the technician's actions on a finding, the
// same on the findings list and the detail.
type actionKeys struct {
	Confirm key.Binding
	Move    key.Binding
	Missing key.Binding
	Adopt   key.Binding
	Dismiss key.Binding
	Edit    key.Binding
	Note    key.Binding
	Undo    key.Binding
}

func newActionKeys() actionKeys {
	b := func(k, d string) key.Binding { return key.NewBinding(key.WithKeys(k), key.WithHelp(k, d)) }
	return actionKeys{
		Confirm: b("c", "confirm"),
		Move:    b("m", "move here"),
		Missing: b("x", "mark missing"),
		Adopt:   b("a", "adopt"),
		Dismiss: b("d", "dismiss"),
		Edit:    b("e", "correct fw/serial"),
		Note:    b("n", "note"),
		Undo:    b("u", "undo"),
	}
}

// kinds pairs each binding with its action.
func (k actionKeys) kinds() []struct {
	kind round.ActionKind
	b    key.Binding
} {
	return []struct {
		kind round.ActionKind
		b    key.Binding
	}{{round.Confirm, k.Confirm}, {round.MoveHere, k.Move}, {round.MarkMissing, k.Missing},
		{round.Adopt, k.Adopt}, {round.Dismiss, k.Dismiss}, {round.Correct, k.Edit}, {round.Note, k.Note}}
}

// valid returns the bindings of the actions that apply to the item, so
// that the footer offers only those.
func (k actionKeys) valid(it round.Item) []key.Binding {
	var out []key.Binding
	for _, a := range k.kinds() {
		if round.Check(a.kind, it) == nil {
			out = append(out, a.b)
		}
	}
	return out
}

// actionFor returns the action a key press asks for.
func actionFor(k actionKeys, msg tea.KeyPressMsg) (round.ActionKind, bool) {
	for _, a := range k.kinds() {
		if key.Matches(msg, a.b) {
			return a.kind, true
		}
	}
	return "", false
}
