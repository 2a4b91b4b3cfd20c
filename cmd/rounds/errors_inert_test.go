package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestTopLevelErrorIsInert: an error that quotes outside bytes (here a
// database path with an escape sequence and a bidi override) is printed
// without them, one line per error line.
func TestTopLevelErrorIsInert(t *testing.T) {
	db := filepath.Join(t.TempDir(), "no\x1b]0;pwned\x07dir\u202e", "r.db")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"devices", "--db", db}, strings.NewReader(""), &out, &errb)
	if code == 0 {
		t.Fatalf("devices on a missing database succeeded: %s", out.String())
	}
	if s := errb.String(); strings.ContainsAny(s, "\x1b\x07\u202e") || !strings.HasPrefix(s, "rounds: ") {
		t.Errorf("stderr = %q, want an inert error line", s)
	}
}
