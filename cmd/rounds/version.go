package main

import (
	"fmt"
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
