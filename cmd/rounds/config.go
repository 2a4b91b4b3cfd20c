package main

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/exchange"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/snipeit"
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
		if (t.Kind == "servicenow" || t.Kind == "snipeit") && t.URL == "" {
			probs = append(probs, where+": no url")
		}
	}
	return probs
}

// checkTargetOptions parses a target's options with its connector's own
// parser (the one sync uses), which refuses unknown keys; it sends
// nothing and reads no credential.
func checkTargetOptions(t config.Target) error {
	o := sync.Options{Target: t.Name, Kind: t.Kind, Values: t.Options}
	var err error
	switch t.Kind {
	case "servicenow":
		_, err = servicenow.ParseOptions(o)
	case "snipeit":
		_, err = snipeit.ParseOptions(o)
	case "file":
		_, err = exchange.ParseOptions(o)
	default:
		return fmt.Errorf("kind %q: want servicenow, snipeit or file", inert(t.Kind))
	}
	if err == nil {
		if keys := secret.InFile(t.Options); len(keys) > 0 {
			err = fmt.Errorf("option %s holds a secret: rounds ignores it; move it to the keyring or the environment", strings.Join(keys, ", "))
		}
	}
	return err
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
