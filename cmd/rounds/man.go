package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// newManCmd generates man pages from the command tree, for packages: the
// release's before hook runs it.
//
// The pages are written as roff directly rather than with cobra/doc,
// which renders them through a Markdown converter: that pulled
// blackfriday, go-md2man and a YAML library into the binary, and
// blackfriday's package initialisation alone was 4% of every command's
// start (perf, `rounds devices --room`).
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
			h := manHeader{source: "rounds " + buildVersion().Version, date: time.Now()}
			// A fixed date keeps the pages reproducible between builds.
			if t, err := commitTime(); err == nil {
				h.date = t
			}
			if dir == "" {
				return writeMan(a.stdout, root, h)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := writeManTree(root, h, dir); err != nil {
				return fmt.Errorf("man pages in %s: %w", dir, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "write every page into `DIR`")
	return cmd
}

// manHeader is what the .TH line of every page says.
type manHeader struct {
	source string
	date   time.Time
}

// writeManTree writes a page for cmd and every available command below
// it, named like rounds-config-check.1.
func writeManTree(cmd *cobra.Command, h manHeader, dir string) error {
	for _, c := range cmd.Commands() {
		if !c.IsAvailableCommand() || c.IsAdditionalHelpTopicCommand() {
			continue
		}
		if err := writeManTree(c, h, dir); err != nil {
			return err
		}
	}
	name := strings.ReplaceAll(cmd.CommandPath(), " ", "-") + ".1"
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := writeMan(f, cmd, h); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeMan writes cmd's page: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, the
// options inherited from parent commands, EXAMPLE and SEE ALSO.
func writeMan(w io.Writer, cmd *cobra.Command, h manHeader) error {
	cmd.InitDefaultHelpFlag()
	bw := bufio.NewWriter(w)
	dashed := strings.ReplaceAll(cmd.CommandPath(), " ", "-")
	fmt.Fprintf(bw, ".nh\n.TH %s %s %s %s %s\n", roffQuote("ROUNDS"), roffQuote("1"),
		roffQuote(h.date.Format("Jan 2006")), roffQuote(h.source), roffQuote("rounds manual"))
	fmt.Fprintf(bw, ".SH NAME\n%s \\- %s\n", roffText(dashed), roffText(cmd.Short))
	fmt.Fprintf(bw, ".SH SYNOPSIS\n\\fB%s\\fP\n", roffText(cmd.UseLine()))
	desc := cmd.Long
	if desc == "" {
		desc = cmd.Short
	}
	bw.WriteString(".SH DESCRIPTION\n")
	roffParagraphs(bw, desc)
	if fs := cmd.NonInheritedFlags(); fs.HasAvailableFlags() {
		bw.WriteString(".SH OPTIONS\n")
		roffFlags(bw, fs)
	}
	if fs := cmd.InheritedFlags(); fs.HasAvailableFlags() {
		bw.WriteString(".SH OPTIONS INHERITED FROM PARENT COMMANDS\n")
		roffFlags(bw, fs)
	}
	if cmd.Example != "" {
		bw.WriteString(".SH EXAMPLE\n.PP\n.RS\n.nf\n")
		for _, l := range strings.Split(strings.TrimRight(cmd.Example, "\n"), "\n") {
			bw.WriteString(roffLine(l) + "\n")
		}
		bw.WriteString(".fi\n.RE\n")
	}
	var see []string
	if cmd.HasParent() {
		see = append(see, strings.ReplaceAll(cmd.Parent().CommandPath(), " ", "-")+"(1)")
	}
	children := slices.Clone(cmd.Commands())
	slices.SortFunc(children, func(a, b *cobra.Command) int { return strings.Compare(a.Name(), b.Name()) })
	for _, c := range children {
		if c.IsAvailableCommand() && !c.IsAdditionalHelpTopicCommand() {
			see = append(see, dashed+"-"+c.Name()+"(1)")
		}
	}
	if len(see) > 0 {
		bw.WriteString(".SH SEE ALSO\n")
		for i, s := range see {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.WriteString("\\fB" + roffText(s) + "\\fP")
		}
		bw.WriteString("\n")
	}
	return bw.Flush()
}

// roffFlags lists flags as tagged paragraphs: the names and default in
// bold, the usage below.
func roffFlags(w *bufio.Writer, fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Deprecated != "" || f.Hidden {
			return
		}
		names := "\\fB\\-\\-" + roffText(f.Name) + "\\fP"
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			names = "\\fB\\-" + roffText(f.Shorthand) + "\\fP, " + names
		}
		def := f.DefValue
		if f.Value.Type() == "string" {
			def = fmt.Sprintf("%q", def)
		}
		if f.NoOptDefVal != "" {
			names += "[=" + roffText(def) + "]"
		} else {
			names += "=" + roffText(def)
		}
		_, usage := pflag.UnquoteUsage(f)
		fmt.Fprintf(w, ".TP\n%s\n%s\n", names, roffLine(usage))
	})
}

// roffParagraphs writes text with its blank lines as paragraph breaks.
// Lines are filled as man does, except that an indented line or a list
// item ("- ", "* ") starts on a line of its own.
func roffParagraphs(w *bufio.Writer, text string) {
	w.WriteString(".PP\n")
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch t := strings.TrimSpace(l); {
		case t == "":
			w.WriteString(".PP\n")
			continue
		case strings.TrimLeft(l, " \t") != l, strings.HasPrefix(t, "- "), strings.HasPrefix(t, "* "):
			w.WriteString(".br\n")
		}
		w.WriteString(roffLine(l) + "\n")
	}
}

// roffText escapes the characters roff gives a meaning inside a line:
// the backslash, and hyphens (written \- so that they stay hyphens and
// can be searched for).
func roffText(s string) string {
	return strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
}

// roffLine is roffText for a whole input line: a line starting with a dot
// or an apostrophe would be read as a request.
func roffLine(s string) string {
	s = roffText(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

// roffQuote is a quoted argument of a request.
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffText(s), `"`, `""`) + `"`
}
