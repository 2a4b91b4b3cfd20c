package main

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan/ip"
)

// exampleConfig is the annotated example configuration; docs/
// config.example.toml is the same text (TestExampleConfigInDocs).
//
//go:embed config.example.toml
var exampleConfig string

func newConfigCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show where the configuration is, check it, print an example",
		Args:  commandArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("config needs a command: path, check or example")
		},
	}
	cmd.AddCommand(
		&cobra.Command{
			Use:   "path",
			Short: "Print the configuration file's path (--config, $ROUNDS_CONFIG or the default)",
			Args:  cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				fmt.Fprintln(a.stdout, a.configPath)
				return nil
			},
		},
		&cobra.Command{
			Use:   "check",
			Short: "Check the configuration file: syntax, unknown keys and options, values",
			Long: `Check the configuration file: TOML syntax (errors name the line), unknown keys
in any section, unknown or malformed options of each [[target]], the scan
profile and exclusions, and the log level. Exits 1 with the first problems
listed, 0 when the file is good (an absent file is an empty configuration).`,
			Args: cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				if _, err := os.Stat(a.configPath); errors.Is(err, fs.ErrNotExist) {
					fmt.Fprintf(a.stdout, "%s: no file (the defaults apply; rounds config example prints a start)\n", a.configPath)
					return nil
				}
				cfg, err := a.config()
				if err != nil {
					return err
				}
				if probs := checkConfig(cfg); len(probs) > 0 {
					return fmt.Errorf("config %s:\n  %s", a.configPath, strings.Join(probs, "\n  "))
				}
				fmt.Fprintf(a.stdout, "%s: ok (%d targets)\n", a.configPath, len(cfg.Targets))
				return nil
			},
		},
		&cobra.Command{
			Use:   "example",
			Short: "Print an annotated example configuration",
			Args:  cobra.NoArgs,
			RunE: func(*cobra.Command, []string) error {
				_, err := fmt.Fprint(a.stdout, exampleConfig)
				return err
			},
		},
	)
	return cmd
}

// checkConfig reports what config.Load cannot see: values and the
// connector options, which each target kind knows.
func checkConfig(cfg config.Config) []string {
	var probs []string
	switch cfg.Scan.Profile {
	case "", "safe", "fast":
	default:
		probs = append(probs, fmt.Sprintf("[scan] profile %q: want safe or fast", inert(cfg.Scan.Profile)))
	}
	if len(cfg.Scan.Exclude) > 0 {
		var ex ip.Exclusions
		if err := ex.AddAll(cfg.Scan.Exclude, "config"); err != nil {
			probs = append(probs, fmt.Sprintf("[scan] exclude: %v", err))
		}
	}
	if cfg.Log.Level != "" {
		switch strings.ToLower(cfg.Log.Level) {
		case "debug", "info", "warn", "error":
		default:
			probs = append(probs, fmt.Sprintf("[log] level %q: want debug, info, warn or error", inert(cfg.Log.Level)))
		}
	}
	names := map[string]bool{}
	for i, t := range cfg.Targets {
		where := fmt.Sprintf("[[target]] #%d %q", i+1, inert(t.Name))
		if t.Name == "" {
			probs = append(probs, where+": no name")
		} else if names[t.Name] {
			probs = append(probs, where+": name used twice")
		}
		names[t.Name] = true
		if err := checkTargetOptions(t); err != nil {
			probs = append(probs, where+": "+err.Error())
		}
		if t.Kind != "file" && t.URL == "" && knownOptions[t.Kind] != nil {
			probs = append(probs, where+": no url")
		}
	}
	return probs
}

// knownOptions are the options each connector kind reads (cmd/rounds
// sync.go newConnector/newEngine and sync/secret); anything else is a typo
// that would otherwise be silently ignored. Keys ending in "." are
// prefixes (field.NAME maps a field to a CMDB column).
var knownOptions = map[string][]string{
	"servicenow": {"ownership", "concurrency", "batch_size", "timeout", "rate_per_minute", "ca_file",
		"auth", "user", "user_env", "password_env", "token_env", "client_id", "client_id_env", "client_secret_env",
		"table", "class", "source_name", "query", "overlap", "page_size", "items_per_payload",
		"payloads_per_batch", "status_map", "field."},
	"snipeit": {"ownership", "concurrency", "batch_size", "timeout", "rate_per_minute", "ca_file",
		"token_env", "overlap", "page_size", "timezone", "status_map", "field."},
	"file": {"ownership", "concurrency", "batch_size", "dir", "format", "import"},
}

// checkTargetOptions refuses an unknown kind or option, naming the closest
// known option.
func checkTargetOptions(t config.Target) error {
	known, ok := knownOptions[t.Kind]
	if !ok {
		kinds := make([]string, 0, len(knownOptions))
		for k := range knownOptions {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		return fmt.Errorf("kind %q: want %s", inert(t.Kind), strings.Join(kinds, ", "))
	}
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var bad []string
	for _, k := range keys {
		if !optionKnown(known, k) {
			msg := fmt.Sprintf("unknown option %q", inert(k))
			if c := closest(known, k, 1); len(c) == 1 && levenshtein(c[0], k) <= 3 {
				msg += fmt.Sprintf(" (did you mean %q?)", c[0])
			}
			bad = append(bad, msg)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: %s", t.Kind, strings.Join(bad, "; "))
	}
	return nil
}

func optionKnown(known []string, k string) bool {
	for _, o := range known {
		if o == k || (strings.HasSuffix(o, ".") && strings.HasPrefix(k, o) && len(k) > len(o)) {
			return true
		}
	}
	return false
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
