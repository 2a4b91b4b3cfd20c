package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/config"
	inertpkg "github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/tui"
)

// Exit codes, mapped in one place (exitCode) and documented in the README's
// table; every code has a test (TestExitCodes).
const (
	// exitOK: the command did what was asked.
	exitOK = 0
	// exitFailure: the command failed while doing the work.
	exitFailure = 1
	// exitUsage: the command line was wrong (unknown command or flag,
	// missing argument, bad value); nothing was done.
	exitUsage = 2
	// exitConflicts: the work finished but left conflicts or changes the
	// CMDB rejected, which a person must look at.
	exitConflicts = 3
	// exitInterrupted: interrupted (ctrl+c, SIGTERM), as shells report
	// 128+SIGINT.
	exitInterrupted = 130
)

// usageError marks an error in how the command was called, as opposed to a
// failure while doing the work; it maps to exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// flagError is a usage error in a command's flags; the command's usage is
// printed with it.
type flagError struct{ usageError }

func (e flagError) Unwrap() error { return e.usageError }

// attentionError reports work that finished but left something a person
// must settle (open conflicts, rejected changes); it maps to exit code 3.
type attentionError struct{ msg string }

func (e attentionError) Error() string { return e.msg }

// app carries what every command shares: the streams, the database path
// and, once opened, the store.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	dbPath         string
	configPath     string
	// tuiBLE asks the TUI to sweep BLE live too (root or CAP_NET_ADMIN).
	tuiBLE         bool
	tuiBLEAdapter  int
	tuiBLEDuration time.Duration
	// mouse captures the mouse in the TUI (--mouse or [tui] mouse).
	mouse bool
	// debug also logs to stderr; quiet silences progress.
	debug, quiet bool
	// logPath overrides the log file (tests); "" means the XDG state dir.
	logPath string
	log     *slog.Logger
	// warnings keeps the last warning logged, for the TUI's status line.
	warnings *lastWarning
	logFile  io.Closer
	jsonOut  bool
	st       *store.Store
}

// store opens the database on first use. Commands that do not need it never
// create a file.
func (a *app) store(ctx context.Context) (*store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	return a.opened(store.Open(ctx, a.dbPath))
}

// readStore opens the database read-only, for commands that only read: an
// import running in another process never makes them wait.
func (a *app) readStore(ctx context.Context) (*store.Store, error) {
	if a.st != nil {
		return a.st, nil
	}
	return a.opened(store.OpenReadOnly(ctx, a.dbPath))
}

// opened keeps the store and logs, once, what opening it fixed.
func (a *app) opened(st *store.Store, err error) (*store.Store, error) {
	if err != nil {
		return nil, err
	}
	for _, w := range st.Warnings() {
		fmt.Fprintf(a.stderr, "rounds: warning: %s\n", inert(w))
	}
	a.st = st
	return st, nil
}

// config loads the configuration file (an absent file is empty).
func (a *app) config() (config.Config, error) {
	return config.Load(a.configPath)
}

func (a *app) close() {
	if a.st != nil {
		_ = a.st.Close()
		a.st = nil
	}
	if a.logFile != nil {
		_ = a.logFile.Close()
		a.logFile = nil
	}
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	code := exitCode(ctx, err)
	if err != nil {
		a.log.Error("command failed", "command", cmd.CommandPath(), "exit", code, "err", inertpkg.Lines(err.Error()))
		switch code {
		case exitInterrupted:
			fmt.Fprintln(stderr, "rounds: interrupted")
		default:
			// Errors quote outside bytes (file contents, CMDB answers,
			// advertised names): they reach the terminal inertly, keeping
			// only the line breaks of errors that list one problem a line.
			fmt.Fprintf(stderr, "rounds: %s\n", inertpkg.Lines(err.Error()))
		}
		var fe flagError
		if errors.As(err, &fe) && cmd != nil {
			fmt.Fprintf(stderr, "\n%s", cmd.UsageString())
		} else if code == exitUsage && cmd != nil {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}

// exitCode maps an error to the process exit code. An error after the
// root context was cancelled (ctrl+c, SIGTERM) is an interruption whatever
// its text.
func exitCode(ctx context.Context, err error) int {
	var u usageError
	var att attentionError
	var ref refusal
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		// Before the interruption: a wrong command line did nothing.
		return exitUsage
	case ctx.Err() != nil || errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &att), errors.As(err, &ref):
		return exitConflicts
	default:
		return exitFailure
	}
}

// commands lists every subcommand: the one place a command is registered.
func commands(a *app) []*cobra.Command {
	return []*cobra.Command{
		newImportCmd(a),
		newExportCmd(a),
		newDevicesCmd(a),
		newRoomsCmd(a),
		newScanCmd(a),
		newConfirmCmd(a),
		newMoveCmd(a),
		newMissingCmd(a),
		newNoteCmd(a),
		newAdoptCmd(a),
		newAdvisoriesCmd(a),
		newSyncCmd(a),
		newGenerateCmd(a),
		newDemoCmd(a),
		newConfigCmd(a),
		newManCmd(a),
		newReportCmd(a),
		newRecallsCmd(a),
	}
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "rounds",
		Short: "Walk floor rounds: sweep rooms, reconcile against the inventory, sync to the CMDB",
		Long: `rounds sweeps each room of a floor round over BLE and the room's IP segment,
reconciles what it sees against the offline inventory, flags missing, misplaced,
unknown and outdated units, and syncs corrections to the central CMDB.

Run without a command to open the terminal UI on the database.

Exit codes: 0 ok, 1 failure, 2 usage error (unknown command or flag),
3 finished with conflicts or rejected changes, 130 interrupted.

--json prints a JSON array for lists and one JSON object for a summary;
--stream (where offered) prints one JSON object per line as results arrive.`,
		Version:       buildVersion().Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          commandArgs,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setupLog(cmd)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), a)
		},
	}
	root.SuggestionsMinimumDistance = 2
	// The full line (commit, date) is worked out only when asked for.
	cobra.AddTemplateFunc("roundsVersion", func() string { return fullVersion().String() })
	root.SetVersionTemplate("rounds {{roundsVersion}}\n")
	root.Flags().BoolVar(&a.tuiBLE, "ble", false, "sweep BLE live (passive) in every room as well as IP; needs root or CAP_NET_ADMIN")
	root.Flags().IntVar(&a.tuiBLEAdapter, "adapter", 0, "HCI adapter `index` for --ble (hci0 = 0)")
	root.Flags().DurationVar(&a.tuiBLEDuration, "ble-duration", 20*time.Second, "how long each room's BLE sweep listens")
	root.Flags().BoolVar(&a.mouse, "mouse", false, "capture the mouse in the terminal UI (wheel scrolling); off, text can be selected to copy")
	root.PersistentFlags().StringVar(&a.dbPath, "db", defaultDBPath(), "inventory database `path` (env ROUNDS_DB)")
	root.PersistentFlags().DurationVar(&scanGapFlag, "scan-gap", tui.DefaultScanGap, "longest pause between two keys of a barcode scanner's burst in the terminal UI")
	root.PersistentFlags().StringVar(&technicianFlag, "technician", "", "who walks the round, for the journal and reports (env ROUNDS_ACTOR; default the login name)")
	root.PersistentFlags().StringVar(&a.configPath, "config", config.DefaultPath(), "configuration `file` (env ROUNDS_CONFIG)")
	root.PersistentFlags().BoolVar(&a.debug, "debug", false, "log debug messages, to stderr as well as the log file")
	root.PersistentFlags().BoolVarP(&a.quiet, "quiet", "q", false, "no progress output")
	root.AddCommand(commands(a)...)
	// Flag errors of any command are usage errors that show that
	// command's usage, not the root's.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return flagError{usageError{err}} })
		c.SuggestionsMinimumDistance = 2
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	registerCompletions(a, root)
	return root
}

// defaultDBPath is $ROUNDS_DB, else rounds.db in the user's data directory:
// $XDG_DATA_HOME/rounds (~/.local/share/rounds) on Linux, Application
// Support on macOS, %LocalAppData% on Windows.
func defaultDBPath() string {
	if p := os.Getenv("ROUNDS_DB"); p != "" {
		return p
	}
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = os.Getenv("LocalAppData")
	case "darwin":
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, "Library", "Application Support")
		}
	default:
		dir = os.Getenv("XDG_DATA_HOME")
		if dir == "" {
			if home, err := os.UserHomeDir(); err == nil {
				dir = filepath.Join(home, ".local", "share")
			}
		}
	}
	if dir == "" {
		return "rounds.db"
	}
	return filepath.Join(dir, "rounds", "rounds.db")
}

// commandArgs is the Args of a command that only groups others (the root,
// config, advisories): an argument is a mistyped command, a usage error
// with suggestions.
func commandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n    " + strings.Join(s, "\n    ")
	}
	return usageError{errors.New(msg)}
}

// exactArgs is cobra.ExactArgs reporting a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// minArgs is cobra.MinimumNArgs reporting a usage error.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.MinimumNArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
