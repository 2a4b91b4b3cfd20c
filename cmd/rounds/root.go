package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/config"
	inertpkg "github.com/biomed-rounds/rounds/inert"
	"github.com/biomed-rounds/rounds/store"
)

// version is set at release time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, mapped in one place (exitCode).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
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
	// sweepWarn receives the warnings of the TUI's sweeps (nil: they stay
	// in the plan); the TUI sets it to show them.
	sweepWarn func(string)
	jsonOut   bool
	st        *store.Store
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
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr}
	defer a.close()
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	code := exitCode(err)
	if err != nil {
		// Errors quote outside bytes (file contents, CMDB answers,
		// advertised names): they reach the terminal inertly, keeping
		// only the line breaks of errors that list one problem a line.
		fmt.Fprintf(stderr, "rounds: %s\n", inertpkg.Lines(err.Error()))
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(stderr, "Run 'rounds --help' for usage.")
		}
	}
	return code
}

// exitCode maps an error to the process exit code.
func exitCode(err error) int {
	var u usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &u):
		return exitUsage
	default:
		return exitFailure
	}
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "rounds",
		Short: "Walk floor rounds: sweep rooms, reconcile against the inventory, sync to the CMDB",
		Long: `rounds sweeps each room of a floor round over BLE and the room's IP segment,
reconciles what it sees against the offline inventory, flags missing, misplaced,
unknown and outdated units, and syncs corrections to the central CMDB.

Run without a command to open the terminal UI on the database.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), a)
		},
	}
	root.SetVersionTemplate("rounds {{.Version}} (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.Flags().BoolVar(&a.tuiBLE, "ble", false, "sweep BLE live (passive) in every room as well as IP; needs root or CAP_NET_ADMIN")
	root.Flags().IntVar(&a.tuiBLEAdapter, "adapter", 0, "HCI adapter `index` for --ble (hci0 = 0)")
	root.Flags().DurationVar(&a.tuiBLEDuration, "ble-duration", 20*time.Second, "how long each room's BLE sweep listens")
	root.PersistentFlags().StringVar(&a.dbPath, "db", defaultDBPath(), "inventory database `path` (env ROUNDS_DB)")
	root.PersistentFlags().StringVar(&a.configPath, "config", config.DefaultPath(), "configuration `file` (env ROUNDS_CONFIG)")
	root.AddCommand(
		newImportCmd(a),
		newExportCmd(a),
		newDevicesCmd(a),
		newScanCmd(a),
		newGenerateCmd(a),
	)
	for _, c := range extraCommands {
		root.AddCommand(c(a))
	}
	return root
}

// extraCommands lets subsystems register their commands from their own
// files (advisories, sync, demo) without every change touching this one.
var extraCommands []func(*app) *cobra.Command

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
