package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestLogFileAndLastWarning: records go to the log file (0600, created
// with its directory), --debug copies them to stderr, and the last warning
// is kept for the TUI's status line, control characters defused.
func TestLogFileAndLastWarning(t *testing.T) {
	for _, debug := range []bool{false, true} {
		dir := t.TempDir()
		var errb bytes.Buffer
		a := &app{stdout: &bytes.Buffer{}, stderr: &errb, configPath: filepath.Join(dir, "none.toml"),
			logPath: filepath.Join(dir, "state", "rounds", "rounds.log"), debug: debug}
		if err := a.setupLog(&cobra.Command{Use: "rounds"}); err != nil {
			t.Fatal(err)
		}
		a.log.Info("import", "rows", 3)
		a.warnf("ip MAIN/3/3W-12")("host %s skipped: %s", "127.3.12.9", "evil\x1b[2Jname")
		a.log.Debug("detail")
		a.close()
		b, err := os.ReadFile(a.logPath)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(a.logPath)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("log mode %v", fi.Mode().Perm())
		}
		log := string(b)
		if !strings.Contains(log, "level=INFO msg=import rows=3") || !strings.Contains(log, "level=WARN") {
			t.Errorf("log file:\n%s", log)
		}
		if strings.Contains(log, "\x1b") {
			t.Errorf("escape sequence in the log: %q", log)
		}
		if got := strings.Contains(log, "msg=detail"); got != debug {
			t.Errorf("debug=%v: debug record in file %v", debug, got)
		}
		if got := strings.Contains(errb.String(), "msg=import"); got != debug {
			t.Errorf("debug=%v: records on stderr %v: %q", debug, got, errb.String())
		}
		msg, n := a.warnings.Last()
		if n != 1 || !strings.HasPrefix(msg, "host 127.3.12.9 skipped") || strings.Contains(msg, "\x1b") || !strings.Contains(msg, "source=ip MAIN/3/3W-12") {
			t.Errorf("last warning %q (%d)", msg, n)
		}
	}
}
