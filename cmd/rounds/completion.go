package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"
)

// Value completion for flags whose values live in the database or the
// configuration. A completion never creates a database: it answers
// nothing when there is none to read.

type completeFunc = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective)

// completeRooms offers room keys (and barcodes) from the inventory.
func completeRooms(a *app) completeFunc {
	return func(cmd *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !fileExists(a.dbPath) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		st, err := a.store(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		idx, err := st.RoomIndex(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		for _, r := range idx {
			if strings.HasPrefix(strings.ToLower(r.Key), strings.ToLower(typed)) {
				out = append(out, cobra.CompletionWithDesc(r.Key, inert(r.Name)))
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeBuildings offers the buildings of the inventory.
func completeBuildings(a *app) completeFunc {
	return func(cmd *cobra.Command, _ []string, typed string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if !fileExists(a.dbPath) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx := cmd.Context()
		if ctx == nil {
			ctx = context.Background()
		}
		st, err := a.store(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		ls, err := st.Locations(ctx)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		for _, b := range buildings(ls) {
			if strings.HasPrefix(strings.ToLower(b), strings.ToLower(typed)) {
				out = append(out, b)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTargets offers the [[target]] names of the configuration.
func completeTargets(a *app) completeFunc {
	return func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		cfg, err := a.config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var out []cobra.Completion
		for _, t := range cfg.Targets {
			out = append(out, cobra.CompletionWithDesc(t.Name, t.Kind+" "+inert(t.URL)))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeWords offers a fixed set of values.
func completeWords(words ...string) completeFunc {
	return cobra.FixedCompletions(words, cobra.ShellCompDirectiveNoFileComp)
}

// registerCompletions attaches value completion to the flags that take
// rooms, buildings, targets, formats and profiles, wherever they appear.
func registerCompletions(a *app, root *cobra.Command) {
	byFlag := map[string]completeFunc{
		"room":     completeRooms(a),
		"building": completeBuildings(a),
		"target":   completeTargets(a),
		"profile":  completeWords("safe", "fast"),
	}
	formats := map[string][]string{
		"export":   {"csv", "json"},
		"generate": {"csv", "json"},
		"demo":     {"text", "html", "csv", "json"},
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for name, fn := range byFlag {
			if c.Flags().Lookup(name) != nil {
				if _, ok := c.GetFlagCompletionFunc(name); !ok {
					_ = c.RegisterFlagCompletionFunc(name, fn)
				}
			}
		}
		if c.Flags().Lookup("format") != nil {
			if _, ok := c.GetFlagCompletionFunc("format"); !ok {
				ws, ok := formats[c.Name()]
				if !ok {
					ws = []string{"text", "html", "csv", "json"}
				}
				_ = c.RegisterFlagCompletionFunc("format", completeWords(ws...))
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
