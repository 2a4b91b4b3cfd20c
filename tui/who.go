package tui

import (
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/biomed-rounds/rounds/inert"
)

// maxTechnician bounds the technician's name, as the journal shows it.
const maxTechnician = 64

// whoPrompt asks, on the first run, who the technician is: no
// --technician, configuration or ROUNDS_ACTOR named them. The answer is
// saved (Options.Technician) so that it is asked once; esc keeps the
// login name for this session and asks again next time.
type whoPrompt struct {
	input  textinput.Model
	saving bool
}

var (
	whoSave = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "save"))
	whoSkip = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "use the login name"))
)

func newWhoPrompt(login string) *whoPrompt {
	ti := textinput.New()
	ti.Placeholder = login
	ti.CharLimit = maxTechnician
	ti.Prompt = "name: "
	ti.Focus()
	return &whoPrompt{input: ti}
}

// technicianMsg says the technician's name was saved (or not).
type technicianMsg struct {
	name string
	err  error
}

// validTechnician checks a typed or scanned name.
func validTechnician(s string) (string, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", errors.New("type your name (or esc to use the login name)")
	case !inert.Clean(s) || len(s) > maxTechnician:
		return "", errors.New("a name holds no control characters and at most 64 bytes")
	}
	return s, nil
}

func (c *common) saveTechnician(name string) tea.Cmd {
	ctx, save := c.ctx, c.opts.Technician
	return func() tea.Msg {
		if err := save(ctx, name); err != nil {
			return technicianMsg{name: name, err: err}
		}
		return technicianMsg{name: name}
	}
}

// whoKey takes a key while the prompt is open.
func (m *Model) whoKey(msg tea.KeyPressMsg) tea.Cmd {
	w := m.who
	if w.saving {
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quitNow()
	case key.Matches(msg, whoSkip):
		m.who = nil
		m.setStatus("journal entries are signed "+inert.String(m.c.eng.Actor)+" this session", nil)
		return nil
	case key.Matches(msg, whoSave):
		return m.whoSubmit(w.input.Value())
	}
	var cmd tea.Cmd
	w.input, cmd = w.input.Update(msg)
	return cmd
}

func (m *Model) whoSubmit(text string) tea.Cmd {
	name, err := validTechnician(text)
	if err != nil {
		m.setStatus("", err)
		return nil
	}
	m.who.saving = true
	return m.c.saveTechnician(name)
}

// technicianSaved ends the prompt: the engine signs as the technician
// from now on. A name that could not be saved is still used for this
// session.
func (m *Model) technicianSaved(msg technicianMsg) {
	m.who = nil
	m.c.eng.Actor = msg.name
	if msg.err != nil {
		m.setStatus("", errors.New("signing as "+inert.String(msg.name)+" this session; not saved: "+inert.String(msg.err.Error())))
		return
	}
	m.setStatus("signing as "+inert.String(msg.name)+"; saved for next time", nil)
}

// whoView is the prompt, in place of the screen's body.
func (m *Model) whoView() string {
	s := m.c.styles
	var b strings.Builder
	b.WriteString(s.Title.Render("Who is doing this round?") + "\n\n")
	b.WriteString("Your name signs every action in the journal and the report.\n")
	b.WriteString(s.Muted.Render("Type it or scan your badge; it is saved, so this is asked once.") + "\n\n")
	b.WriteString(m.who.input.View() + "\n\n")
	b.WriteString(s.Muted.Render("enter save · esc use the login name (" + inert.String(m.c.eng.Actor) + ")"))
	return b.String()
}

// technicianInit opens the prompt when the options ask for it.
func (m *Model) technicianInit(opts Options) {
	if opts.Technician != nil {
		m.who = newWhoPrompt(inert.String(opts.Engine.Actor))
	}
}
