package sync

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

// DryRun prints what Push would send, using the state already stored: it
// neither reads the server nor changes anything.
func (e *Engine) DryRun(ctx context.Context, out io.Writer) (PushReport, error) {
	var rep PushReport
	plans, err := e.buildPlans(ctx)
	if err != nil {
		return rep, err
	}
	states, err := e.decide(ctx, plans)
	if err != nil {
		return rep, err
	}
	var ops []Op
	for _, p := range plans {
		rep.Entries += len(p.entries)
		for _, c := range p.raised {
			switch c.Resolution {
			case Open:
				rep.Conflicts++
				fmt.Fprintf(out, "conflict: %s %s: local %q, server %q (base %q) — would wait for a person\n",
					p.tag, c.Field, c.Local, c.Server, c.Base)
			case AutoLocal:
				rep.Overrides++
				fmt.Fprintf(out, "override: %s %s: laptop-owned, would replace server %q with %q\n", p.tag, c.Field, c.Server, c.Local)
			case AutoServer:
				rep.Overrides++
				fmt.Fprintf(out, "take: %s %s: server-owned, would take server %q over local %q\n", p.tag, c.Field, c.Server, c.Local)
			}
		}
		if p.needsServer() {
			ops = append(ops, p.op(states[p.tag]))
		}
	}
	rep.Ops = len(ops)
	if len(ops) == 0 {
		fmt.Fprintln(out, "nothing to send")
		return rep, nil
	}
	d, ok := e.Conn.(Describer)
	if !ok {
		for _, op := range ops {
			fmt.Fprintf(out, "%s %s set %s\n", op.ID, op.AssetTag, formatSet(op.Set))
		}
		return rep, nil
	}
	size := e.BatchSize
	if size <= 0 {
		size = e.Conn.MaxBatch()
	}
	for start := 0; start < len(ops); start += max(size, 1) {
		rep.Batches++
		if err := d.Describe(out, ops[start:min(start+max(size, 1), len(ops))]); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

func formatSet(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, m[k])
	}
	return b.String()
}
