package servicenow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/sync"
)

// resolveRefs finds the sys_ids of referenced names the ops need and not
// yet known, with one query per table and 100 names.
func (c *Connector) resolveRefs(ctx context.Context, ops []sync.Op) error {
	need := map[string]map[string]bool{}
	for _, op := range ops {
		for f, v := range op.Set {
			col := c.cfg.Fields[f]
			t, ok := c.cfg.Refs[col]
			if !ok || v == "" || !queryable(v) {
				continue
			}
			if _, ok := c.cached(t, v); ok {
				continue
			}
			if need[t] == nil {
				need[t] = map[string]bool{}
			}
			need[t][v] = true
		}
	}
	tables := make([]string, 0, len(need))
	for t := range need {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		var names []string
		for n := range need[t] {
			names = append(names, n)
		}
		sort.Strings(names)
		for len(names) > 0 {
			part := names[:min(100, len(names))]
			names = names[len(part):]
			rows, err := c.list(ctx, t, url.Values{"sysparm_query": {"nameIN" + strings.Join(part, ",")},
				"sysparm_fields": {"sys_id,name"}, "sysparm_limit": {strconv.Itoa(len(part) * 2)}})
			if err != nil {
				return err
			}
			for _, row := range rows {
				c.learn(t, row["name"], row["sys_id"])
			}
		}
	}
	return nil
}

// item is one IRE item and the op it serves.
type item struct {
	op     int
	values map[string]string
	notes  string
}

// build converts an op to IRE values, or explains why it cannot be sent.
func (c *Connector) build(op sync.Op) (map[string]string, string, string) {
	vals := map[string]string{"asset_tag": op.AssetTag}
	if op.RemoteID != "" {
		vals["sys_id"] = op.RemoteID
	}
	fields := make([]string, 0, len(op.Set))
	for f := range op.Set {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		v := op.Set[f]
		col := c.cfg.Fields[f]
		if col == "" || col == "-" {
			continue
		}
		if t, ok := c.cfg.Refs[col]; ok && v != "" {
			id, ok := c.cached(t, v)
			if !ok {
				return nil, "", fmt.Sprintf("%s %q does not exist in ServiceNow table %s", f, v, t)
			}
			v = id
		}
		switch f {
		case sync.FieldStatus:
			code, ok := c.cfg.Status[v]
			if !ok {
				return nil, "", fmt.Sprintf("status %q has no install_status code; map it with the target option status_map", v)
			}
			v = code
		case sync.FieldLastSeen:
			if t, err := time.Parse(time.RFC3339, v); err == nil {
				v = t.UTC().Format(stamp)
			}
		}
		vals[col] = v
	}
	if op.Create {
		if _, ok := vals["name"]; !ok {
			vals["name"] = op.AssetTag
		}
	}
	notes := ""
	if col := c.cfg.Fields[sync.FieldNotes]; col != "" && col != "-" && len(op.Notes) > 0 {
		log, appended := op.Server[sync.FieldNotes], false
		for _, n := range op.Notes {
			marker := "[rounds:" + n.ID + "]"
			if strings.Contains(log, marker) {
				continue // delivered by an earlier attempt
			}
			if log != "" && !strings.HasSuffix(log, "\n") {
				log += "\n"
			}
			log += n.At.UTC().Format("2006-01-02") + " " + n.Actor + ": " + n.Text + " " + marker
			appended = true
		}
		if appended {
			vals[col] = log
			notes = log
		}
	}
	return vals, notes, ""
}

// resolveIDs finds the sys_id of ops that update a CI rounds has no id
// for (known from an import, not a pull): the IRE identifies a CI by its
// identification rule (serial number, name), not by asset tag, so an
// item carrying only the tag and a field would not match. ops is updated
// in place; a CI not found is left for the IRE to refuse clearly.
func (c *Connector) resolveIDs(ctx context.Context, ops []sync.Op) error {
	var tags []string
	for _, op := range ops {
		if op.RemoteID == "" && !op.Create {
			tags = append(tags, op.AssetTag)
		}
	}
	if len(tags) == 0 {
		return nil
	}
	recs, err := c.Fetch(ctx, tags)
	if err != nil {
		var fe *sync.FetchError
		if !errors.As(err, &fe) {
			return err
		}
	}
	ids := map[string]string{}
	for _, r := range recs {
		ids[r.AssetTag] = r.RemoteID
	}
	for i := range ops {
		if ops[i].RemoteID == "" && !ops[i].Create {
			ops[i].RemoteID = ids[ops[i].AssetTag]
		}
	}
	return nil
}

// writes reports whether IRE values hold more than identification.
func writes(vals map[string]string) bool {
	for k := range vals {
		if k != "asset_tag" && k != "sys_id" {
			return true
		}
	}
	return false
}

// request is one Batch API call being prepared.
type request struct {
	payloads [][]item
}

// Push sends ops as IRE payloads grouped in Batch API calls.
func (c *Connector) Push(ctx context.Context, ops []sync.Op) ([]sync.Result, error) {
	if err := c.resolveRefs(ctx, ops); err != nil {
		return nil, err
	}
	if err := c.resolveIDs(ctx, ops); err != nil {
		return nil, err
	}
	res := make([]sync.Result, len(ops))
	var items []item
	for i, op := range ops {
		res[i] = sync.Result{ID: op.ID, Outcome: sync.Retry, RemoteID: op.RemoteID}
		vals, notes, why := c.build(op)
		if why != "" {
			res[i].Outcome, res[i].Message = sync.Rejected, why
			continue
		}
		if !writes(vals) && !op.Create && notes == "" {
			// Only identification: nothing to write.
			res[i].Outcome = sync.Acked
			continue
		}
		items = append(items, item{op: i, values: vals, notes: notes})
	}
	for len(items) > 0 {
		var batch request
		for len(items) > 0 && len(batch.payloads) < c.cfg.PayloadsPerBatch {
			n := min(c.cfg.ItemsPerPayload, len(items))
			batch.payloads = append(batch.payloads, items[:n])
			items = items[n:]
		}
		isolate, err := c.send(ctx, ops, batch, res)
		if err != nil {
			return nil, err
		}
		if len(isolate) > 0 {
			// A payload refused as a whole: send its items one by one to
			// find the culprit.
			var single request
			for _, it := range isolate {
				single.payloads = append(single.payloads, []item{it})
			}
			if _, err := c.send(ctx, ops, single, res); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// Describe writes the requests Push would send for ops, bodies decoded.
// Reference names not yet known are shown as the lookup they need.
func (c *Connector) Describe(w io.Writer, ops []sync.Op) error {
	var items []item
	for i, op := range ops {
		for f, v := range op.Set {
			col := c.cfg.Fields[f]
			if t, ok := c.cfg.Refs[col]; ok && v != "" {
				if _, known := c.cached(t, v); !known {
					fmt.Fprintf(w, "GET /api/now/table/%s?sysparm_query=name=%s (look up the sys_id)\n", t, v)
					c.learn(t, v, "<sys_id of "+t+" "+v+">")
				}
			}
		}
		vals, notes, why := c.build(op)
		if why != "" {
			fmt.Fprintf(w, "# %s %s: would be rejected: %s\n", op.ID, op.AssetTag, why)
			continue
		}
		items = append(items, item{op: i, values: vals, notes: notes})
	}
	if len(items) == 0 {
		return nil
	}
	var batch request
	for len(items) > 0 {
		n := min(c.cfg.ItemsPerPayload, len(items))
		batch.payloads = append(batch.payloads, items[:n])
		items = items[n:]
	}
	fmt.Fprintf(w, "POST /api/now/v1/batch  (%d IRE payloads; bodies shown decoded, base64 on the wire)\n", len(batch.payloads))
	for k, p := range batch.payloads {
		b, err := c.payload(ops, p)
		if err != nil {
			return err
		}
		var pretty any
		json.Unmarshal(b, &pretty)
		out, _ := json.MarshalIndent(pretty, "  ", "  ")
		fmt.Fprintf(w, "  [%d] POST /api/now/identifyreconcile?sysparm_data_source=%s\n  %s\n", k, url.QueryEscape(c.cfg.SourceName), out)
	}
	return nil
}
