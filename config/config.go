package config

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
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
	// PacketLog, when set, is a file every sweep (command line and TUI)
	// appends a line to for each packet it sends.
	PacketLog string `toml:"packet_log"`
	// SNMP gives, per segment, the credentials the SNMP identity probe
	// uses ([[scan.snmp]]). Secrets are never in the file: it names the
	// environment variables that hold them.
	SNMP []SNMP `toml:"snmp"`
}

// SNMP is one [[scan.snmp]]: SNMPv2c (CommunityEnv) or SNMPv3 (User) for
// the hosts of Segment.
type SNMP struct {
	// Segment is a CIDR ("10.3.12.0/24").
	Segment string `toml:"segment"`
	// CommunityEnv names the environment variable holding the v2c
	// community.
	CommunityEnv string `toml:"community_env"`
	// User, AuthProto (MD5, SHA, SHA224, SHA256, SHA384, SHA512),
	// AuthPassEnv, PrivProto (DES, AES, AES192, AES256) and PrivPassEnv
	// are the SNMPv3 USM settings.
	User        string `toml:"user"`
	AuthProto   string `toml:"auth_proto"`
	AuthPassEnv string `toml:"auth_pass_env"`
	PrivProto   string `toml:"priv_proto"`
	PrivPassEnv string `toml:"priv_pass_env"`
}

// check validates the [[scan.snmp]] entries.
func (s Scan) check() error {
	for i, e := range s.SNMP {
		if _, err := netip.ParsePrefix(e.Segment); err != nil {
			return fmt.Errorf("[[scan.snmp]] #%d: segment %q: not a CIDR", i+1, e.Segment)
		}
		if (e.CommunityEnv == "") == (e.User == "") {
			return fmt.Errorf("[[scan.snmp]] #%d (%s): give community_env (SNMPv2c) or user (SNMPv3), not both or neither", i+1, e.Segment)
		}
		if e.User == "" && (e.AuthProto != "" || e.AuthPassEnv != "" || e.PrivProto != "" || e.PrivPassEnv != "") {
			return fmt.Errorf("[[scan.snmp]] #%d (%s): auth_* and priv_* need user", i+1, e.Segment)
		}
	}
	return nil
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
	if err := c.Scan.check(); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
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
