package snfake

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

func (s *Server) getOne(w http.ResponseWriter, name, id string, q url.Values) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Gets++
	r, ok := s.tbl(name).rows[id]
	if !ok {
		writeError(w, http.StatusNotFound, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": s.render(name, r, fieldList(q))})
}

func fieldList(q url.Values) []string {
	f := q.Get("sysparm_fields")
	if f == "" {
		return nil
	}
	return strings.Split(f, ",")
}

// render selects fields, dot-walking references ("location.name").
func (s *Server) render(tableName string, r Record, fields []string) map[string]string {
	out := map[string]string{}
	if fields == nil {
		for k, v := range r {
			out[k] = v
		}
		return out
	}
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if ref, sub, ok := strings.Cut(f, "."); ok && tableName == s.ciTable() {
			out[f] = s.tbl(References[ref]).rows[r[ref]][sub]
			continue
		}
		out[f] = r[f]
	}
	return out
}

// list serves GET /api/now/table/{name}.
func (s *Server) list(w http.ResponseWriter, name string, u *url.URL) {
	q := u.Query()
	cond, orders, lower, err := parseQuery(q.Get("sysparm_query"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "Invalid query", err.Error())
		return
	}
	limit := 10000
	if v := q.Get("sysparm_limit"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			limit = n
		}
	}
	offset, _ := strconv.Atoi(q.Get("sysparm_offset"))
	noCount := q.Get("sysparm_no_count") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Lists++
	t := s.tbl(name)
	var ids []string
	if len(orders) == 2 && orders[0] == (order{"sys_updated_on", false}) && orders[1] == (order{"sys_id", false}) {
		// Fast path of the incremental pull: walk the kept order.
		if !t.sorted {
			t.order = t.order[:0]
			for id := range t.rows {
				t.order = append(t.order, id)
			}
			sort.Slice(t.order, func(i, j int) bool {
				a, b := t.rows[t.order[i]], t.rows[t.order[j]]
				if a["sys_updated_on"] != b["sys_updated_on"] {
					return a["sys_updated_on"] < b["sys_updated_on"]
				}
				return t.order[i] < t.order[j]
			})
			t.sorted = true
		}
		// Start at the lower bound of sys_updated_on, as an index would,
		// and stop at the page's end when no count is asked for.
		start := sort.Search(len(t.order), func(i int) bool { return t.rows[t.order[i]]["sys_updated_on"] >= lower })
		for _, id := range t.order[start:] {
			if cond(t.rows[id]) {
				ids = append(ids, id)
				if noCount && len(ids) >= offset+limit {
					break
				}
			}
		}
	} else {
		for id, r := range t.rows {
			if cond(r) {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool {
			a, b := t.rows[ids[i]], t.rows[ids[j]]
			for _, o := range orders {
				if a[o.field] != b[o.field] {
					return (a[o.field] < b[o.field]) != o.desc
				}
			}
			return ids[i] < ids[j]
		})
	}
	total := len(ids)
	page := []map[string]string{}
	for i := offset; i < total && i < offset+limit; i++ {
		page = append(page, s.render(name, t.rows[ids[i]], fieldList(q)))
	}
	if noCount {
		if len(page) == limit {
			total = offset + limit + 1 // enough for a "next" link
		}
	} else {
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
	}
	w.Header().Set("Link", links(u, offset, limit, total))
	writeJSON(w, http.StatusOK, map[string]any{"result": page})
}

func links(u *url.URL, offset, limit, total int) string {
	mk := func(off int, rel string) string {
		c := *u
		q := c.Query()
		q.Set("sysparm_offset", strconv.Itoa(off))
		q.Set("sysparm_limit", strconv.Itoa(limit))
		c.RawQuery = q.Encode()
		return "<" + c.String() + `>;rel="` + rel + `"`
	}
	parts := []string{mk(0, "first")}
	if offset > 0 {
		parts = append(parts, mk(max(0, offset-limit), "prev"))
	}
	if offset+limit < total {
		parts = append(parts, mk(offset+limit, "next"))
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	parts = append(parts, mk(last, "last"))
	return strings.Join(parts, ",")
}

type order struct {
	field string
	desc  bool
}

// parseQuery understands the encoded-query subset rounds uses: conditions
// joined by ^ (AND) and ^OR, operators = != > >= < <= IN STARTSWITH
// ISEMPTY ISNOTEMPTY, and ORDERBY / ORDERBYDESC.
//
// lower is a lower bound of sys_updated_on implied by a top-level AND
// condition (>=, > or =), "" when there is none.
func parseQuery(q string) (func(Record) bool, []order, string, error) {
	type cond struct {
		field, op, value string
		or               bool
		set              map[string]bool
	}
	var conds []cond
	var orders []order
	if q != "" {
		for i, part := range strings.Split(q, "^") {
			if part == "" {
				return nil, nil, "", fmt.Errorf("empty condition in %q", q)
			}
			or := false
			if strings.HasPrefix(part, "OR") && i > 0 && !strings.HasPrefix(part, "ORDERBY") {
				or, part = true, part[2:]
			}
			if strings.HasPrefix(part, "ORDERBYDESC") {
				orders = append(orders, order{strings.TrimPrefix(part, "ORDERBYDESC"), true})
				continue
			}
			if strings.HasPrefix(part, "ORDERBY") {
				orders = append(orders, order{strings.TrimPrefix(part, "ORDERBY"), false})
				continue
			}
			c := cond{or: or}
			found := false
			for _, op := range []string{"ISNOTEMPTY", "ISEMPTY", "STARTSWITH", "!=", ">=", "<=", "IN", "=", ">", "<"} {
				if i := strings.Index(part, op); i > 0 {
					c.field, c.op, c.value = part[:i], op, part[i+len(op):]
					found = true
					break
				}
			}
			if !found {
				return nil, nil, "", fmt.Errorf("cannot parse condition %q", part)
			}
			if c.op == "IN" {
				c.set = map[string]bool{}
				for _, x := range strings.Split(c.value, ",") {
					c.set[x] = true
				}
			}
			conds = append(conds, c)
		}
	}
	match := func(c cond, r Record) bool {
		v := r[c.field]
		switch c.op {
		case "=":
			return v == c.value
		case "!=":
			return v != c.value
		case ">":
			return v > c.value
		case ">=":
			return v >= c.value
		case "<":
			return v < c.value
		case "<=":
			return v <= c.value
		case "IN":
			return c.set[v]
		case "STARTSWITH":
			return strings.HasPrefix(v, c.value)
		case "ISEMPTY":
			return v == ""
		case "ISNOTEMPTY":
			return v != ""
		}
		return false
	}
	lower := ""
	for i, c := range conds {
		alone := !c.or && (i+1 == len(conds) || !conds[i+1].or)
		if alone && c.field == "sys_updated_on" && (c.op == ">=" || c.op == ">" || c.op == "=") && c.value > lower {
			lower = c.value
		}
	}
	return func(r Record) bool {
		// OR binds tighter than AND: a^b^ORc is a AND (b OR c).
		ok := true
		for i := 0; i < len(conds); {
			group := match(conds[i], r)
			j := i + 1
			for ; j < len(conds) && conds[j].or; j++ {
				group = group || match(conds[j], r)
			}
			ok = ok && group
			i = j
		}
		return ok
	}, orders, lower, nil
}
