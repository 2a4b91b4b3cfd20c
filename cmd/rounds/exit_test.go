package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes has one case per code of the README's table (sync's 3 is
// also checked in TestSyncCLI, the actions' refusals in TestActionsCLI, and
// a real SIGINT in TestProgressInTmux).
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "r.db")
	in := writeFile(t, dir, "in.csv", cliSample)
	if code, _, errs := runCLI(t, db, "import", in); code != 0 {
		t.Fatal(errs)
	}
	swept := sweptRoom(t)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name   string
		ctx    context.Context
		db     string
		args   []string
		code   int
		stderr []string // each must appear on stderr
	}{
		{"ok", nil, db, []string{"rooms", "--json"}, exitOK, nil},
		{"failure: unreadable file", nil, db, []string{"import", filepath.Join(dir, "absent.csv")}, exitFailure, []string{"absent.csv"}},
		{"failure: bad config", nil, db, []string{"--config", writeFile(t, dir, "bad.toml", "[scan\n"), "config", "check"}, exitFailure, []string{"bad.toml:2"}},
		{"usage: unknown command with suggestion", nil, db, []string{"scna"}, exitUsage, []string{`unknown command "scna"`, "Did you mean this?\n    scan"}},
		{"usage: unknown subcommand flag shows its usage", nil, db, []string{"devices", "--bogus"}, exitUsage, []string{"unknown flag: --bogus", "Usage:\n  rounds devices [flags]"}},
		{"usage: bad flag value", nil, db, []string{"generate", "--devices", "many"}, exitUsage, []string{"invalid argument", "rounds generate [flags]"}},
		{"usage: missing argument", nil, db, []string{"confirm"}, exitUsage, []string{"accepts 1 arg", "Run 'rounds confirm --help'"}},
		{"usage: unknown room lists choices", nil, db, []string{"devices", "--room", "MAIN/3/3W-1"}, exitUsage, []string{"did you mean: MAIN/3/3W-12, MAIN/3/3W-14"}},
		{"usage: unknown nested command", nil, db, []string{"config", "chek"}, exitUsage, nil},
		{"attention: refused action", nil, swept, []string{"missing", "BME-1", "--room", "MAIN/3/3W-12"}, exitConflicts, []string{"does not apply"}},
		{"interrupted", cancelled, db, []string{"import", in}, exitInterrupted, []string{"interrupted"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = context.Background()
			}
			var out, errb bytes.Buffer
			code := run(ctx, append([]string{"--db", tc.db}, tc.args...), strings.NewReader(""), &out, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", code, tc.code, out.String(), errb.String())
			}
			for _, w := range tc.stderr {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

// TestCommandsRegisteredOnce: every command comes from the one list in
// commands(), generate is visible, and the root has no hidden commands.
func TestCommandsRegisteredOnce(t *testing.T) {
	a := &app{stdout: os.Stdout, stderr: os.Stderr}
	root := newRootCmd(a)
	seen := map[string]bool{}
	for _, c := range root.Commands() {
		if seen[c.Name()] {
			t.Errorf("%s registered twice", c.Name())
		}
		seen[c.Name()] = true
		if c.Hidden {
			t.Errorf("%s is hidden", c.Name())
		}
	}
	for _, want := range []string{"generate", "rooms", "confirm", "move", "missing", "note", "adopt", "config", "man", "sync", "advisories", "demo"} {
		if !seen[want] {
			t.Errorf("no %s command", want)
		}
	}
	if len(root.Commands()) != len(commands(a)) {
		t.Errorf("root has %d commands, the registry %d", len(root.Commands()), len(commands(a)))
	}
}
