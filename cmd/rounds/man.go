package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCmd generates man pages from the command tree (cobra's own
// generator), for packages: the release's before hook runs it.
func newManCmd(a *app) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "man",
		Short: "Write the man pages (rounds.1 and one per command)",
		Long: `Write the man pages generated from the commands' help: rounds.1 on standard
output, or with --dir DIR rounds.1 and one page per command (rounds-scan.1, ...)
in DIR. Packages install them under /usr/share/man/man1.`,
		Example: `  rounds man | man -l -
  rounds man --dir ./manpages`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			root := cmd.Root()
			hdr := &doc.GenManHeader{Title: "ROUNDS", Section: "1", Source: "rounds " + buildVersion().Version,
				Manual: "rounds manual"}
			// A fixed date keeps the pages reproducible between builds.
			if t, err := commitTime(); err == nil {
				hdr.Date = &t
			}
			root.DisableAutoGenTag = true
			if dir == "" {
				return doc.GenMan(root, hdr, a.stdout)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := doc.GenManTree(root, hdr, dir); err != nil {
				return fmt.Errorf("man pages in %s: %w", dir, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write every page into `DIR`")
	return cmd
}
