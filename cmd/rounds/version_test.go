package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified, when string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.modified", Value: modified}, {Key: "vcs.time", Value: when}}
	}
	for _, tc := range []struct {
		name           string
		ver, rev, when string
		bi             *debug.BuildInfo
		want           string
	}{
		{"no build info", "", "", "", nil, "dev ("},
		{"go build in a checkout", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "false", "2026-11-27T03:00:00Z")},
			"dev (commit 0123456789ab, 2026-11-27T03:00:00Z, "},
		{"dirty checkout", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123456789abcdef0123", "true", "2026-11-27T03:00:00Z")},
			"dev (commit 0123456789ab-dirty, 2026-11-27T03:00:00Z, "},
		{"go install module@tag", "", "", "",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}},
			"v1.4.0 ("},
		{"ldflags win", "1.5.0", "feedfacecafe0000", "2026-12-01T00:00:00Z",
			&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}, Settings: vcs("0123456789abcdef0123", "true", "2026-11-27T03:00:00Z")},
			"1.5.0 (commit feedfacecafe, 2026-12-01T00:00:00Z, "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := resolveVersion(tc.ver, tc.rev, tc.when, tc.bi).String()
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

// TestVersionFlag: the test binary carries build info without VCS data,
// so --version falls back to "dev" with the Go version, never an error.
func TestVersionFlag(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "rounds ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("--version printed %q", out.String())
	}
}

// TestGoRunVCS: a `go run` binary reads the commit of the checkout it was
// built from, and only then.
func TestGoRunVCS(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	other := t.TempDir()
	gitc := func(dir string, args ...string) {
		t.Helper()
		c := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.invalid"}, args...)...)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	for dir, mod := range map[string]string{repo: modulePath, other: "example.org/other"} {
		os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+mod+"\n\ngo 1.26\n"), 0o644)
		gitc(dir, "init", "-q")
		gitc(dir, "add", "go.mod")
		gitc(dir, "commit", "-q", "-m", "init")
	}
	sub := filepath.Join(repo, "cmd", "rounds")
	os.MkdirAll(sub, 0o755)
	goRun := "/tmp/go-build123456/b001/exe/rounds"
	rev, when, dirty, ok := goRunVCS(goRun, sub)
	if !ok || len(rev) != 40 || dirty || !strings.HasSuffix(when, "Z") {
		t.Fatalf("go run in a checkout: %q %q %v %v", rev, when, dirty, ok)
	}
	os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module "+modulePath+"\n\ngo 1.27\n"), 0o644)
	if _, _, dirty, _ := goRunVCS(goRun, repo); !dirty {
		t.Error("modified checkout not dirty")
	}
	for _, tc := range []struct{ exe, wd string }{
		{"/usr/bin/rounds", repo}, // an installed binary
		{goRun, other},            // go run, but another module
		{goRun, t.TempDir()},      // no module at all
	} {
		if _, _, _, ok := goRunVCS(tc.exe, tc.wd); ok {
			t.Errorf("%s in %s: reported a commit", tc.exe, tc.wd)
		}
	}
}
