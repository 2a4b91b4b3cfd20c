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
	push, pull, dryRun, conflicts, all, status, jsonOut bool
	target                                              string
	resolve                                             []string
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
	f.StringVar(&o.target, "target", "", "target `NAME` from the configuration file")
	f.BoolVar(&o.jsonOut, "json", false, "print JSON")
	return cmd
}

func runSync(ctx context.Context, a *app, o syncOptions) error {
	modes := 0
	for _, b := range []bool{o.dryRun, o.conflicts || len(o.resolve) > 0, o.status} {
		if b {
			modes++
		}
	}
	if modes > 1 || (modes == 1 && (o.push || o.pull)) {
		return usagef("--dry-run, --conflicts/--resolve and --status each go alone (with --target and --json)")
	}
	cfg, err := a.config()
	if err != nil {
		return err
	}
	t, err := cfg.Target(o.target)
	if err != nil {
		return usageError{err}
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
	eng, err := newEngine(ctx, st, t, secret.Source{Keyring: secret.OSKeyring{}})
	if err == nil {
		eng.Actor = a.technician()
	}
	if err != nil {
		return err
	}
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
		a.log.Info("sync: " + msg)
		switch mode {
		case progressBar:
			fmt.Fprintln(a.stderr, inert(msg))
		case progressJSON:
			b, _ := json.Marshal(map[string]string{"progress": "sync " + t.Name, "message": msg})
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

// newEngine builds the engine and connector for a target.
func newEngine(ctx context.Context, st *store.Store, t config.Target, src secret.Source) (*sync.Engine, error) {
	opt := func(k string) string { return t.Options[k] }
	conn, err := newConnector(ctx, t, src)
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

// optionMap reads "k=v,k=v" options (status_map) and field.NAME options.
func optionMap(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want KEY=VALUE", kv)
		}
		out[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return out, nil
}

func fieldOptions(t config.Target, defaults map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range defaults {
		out[k] = v
	}
	for k, v := range t.Options {
		if f, ok := strings.CutPrefix(k, "field."); ok {
			out[f] = v
		}
	}
	return out
}

func newConnector(ctx context.Context, t config.Target, src secret.Source) (sync.Connector, error) {
	// An option the connector does not read is a typo that would change
	// nothing silently: refuse it.
	if err := checkTargetOptions(t); err != nil {
		return nil, fmt.Errorf("target %s: %w", t.Name, err)
	}
	opt := func(k string) string { return t.Options[k] }
	dur := func(k string) (time.Duration, error) {
		if opt(k) == "" {
			return 0, nil
		}
		d, err := time.ParseDuration(opt(k))
		if err != nil {
			return 0, fmt.Errorf("target %s: option %s: %w", t.Name, k, err)
		}
		return d, nil
	}
	num := func(k string) (int, error) {
		if opt(k) == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(opt(k))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("target %s: option %s = %q: want a number", t.Name, k, opt(k))
		}
		return n, nil
	}
	client := func(auth transport.Auth, perMinute float64, extra ...secret.Secret) (*transport.Client, error) {
		timeout, err := dur("timeout")
		if err != nil {
			return nil, err
		}
		if v := opt("rate_per_minute"); v != "" {
			if perMinute, err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("target %s: option rate_per_minute: %w", t.Name, err)
			}
		}
		return transport.New(transport.Config{BaseURL: t.URL, CAFile: opt("ca_file"), Auth: auth, Timeout: timeout,
			PerMinute: perMinute, UserAgent: "rounds/" + buildVersion().Version, Secrets: extra})
	}
	switch t.Kind {
	case "servicenow":
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
			if err != nil {
				// No ready token: ask the instance for one.
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
				if tok, err = servicenow.OAuthToken(ctx, tc, src.Value(t.Name, "client_id", t.Options), cs, user, pass); err != nil {
					return nil, err
				}
			}
			auth = transport.Bearer(tok)
		default:
			return nil, fmt.Errorf("target %s: option auth = %q: want basic or oauth", t.Name, opt("auth"))
		}
		cl, err := client(auth, 0)
		if err != nil {
			return nil, err
		}
		c := servicenow.Config{Client: cl, Table: opt("table"), Class: opt("class"), SourceName: opt("source_name"),
			Query: opt("query"), Fields: fieldOptions(t, servicenow.DefaultFields)}
		if c.Overlap, err = dur("overlap"); err != nil {
			return nil, err
		}
		for k, dst := range map[string]*int{"page_size": &c.PageSize, "items_per_payload": &c.ItemsPerPayload,
			"payloads_per_batch": &c.PayloadsPerBatch} {
			if *dst, err = num(k); err != nil {
				return nil, err
			}
		}
		if v := opt("status_map"); v != "" {
			if c.Status, err = optionMap(v); err != nil {
				return nil, fmt.Errorf("target %s: option status_map: %w", t.Name, err)
			}
		}
		return servicenow.New(c)
	case "snipeit":
		tok, err := src.Lookup(t.Name, "token", t.Options)
		if err != nil {
			return nil, err
		}
		cl, err := client(transport.Bearer(tok), 120)
		if err != nil {
			return nil, err
		}
		c := snipeit.Config{Client: cl, Fields: fieldOptions(t, snipeit.DefaultFields)}
		if c.Overlap, err = dur("overlap"); err != nil {
			return nil, err
		}
		if c.PageSize, err = num("page_size"); err != nil {
			return nil, err
		}
		if v := opt("timezone"); v != "" {
			if c.Location, err = time.LoadLocation(v); err != nil {
				return nil, fmt.Errorf("target %s: option timezone: %w", t.Name, err)
			}
		}
		if v := opt("status_map"); v != "" {
			if c.Status, err = optionMap(v); err != nil {
				return nil, fmt.Errorf("target %s: option status_map: %w", t.Name, err)
			}
		}
		return snipeit.New(c)
	case "file":
		return exchange.New(exchange.Config{Dir: opt("dir"), Format: opt("format"), Import: opt("import")})
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
