package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Set at release time with -ldflags "-X main.version=... -X main.commit=...
// -X main.date=...". A `go install` or `go build` leaves them empty and the
// build information the Go toolchain embeds fills them in.
var (
	version string
	commit  string
	date    string
)

// versionInfo is what `rounds --version` prints.
type versionInfo struct {
	Version string
	Commit  string
	Dirty   bool
	Date    string
	Go      string
	OS      string
	Arch    string
}

// buildVersion combines the ldflags values with the embedded build
// information: the module version (a tag for `go install ...@v1.2.3`), and
// for builds inside a git checkout vcs.revision, vcs.modified and vcs.time.
func buildVersion() versionInfo {
	bi, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, date, bi)
}

// fullVersion is buildVersion plus, for a binary `go run` built (the go
// command stamps no VCS data then) from a checkout of this module, the
// checkout's commit read with git. It is what --version prints.
func fullVersion() versionInfo {
	v := buildVersion()
	if v.Commit != "" {
		return v
	}
	exe, err := os.Executable()
	if err != nil {
		return v
	}
	wd, err := os.Getwd()
	if err != nil {
		return v
	}
	if rev, when, dirty, ok := goRunVCS(exe, wd); ok {
		v.Commit, v.Date, v.Dirty = rev, when, dirty
	}
	return v
}

// modulePath is this module's path, to recognise its checkout.
const modulePath = "github.com/biomed-rounds/rounds"

// goRunVCS reads the commit of the checkout a `go run` binary was built
// from: only when exe sits in the go command's temporary build directory
// (go-build*/.../exe/) and wd is inside a checkout of this module, so that
// an installed binary run inside some other repository never reports that
// repository's commit.
func goRunVCS(exe, wd string) (rev, when string, dirty, ok bool) {
	slashed := filepath.ToSlash(exe)
	if !strings.Contains(slashed, "/go-build") || !strings.Contains(slashed, "/exe/") {
		return "", "", false, false
	}
	root := wd
	for {
		b, err := os.ReadFile(filepath.Join(root, "go.mod"))
		if err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if strings.TrimSpace(first) != "module "+modulePath {
				return "", "", false, false
			}
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", "", false, false
		}
		root = parent
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", root, "log", "-1", "--format=%H %cI").Output()
	if err != nil {
		return "", "", false, false
	}
	rev, when, _ = strings.Cut(strings.TrimSpace(string(out)), " ")
	if len(rev) < 7 {
		return "", "", false, false
	}
	if t, err := time.Parse(time.RFC3339, when); err == nil {
		when = t.UTC().Format(time.RFC3339)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel2()
	st, err := exec.CommandContext(ctx2, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output()
	return rev, when, err == nil && len(bytes.TrimSpace(st)) > 0, true
}

func resolveVersion(ver, rev, when string, bi *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: ver, Commit: rev, Date: when, Go: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if bi != nil {
		if v.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if v.Commit == "" {
					v.Commit = s.Value
				}
			case "vcs.modified":
				// Only meaningful for the revision the toolchain saw.
				if rev == "" {
					v.Dirty = s.Value == "true"
				}
			case "vcs.time":
				if v.Date == "" {
					v.Date = s.Value
				}
			}
		}
	}
	if v.Version == "" {
		v.Version = "dev"
	}
	return v
}

// String is one line: "v1.2.0 (commit 0123abcd4567, 2026-11-27T03:00:00Z, go1.26 linux/amd64)".
func (v versionInfo) String() string {
	var parts []string
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		if v.Dirty {
			c += "-dirty"
		}
		parts = append(parts, "commit "+c)
	}
	if v.Date != "" {
		parts = append(parts, v.Date)
	}
	parts = append(parts, fmt.Sprintf("%s %s/%s", v.Go, v.OS, v.Arch))
	return v.Version + " (" + strings.Join(parts, ", ") + ")"
}

// commitTime is the build's commit date (ldflags or vcs.time).
func commitTime() (time.Time, error) {
	return time.Parse(time.RFC3339, buildVersion().Date)
}
