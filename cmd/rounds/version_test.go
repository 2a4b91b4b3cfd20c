package main

import (
	"bytes"
	"context"
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
