package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration file. Each subsystem owns its section.
type Config struct {
	// Technician names the person in the journal; empty means the login
	// name.
	Technician string   `toml:"technician"`
	Scan       Scan     `toml:"scan"`
	TUI        TUI      `toml:"tui"`
	Log        Log      `toml:"log"`
	Targets    []Target `toml:"target"`
}

// TUI is the [tui] section.
type TUI struct {
	// Mouse captures the mouse (wheel scrolling). Off by default so that
	// text, an asset tag for example, can be selected to copy.
	Mouse bool `toml:"mouse"`
}

// Log is the [log] section.
type Log struct {
	// File is the log file; empty means rounds.log in the state
	// directory ($XDG_STATE_HOME/rounds).
	File string `toml:"file"`
	// Level is debug, info, warn or error; empty means info.
	Level string `toml:"level"`
}

// Scan is the [scan] section: what the sweeps must never touch.
type Scan struct {
	// Exclude lists IPs, CIDRs, MACs and OUI prefixes that are never
	// probed.
	Exclude []string `toml:"exclude"`
	// ExcludeClasses lists device classes (as in the catalog) whose
	// recorded addresses are never probed, for example "ventilator".
	ExcludeClasses []string `toml:"exclude_classes"`
	// Profile is the default IP safety profile ("safe" or "fast").
	Profile string `toml:"profile"`
}

// Target is one [[target]]: a CMDB to sync with.
type Target struct {
	Name string `toml:"name"`
	// Kind is "servicenow", "snipeit" or "file".
	Kind string `toml:"kind"`
	URL  string `toml:"url"`
	// Options holds connector-specific settings (table names, auth kind,
	// CA bundle path, environment variable names for credentials...).
	Options map[string]string `toml:"options"`
}

// DefaultPath is $ROUNDS_CONFIG, else config.toml in the user's config
// directory ($XDG_CONFIG_HOME/rounds on Linux).
func DefaultPath() string {
	if p := os.Getenv("ROUNDS_CONFIG"); p != "" {
		return p
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "rounds.toml"
	}
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		return filepath.Join(dir, "rounds", "config.toml")
	}
	return filepath.Join(dir, "rounds", "config.toml")
}

// Load reads the file at path. A missing file is an empty configuration;
// a malformed one is an error naming the file, line and column.
func Load(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return c, fmt.Errorf("config %s:%d:%d: %s", path, pe.Position.Line, pe.Position.Col, pe.Message)
		}
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return c, fmt.Errorf("config %s: unknown key %q", path, und[0].String())
	}
	return c, nil
}

// Target returns the target with the given name, or the only target when
// name is empty and exactly one is configured.
func (c Config) Target(name string) (Target, error) {
	if name == "" {
		if len(c.Targets) == 1 {
			return c.Targets[0], nil
		}
		if len(c.Targets) == 0 {
			return Target{}, errors.New("config: no sync target configured; add a [[target]] to the config file")
		}
		return Target{}, errors.New("config: several targets configured; choose one with --target NAME")
	}
	for _, t := range c.Targets {
		if t.Name == name {
			return t, nil
		}
	}
	return Target{}, fmt.Errorf("config: no target named %q", name)
}
