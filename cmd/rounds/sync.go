package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/store"
	"github.com/biomed-rounds/rounds/sync"
	"github.com/biomed-rounds/rounds/sync/exchange"
	"github.com/biomed-rounds/rounds/sync/secret"
	"github.com/biomed-rounds/rounds/sync/servicenow"
	"github.com/biomed-rounds/rounds/sync/snipeit"
	"github.com/biomed-rounds/rounds/sync/transport"
)

type syncOptions struct {
	push, pull, dryRun, conflicts, all, status, jsonOut, check bool
	target                                                     string
	resolve                                                    []string
}

func newSyncCmd(a *app) *cobra.Command {
	var o syncOptions
	cmd := &cobra.Command{
		Use:   "sync",
		Short: "Push queued changes to the CMDB and pull what changed centrally",
		Long: `Sync the inventory with a CMDB target of the configuration file ([[target]],
kind servicenow, snipeit or file). Without --push or --pull it does both: pull
first, so that local changes are merged against the latest central values,
then push.

A field changed on both sides since the last sync is settled by ownership
(model and financial fields: the CMDB wins; observed location, last seen and
audit facts: the laptop wins; both are recorded) or kept as a conflict until
a person chooses: --conflicts lists them (and asks, on a terminal), --resolve
ID=local|server settles one without asking.

Credentials come from the OS keyring (service "rounds", user TARGET/KIND) or
the environment (ROUNDS_TARGET_KIND, for example ROUNDS_SNOW_PASSWORD); they
are never stored in the database or printed. See docs/sync.md.`,
		Example: `  rounds sync
  rounds sync --check
  rounds sync --target snow --dry-run
  rounds sync --conflicts
  rounds sync --resolve 12=server --resolve 13=local
  rounds sync --status --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSync(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.push, "push", false, "push queued changes only")
	f.BoolVar(&o.pull, "pull", false, "pull central changes only")
	f.BoolVar(&o.dryRun, "dry-run", false, "print exactly what a push would send, send nothing")
	f.BoolVar(&o.conflicts, "conflicts", false, "list open conflicts and, on a terminal, choose for each")
	f.BoolVar(&o.all, "all", false, "with --conflicts: also list resolved conflicts and ownership decisions")
	f.StringArrayVar(&o.resolve, "resolve", nil, "settle conflict `ID=local|server` (repeatable)")
	f.BoolVar(&o.status, "status", false, "show queued changes, conflicts, issues and the last runs")
	f.BoolVar(&o.check, "check", false, "connect, read only, and say what will and will not work with this instance")
	f.StringVar(&o.target, "target", "", "target `NAME` from the configuration file")
	f.BoolVar(&o.jsonOut, "json", false, "print JSON")
	return cmd
}

func runSync(ctx context.Context, a *app, o syncOptions) (err error) {
	// Errors carry server text (messages, echoed values): print them
	// inert, keeping the chain for the exit code.
	defer func() {
		if err != nil {
			err = inertError{err}
		}
	}()
	modes := 0
	for _, b := range []bool{o.dryRun, o.conflicts || len(o.resolve) > 0, o.status, o.check} {
		if b {
			modes++
		}
	}
	if modes > 1 || (modes == 1 && (o.push || o.pull)) {
		return usagef("--dry-run, --conflicts/--resolve, --status and --check each go alone (with --target and --json)")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	t, err := cfg.Target(o.target)
	if err != nil {
		return usageError{err}
	}
	if o.check {
		return syncCheck(ctx, a, t, o)
	}
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	switch {
	case o.status:
		return printSyncStatus(ctx, a, st, t, o)
	case o.conflicts || len(o.resolve) > 0:
		return syncConflicts(ctx, a, st, t, o)
	}
	eng, err := newEngine(ctx, st, t, secret.Source{Keyring: secret.OSKeyring{}}, a.stderr)
	if err != nil {
		return err
	}
	eng.Actor = a.technician()
	if o.dryRun {
		var out io.Writer = a.stdout
		if o.jsonOut {
			out = io.Discard
		}
		rep, err := eng.DryRun(ctx, out)
		if err != nil {
			return err
		}
		if o.jsonOut {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"dry_run": rep})
		}
		return nil
	}
	pull, push := o.pull || !o.push, o.push || !o.pull
	// Progress: lines on a terminal, JSON lines on stderr with --json,
	// nothing in a pipe or with --quiet; always in the log file.
	mode := a.progressModeFor(o.jsonOut)
	eng.Log = func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		a.log.Info("sync: " + inert(msg))
		switch mode {
		case progressBar:
			fmt.Fprintln(a.stderr, inert(msg))
		case progressJSON:
			b, _ := json.Marshal(map[string]string{"progress": "sync " + t.Name, "message": inert(msg)})
			fmt.Fprintf(a.stderr, "%s\n", b)
		}
	}
	pr, ps, err := eng.Sync(ctx, pull, push)
	// Finishing with open conflicts or changes the CMDB refused is not a
	// success a script may ignore: exit 3.
	if err == nil {
		rejected := 0
		if push {
			rejected = ps.Rejected
		}
		if s, serr := sync.ReadStatus(ctx, st, t.Name); serr == nil && (s.OpenConflicts > 0 || rejected > 0) {
			err = attentionError{fmt.Sprintf("sync finished with %d open conflicts and %d rejected changes (rounds sync --conflicts, rounds sync --status)",
				s.OpenConflicts, rejected)}
		}
	}
	a.log.Info("sync", "target", t.Name, "pull", pull, "push", push, "err", err)
	if o.jsonOut {
		out := map[string]any{}
		if pull {
			out["pull"] = pr
		}
		if push {
			out["push"] = ps
		}
		if s, serr := sync.ReadStatus(ctx, st, t.Name); serr == nil {
			out["status"] = s
		}
		if jerr := json.NewEncoder(a.stdout).Encode(out); jerr != nil && err == nil {
			err = jerr
		}
	} else if s, serr := sync.ReadStatus(ctx, st, t.Name); serr == nil && (s.OpenConflicts > 0 || s.Issues > 0) {
		fmt.Fprintf(a.stdout, "%d open conflicts (rounds sync --conflicts), %d pull issues (rounds sync --status)\n",
			s.OpenConflicts, s.Issues)
	}
	return err
}

// newEngine builds the engine and connector for a target. Warnings (plain
// http allowed, a secret in the configuration file) go to warn on every
// run.
func newEngine(ctx context.Context, st *store.Store, t config.Target, src secret.Source, warn io.Writer) (*sync.Engine, error) {
	opt := func(k string) string { return t.Options[k] }
	conn, err := newConnector(ctx, t, src, warn)
	if err != nil {
		return nil, err
	}
	eng := &sync.Engine{Store: st, Target: t.Name, Conn: conn, Actor: loginActor()}
	if v := opt("ownership"); v != "" {
		if eng.Owners, err = sync.ParseOwnership(v); err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
	}
	for k, dst := range map[string]*int{"concurrency": &eng.Concurrency, "batch_size": &eng.BatchSize} {
		if v := opt(k); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return nil, fmt.Errorf("target %s: option %s = %q: want a positive number", t.Name, k, v)
			}
			*dst = n
		}
	}
	return eng, nil
}

// newConnector builds a target's connector. Each connector package parses
// its own options (and refuses unknown keys); the HTTP client and the
// credentials are built here from the common options.
func newConnector(ctx context.Context, t config.Target, src secret.Source, warn io.Writer) (sync.Connector, error) {
	o := sync.Options{Target: t.Name, Kind: t.Kind, Values: t.Options}
	opt := o.String
	if keys := secret.InFile(t.Options); len(keys) > 0 {
		fmt.Fprintf(warn, "warning: target %s: option %s holds a secret in the configuration file; rounds ignores it: "+
			"move it to the keyring or the environment, remove it from the file, and change it\n", inert(t.Name), strings.Join(keys, ", "))
	}
	insecure := false
	if v := opt("allow_insecure_http"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("target %s: option allow_insecure_http = %q: want true or false", t.Name, v)
		}
		insecure = b
	}
	if insecure && strings.HasPrefix(strings.ToLower(t.URL), "http:") {
		fmt.Fprintf(warn, "warning: target %s uses plain http (allow_insecure_http = true): credentials and inventory cross the network in clear\n", inert(t.Name))
	}
	client := func(auth transport.Auth, perMinute float64, extra ...secret.Secret) (*transport.Client, error) {
		timeout, err := o.Duration("timeout")
		if err != nil {
			return nil, err
		}
		if v := opt("rate_per_minute"); v != "" {
			if perMinute, err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("target %s: option rate_per_minute: %w", t.Name, err)
			}
		}
		cl, err := transport.New(transport.Config{BaseURL: t.URL, CAFile: opt("ca_file"), Auth: auth, Timeout: timeout,
			PerMinute: perMinute, UserAgent: "rounds/" + buildVersion().Version, Secrets: extra, AllowInsecureHTTP: insecure})
		if err != nil {
			return nil, fmt.Errorf("target %s: %w", t.Name, err)
		}
		return cl, nil
	}
	switch t.Kind {
	case "servicenow":
		c, err := servicenow.ParseOptions(o)
		if err != nil {
			return nil, err
		}
		var auth transport.Auth
		switch opt("auth") {
		case "", "basic":
			user := src.Value(t.Name, "user", t.Options)
			if user == "" {
				return nil, fmt.Errorf("target %s: no user: set option user or %s", t.Name, secret.EnvName(t.Name, "user"))
			}
			pass, err := src.Lookup(t.Name, "password", t.Options)
			if err != nil {
				return nil, err
			}
			auth = transport.Basic(user, pass)
		case "oauth":
			tok, err := src.Lookup(t.Name, "token", t.Options)
			if err == nil {
				auth = transport.Bearer(tok)
				break
			}
			// No ready token: ask the instance for tokens, renewed as they
			// expire.
			cs, cerr := src.Lookup(t.Name, "client_secret", t.Options)
			if cerr != nil {
				return nil, fmt.Errorf("target %s: OAuth needs a token or a client_secret: %w", t.Name, err)
			}
			user := src.Value(t.Name, "user", t.Options)
			var pass secret.Secret
			if user != "" {
				if pass, err = src.Lookup(t.Name, "password", t.Options); err != nil {
					return nil, err
				}
			}
			tc, err := client(nil, 0, cs, pass)
			if err != nil {
				return nil, err
			}
			auth = servicenow.OAuth(tc, src.Value(t.Name, "client_id", t.Options), cs, user, pass, nil)
		default:
			return nil, fmt.Errorf("target %s: option auth = %q: want basic or oauth", t.Name, opt("auth"))
		}
		if c.Client, err = client(auth, 0); err != nil {
			return nil, err
		}
		return servicenow.New(c)
	case "snipeit":
		c, err := snipeit.ParseOptions(o)
		if err != nil {
			return nil, err
		}
		tok, err := src.Lookup(t.Name, "token", t.Options)
		if err != nil {
			return nil, err
		}
		if c.Client, err = client(transport.Bearer(tok), 120); err != nil {
			return nil, err
		}
		return snipeit.New(c)
	case "file":
		c, err := exchange.ParseOptions(o)
		if err != nil {
			return nil, err
		}
		return exchange.New(c)
	}
	return nil, fmt.Errorf("target %s: kind %q: want servicenow, snipeit or file", t.Name, t.Kind)
}

func printSyncStatus(ctx context.Context, a *app, st *store.Store, t config.Target, o syncOptions) error {
	s, err := sync.ReadStatus(ctx, st, t.Name)
	if err != nil {
		return err
	}
	issues, err := sync.Issues(ctx, st, t.Name)
	if err != nil {
		return err
	}
	if o.jsonOut {
		return json.NewEncoder(a.stdout).Encode(map[string]any{"status": s, "issues": issues})
	}
	run := func(r sync.Run) string {
		if r.At.IsZero() {
			return "never"
		}
		out := r.At.Local().Format("2006-01-02 15:04")
		if r.Error != "" {
			out += " failed: " + inert(r.Error)
		}
		return out
	}
	fmt.Fprintf(a.stdout, "target %s (%s)\n", inert(t.Name), t.Kind)
	fmt.Fprintf(a.stdout, "queued changes  %d (pending %d, in flight %d)\n", s.Queued, s.Journal[store.StatePending], s.Journal[store.StateInFlight])
	fmt.Fprintf(a.stdout, "delivered       %d, rejected %d, in conflict %d\n", s.Journal[store.StateAcked],
		s.Journal[store.StateRejected], s.Journal[store.StateConflict])
	fmt.Fprintf(a.stdout, "open conflicts  %d (resolutions to send: %d)\n", s.OpenConflicts, s.Undelivered)
	fmt.Fprintf(a.stdout, "last pull       %s\nlast push       %s\n", run(s.LastPull), run(s.LastPush))
	if len(issues) > 0 {
		fmt.Fprintf(a.stdout, "pull issues     %d:\n", len(issues))
		for i, is := range issues {
			if i == 20 {
				fmt.Fprintf(a.stdout, "  ... and %d more (--json lists all)\n", len(issues)-20)
				break
			}
			fmt.Fprintf(a.stdout, "  %s %s: %s\n", inert(is.AssetTag), inert(is.Field), inert(is.Message))
		}
	}
	rej, err := st.Journal(ctx, store.JournalQuery{States: []store.EntryState{store.StateRejected}})
	if err == nil && len(rej) > 0 {
		fmt.Fprintln(a.stdout, "rejected changes:")
		for _, e := range rej {
			fmt.Fprintf(a.stdout, "  #%d %s %s: %s\n", e.Seq, inert(e.AssetTag), e.Op, inert(e.LastError))
		}
	}
	return nil
}

func syncConflicts(ctx context.Context, a *app, st *store.Store, t config.Target, o syncOptions) error {
	who := a.technician()
	for _, r := range o.resolve {
		idStr, choice, ok := strings.Cut(r, "=")
		id, err := strconv.ParseInt(idStr, 10, 64)
		if !ok || err != nil || (choice != "local" && choice != "server") {
			return usagef("--resolve %q: want ID=local or ID=server", r)
		}
		if err := sync.Resolve(ctx, st, t.Name, id, sync.Resolution(choice), who, time.Now()); err != nil {
			return err
		}
		if !o.jsonOut {
			fmt.Fprintf(a.stdout, "conflict %d: keeping the %s value\n", id, choice)
		}
	}
	if len(o.resolve) > 0 && !o.conflicts {
		if o.jsonOut {
			return json.NewEncoder(a.stdout).Encode(map[string]any{"resolved": len(o.resolve)})
		}
		fmt.Fprintln(a.stdout, "the next sync sends the values kept locally")
		return nil
	}
	cs, err := sync.Conflicts(ctx, st, t.Name, o.all)
	if err != nil {
		return err
	}
	if o.jsonOut {
		if cs == nil {
			cs = []sync.Conflict{}
		}
		return json.NewEncoder(a.stdout).Encode(cs)
	}
	if len(cs) == 0 {
		fmt.Fprintln(a.stdout, "no open conflicts")
		return nil
	}
	f, isFile := a.stdin.(*os.File)
	if o.all || !isFile || !isTerminal(f) {
		tw := tabwriter.NewWriter(a.stdout, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tASSET TAG\tFIELD\tBASE\tLOCAL\tSERVER\tSTATE")
		for _, c := range cs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, inert(c.AssetTag), c.Field, show(c.Base), show(c.Local),
				show(c.Server), c.Resolution)
		}
		tw.Flush()
		if !o.all {
			fmt.Fprintln(a.stdout, "settle with: rounds sync --resolve ID=local|server")
		}
		return nil
	}
	in := bufio.NewReader(a.stdin)
	for i, c := range cs {
		fmt.Fprintf(a.stdout, "\n[%d/%d] conflict %d: %s %s\n  was     %s\n  local   %s\n  server  %s\n",
			i+1, len(cs), c.ID, inert(c.AssetTag), c.Field, show(c.Base), show(c.Local), show(c.Server))
		for {
			fmt.Fprint(a.stdout, "keep [l]ocal, [s]erver, decide [n]ext time, [q]uit? ")
			line, err := in.ReadString('\n')
			if err != nil && line == "" {
				return nil
			}
			var choice sync.Resolution
			switch strings.ToLower(strings.TrimSpace(line)) {
			case "l", "local":
				choice = sync.KeepLocal
			case "s", "server":
				choice = sync.KeepServer
			case "n", "next", "":
			case "q", "quit":
				return nil
			default:
				continue
			}
			if choice != "" {
				if err := sync.Resolve(ctx, st, t.Name, c.ID, choice, who, time.Now()); err != nil && !errors.Is(err, sync.ErrNoConflict) {
					// A newer queued change, say: tell and go on.
					fmt.Fprintf(a.stdout, "  not resolved: %s\n", inert(err.Error()))
				}
			}
			break
		}
	}
	return nil
}

// show quotes a value for a table, inert, and marks empty ones.
func show(v string) string {
	if v == "" {
		return "(empty)"
	}
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return inert(v)
}

// syncCheck connects to a target, reads only, and prints what will and
// will not work with this instance.
func syncCheck(ctx context.Context, a *app, t config.Target, o syncOptions) error {
	conn, err := newConnector(ctx, t, secret.Source{Keyring: secret.OSKeyring{}}, a.stderr)
	if err != nil {
		return err
	}
	ch, ok := conn.(sync.Checker)
	if !ok {
		fmt.Fprintf(a.stdout, "target %s (%s): nothing to check\n", inert(t.Name), t.Kind)
		return nil
	}
	caps, err := ch.Check(ctx)
	if err != nil {
		return fmt.Errorf("target %s: check: %w", t.Name, err)
	}
	if o.jsonOut {
		return json.NewEncoder(a.stdout).Encode(map[string]any{"target": t.Name, "kind": t.Kind, "capabilities": caps})
	}
	fmt.Fprintf(a.stdout, "target %s (%s) %s\n", inert(t.Name), t.Kind, inert(t.URL))
	for _, c := range caps {
		mark := "ok "
		if !c.OK {
			mark = "NO "
		}
		fmt.Fprintf(a.stdout, "  %s %s: %s\n", mark, inert(c.Name), inert(c.Detail))
	}
	return nil
}

// inertError prints its cause with escape sequences and control
// characters neutralised.
type inertError struct{ err error }

func (e inertError) Error() string { return inert(e.err.Error()) }
func (e inertError) Unwrap() error { return e.err }
