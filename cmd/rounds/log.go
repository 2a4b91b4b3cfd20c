package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"

	"github.com/spf13/cobra"
)

// defaultLogPath is rounds.log in the user's state directory:
// $XDG_STATE_HOME/rounds (~/.local/state/rounds) on Linux and other
// Unix systems, ~/Library/Logs/rounds on macOS, %LocalAppData%\rounds on
// Windows.
func defaultLogPath() string {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LocalAppData")
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "Library", "Logs")
		}
	default:
		dir = os.Getenv("XDG_STATE_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".local", "state")
			}
		}
	}
	if dir == "" {
		return ""
	}
	return filepath.Join(dir, "rounds", "rounds.log")
}

// setupLog opens the log file (created 0600, appended to) and builds the
// logger every command shares: text records to the file and, with
// --debug, to stderr too. A log file that cannot be opened is reported
// once on stderr and never stops the command: logging is a help, not a
// precondition of a round.
func (a *app) setupLog(cmd *cobra.Command) error {
	level := slog.LevelInfo
	path := a.logPath
	if cfg, err := a.config(); err == nil {
		if cfg.Log.File != "" && path == "" {
			path = cfg.Log.File
		}
		if cfg.Log.Level != "" {
			if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
				return fmt.Errorf("config %s: [log] level %q: want debug, info, warn or error", a.configPath, cfg.Log.Level)
			}
		}
		a.mouse = a.mouse || cfg.TUI.Mouse
	}
	if a.debug {
		level = slog.LevelDebug
	}
	if path == "" {
		path = defaultLogPath()
	}
	var hs []slog.Handler
	if path != "" {
		f, err := openLog(path)
		if err != nil {
			fmt.Fprintf(a.stderr, "rounds: no log file: %v\n", err)
		} else {
			a.logFile = f
			hs = append(hs, slog.NewTextHandler(f, &slog.HandlerOptions{Level: level}))
		}
	}
	if a.debug {
		hs = append(hs, slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
	}
	a.warnings = &lastWarning{}
	a.log = slog.New(&fanout{hs: hs, last: a.warnings})
	a.log.Debug("start", "command", cmd.CommandPath(), "version", buildVersion().String())
	return nil
}

func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
}

// lastWarning keeps the newest record at warning level or above, for the
// TUI's status line; it never drops one for lack of a reader.
type lastWarning struct {
	mu  gosync.Mutex
	msg string
	n   int
}

// Last returns the newest warning as one line and how many there were.
func (l *lastWarning) Last() (string, int) {
	if l == nil {
		return "", 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.msg, l.n
}

func (l *lastWarning) record(r slog.Record) {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(at slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", at.Key, at.Value)
		return true
	})
	l.mu.Lock()
	l.msg = inert(b.String())
	l.n++
	l.mu.Unlock()
}

// fanout sends each record to every handler that wants it, and keeps the
// last warning.
type fanout struct {
	hs   []slog.Handler
	last *lastWarning
}

func (f *fanout) Enabled(ctx context.Context, l slog.Level) bool {
	if l >= slog.LevelWarn {
		return true
	}
	for _, h := range f.hs {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f *fanout) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn && f.last != nil {
		f.last.record(r)
	}
	var first error
	for _, h := range f.hs {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f *fanout) WithAttrs(as []slog.Attr) slog.Handler {
	n := &fanout{last: f.last}
	for _, h := range f.hs {
		n.hs = append(n.hs, h.WithAttrs(as))
	}
	return n
}

func (f *fanout) WithGroup(name string) slog.Handler {
	n := &fanout{last: f.last}
	for _, h := range f.hs {
		n.hs = append(n.hs, h.WithGroup(name))
	}
	return n
}

// warnf returns a printf-style sink that logs each line as a warning of
// the named source (sweep warnings: skipped hosts, unavailable features).
func (a *app) warnf(source string) func(format string, args ...any) {
	return func(format string, args ...any) {
		a.log.Warn(inert(fmt.Sprintf(format, args...)), "source", source)
	}
}
