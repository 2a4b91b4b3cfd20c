package tui

import (
	"context"
	"errors"
	"io"

	tea "charm.land/bubbletea/v2"
)

// Run opens the TUI on the terminal and returns when the technician
// quits. in and out are the terminal (nil means the process's); ctx
// cancels the program and every command.
func Run(ctx context.Context, opts Options, in io.Reader, out io.Writer) error {
	if opts.Engine == nil || opts.Engine.Store == nil {
		return errors.New("tui: an engine with a store is required")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m := New(ctx, opts)
	po := []tea.ProgramOption{tea.WithContext(ctx)}
	if in != nil {
		po = append(po, tea.WithInput(in))
	}
	if out != nil {
		po = append(po, tea.WithOutput(out))
	}
	if opts.Profile != 0 {
		po = append(po, tea.WithColorProfile(opts.Profile))
	}
	p := tea.NewProgram(m, po...)
	_, err := p.Run()
	m.sweep.stop()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil
	}
	return err
}
