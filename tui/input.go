package tui

import (
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
)

// newInput returns a text field styled like the rest of the TUI, with a
// steady cursor (a blinking one would redraw for nothing and make views
// depend on time).
func newInput(c *common, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = "› "
	in.Placeholder = placeholder
	in.CharLimit = limit
	st := textinput.DefaultStyles(c.isDark)
	st.Cursor.Blink = false
	st.Focused.Prompt = c.styles.Key
	st.Focused.Placeholder = c.styles.Faint
	st.Blurred.Placeholder = c.styles.Faint
	st.Blurred.Prompt = lipgloss.NewStyle().Inherit(c.styles.Muted)
	in.SetStyles(st)
	return in
}
