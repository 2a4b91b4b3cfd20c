package snipefake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// fail answers as Snipe-IT does: HTTP 200, "status":"error".
func fail(w http.ResponseWriter, messages any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "error", "messages": messages, "payload": nil})
}

func success(w http.ResponseWriter, msg string, payload any) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "messages": msg, "payload": payload})
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) {
	p := strings.TrimPrefix(r.URL.Path, "/api/v1")
	parts := strings.Split(strings.Trim(p, "/"), "/")
	switch {
	case r.Method == http.MethodGet && p == "/hardware":
		if s.BeforeList != nil {
			s.BeforeList()
		}
		s.list(w, r)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "hardware" && parts[1] == "bytag":
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stats.Gets++
		for _, a := range s.assets {
			if a.Tag == parts[2] {
				writeJSON(w, http.StatusOK, s.render(a))
				return
			}
		}
		fail(w, s.msg("does_not_exist"))
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "hardware":
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stats.Gets++
		id, _ := strconv.Atoi(parts[1])
		if a, ok := s.assets[id]; ok {
			writeJSON(w, http.StatusOK, s.render(a))
			return
		}
		fail(w, s.msg("does_not_exist"))
	case (r.Method == http.MethodPatch || r.Method == http.MethodPut) && len(parts) == 2 && parts[0] == "hardware":
		s.patch(w, parts[1], body)
	case r.Method == http.MethodPost && p == "/hardware":
		s.create(w, body)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "hardware" && parts[2] == "audit" && s.atLeast(8, 1):
		s.audit(w, parts[1], body)
	case r.Method == http.MethodPost && p == "/hardware/audit":
		s.audit(w, "", body)
	case r.Method == http.MethodGet && p == "/version":
		// routes/api.php: {"version": config('version.app_version')}.
		v := s.Version
		if v == "" {
			v = "v8.1.4"
		}
		writeJSON(w, http.StatusOK, map[string]any{"version": v})
	case r.Method == http.MethodGet && (p == "/locations" || p == "/models" || p == "/statuslabels"):
		s.names(w, r, p)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"status": "error", "messages": "404 endpoint not found", "payload": nil})
	}
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	maxLimit := s.MaxLimit
	if maxLimit <= 0 {
		maxLimit = 100
	}
	limit, _ := strconv.Atoi(q.Get("limit"))
	if limit < 0 {
		limit = -limit
	}
	if limit == 0 || limit > maxLimit {
		limit = maxLimit
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Lists++
	s.listN++
	n := s.listN
	statusID, _ := strconv.Atoi(q.Get("status_id"))
	archivedOnly := statusID == 0 && q.Get("status") == "Archived"
	keep := func(a *Asset) bool {
		archived := false
		if st, ok := s.statuses[a.StatusID]; ok && st.Type == "archived" {
			archived = true
		}
		switch {
		case statusID != 0:
			return a.StatusID == statusID
		case archivedOnly:
			return archived
		}
		return !archived || s.ShowArchivedInList
	}
	by := q.Get("sort")
	if by != "updated_at" && by != "asset_tag" {
		by = "id"
	}
	key := fmt.Sprintf("%d/%t/%t/%s", statusID, archivedOnly, s.ShowArchivedInList, by)
	all, ok := s.sorted[key]
	if !ok {
		all = make([]*Asset, 0, len(s.assets))
		for _, a := range s.assets {
			if keep(a) {
				all = append(all, a)
			}
		}
		col := func(a *Asset) string { return "" }
		switch by {
		case "updated_at":
			col = func(a *Asset) string { return a.UpdatedAt }
		case "asset_tag":
			col = func(a *Asset) string { return a.Tag }
		}
		sort.Slice(all, func(i, j int) bool {
			if ci, cj := col(all[i]), col(all[j]); ci != cj {
				return ci < cj
			}
			return all[i].ID < all[j].ID
		})
		if s.sorted == nil {
			s.sorted = map[string][]*Asset{}
		}
		s.sorted[key] = all
	}
	desc := q.Get("order") == "desc"
	at := func(i int) *Asset {
		if desc {
			return all[len(all)-1-i]
		}
		return all[i]
	}
	lo, hi := min(max(offset, 0), len(all)), min(max(offset, 0)+limit, len(all))
	page := make([]*Asset, 0, hi-lo)
	if by == "updated_at" && lo < hi {
		// Rows with equal updated_at come in a new order on each request
		// (see tieKey), or by id with StableTies: widen the page to whole
		// tie groups, order them, and cut the page out again.
		a, z := lo, hi
		for a > 0 && at(a-1).UpdatedAt == at(lo).UpdatedAt {
			a--
		}
		for z < len(all) && at(z).UpdatedAt == at(hi-1).UpdatedAt {
			z++
		}
		wide := make([]*Asset, 0, z-a)
		for i := a; i < z; i++ {
			wide = append(wide, at(i))
		}
		sort.SliceStable(wide, func(i, j int) bool {
			if wide[i].UpdatedAt != wide[j].UpdatedAt {
				return wide[i].UpdatedAt < wide[j].UpdatedAt != desc
			}
			if s.StableTies {
				return wide[i].ID < wide[j].ID
			}
			return tieKey(wide[i].ID, n) < tieKey(wide[j].ID, n)
		})
		page = append(page, wide[lo-a:hi-a]...)
	} else {
		for i := lo; i < hi; i++ {
			page = append(page, at(i))
		}
	}
	rows := []map[string]any{}
	for _, a := range page {
		rows = append(rows, s.render(a))
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(all), "rows": rows})
}

func ref(m map[int]*named, id int) any {
	if n, ok := m[id]; ok {
		return map[string]any{"id": n.ID, "name": n.Name}
	}
	return nil
}

// render is the asset transformer's shape.
func (s *Server) render(a *Asset) map[string]any {
	out := map[string]any{"id": a.ID, "name": a.Name, "asset_tag": a.Tag, "serial": a.Serial,
		"model": ref(s.models, a.ModelID), "location": ref(s.locations, a.LocationID),
		"rtd_location": ref(s.locations, a.LocationID), "notes": nil,
		"created_at":      map[string]any{"datetime": s.serverTime(a.CreatedAt), "formatted": s.serverTime(a.CreatedAt)},
		"updated_at":      map[string]any{"datetime": s.serverTime(a.UpdatedAt), "formatted": s.serverTime(a.UpdatedAt)},
		"last_audit_date": nil, "next_audit_date": nil, "manufacturer": nil, "status_label": nil,
		"custom_fields": map[string]any{}}
	if m, ok := s.models[a.ModelID]; ok {
		out["manufacturer"] = ref(s.makers, m.ManufacturerID)
	}
	if st, ok := s.statuses[a.StatusID]; ok {
		out["status_label"] = map[string]any{"id": st.ID, "name": st.Name, "status_type": st.Type, "status_meta": st.Type}
	}
	if a.Notes != "" {
		out["notes"] = renderNotes(a.Notes)
	}
	if a.LastAudit != "" {
		out["last_audit_date"] = map[string]any{"datetime": s.serverTime(a.LastAudit), "formatted": s.serverTime(a.LastAudit)}
	}
	if a.NextAudit != "" {
		out["next_audit_date"] = map[string]any{"date": a.NextAudit, "formatted": a.NextAudit}
	}
	cf := map[string]any{}
	for col, v := range a.Custom {
		if !s.inFieldset(a, col) {
			continue // the transformer lists the fieldset's fields only
		}
		label := strings.TrimPrefix(col, "_snipeit_")
		cf[label] = map[string]any{"field": col, "value": v, "field_format": "ANY", "element": "text"}
	}
	out["custom_fields"] = cf
	return out
}

func decodeFields(body []byte) (map[string]string, error) {
	var raw map[string]any
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range raw {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			out[k] = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			out[k] = strconv.FormatBool(x)
		case nil:
			out[k] = ""
		}
	}
	return out, nil
}

func (s *Server) patch(w http.ResponseWriter, idStr string, body []byte) {
	fields, err := decodeFields(body)
	if err != nil {
		fail(w, "Invalid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Patches++
	id, _ := strconv.Atoi(idStr)
	a, ok := s.assets[id]
	if !ok {
		fail(w, s.msg("does_not_exist"))
		return
	}
	// Validate on a copy so that a refused PATCH writes nothing.
	trial := *a
	trial.Custom = map[string]string{}
	for k, v := range a.Custom {
		trial.Custom[k] = v
	}
	saved := s.history[id]
	s.history[id] = map[string][]Write{}
	errs := s.apply(&trial, fields, "api")
	s.history[id] = saved
	if len(errs) > 0 {
		fail(w, errs)
		return
	}
	s.apply(a, fields, "api")
	success(w, s.msg("updated"), s.payload(a))
}

func (s *Server) payload(a *Asset) map[string]any {
	p := map[string]any{"id": a.ID, "asset_tag": a.Tag, "serial": a.Serial, "model_id": a.ModelID, "status_id": a.StatusID,
		"location_id": a.LocationID, "notes": a.Notes, "updated_at": a.UpdatedAt}
	// The payload is the Eloquent model itself: every custom column of the
	// assets table, including those the model's fieldset ignored.
	for k, v := range a.Custom {
		p[k] = v
	}
	for _, cols := range s.Fieldsets {
		for _, c := range cols {
			if _, ok := p[c]; !ok {
				p[c] = nil
			}
		}
	}
	return p
}

func (s *Server) create(w http.ResponseWriter, body []byte) {
	fields, err := decodeFields(body)
	if err != nil {
		fail(w, "Invalid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Creates++
	errs := map[string][]string{}
	for _, req := range []string{"asset_tag", "model_id", "status_id"} {
		if fields[req] == "" {
			errs[req] = append(errs[req], "The "+strings.ReplaceAll(req, "_", " ")+" field is required.")
		}
	}
	if len(errs) > 0 {
		fail(w, errs)
		return
	}
	trial := &Asset{ID: -1, Custom: map[string]string{}}
	saved := s.history[-1]
	errs = s.apply(trial, fields, "api")
	delete(s.history, -1)
	_ = saved
	if len(errs) > 0 {
		fail(w, errs)
		return
	}
	id := s.insert(Asset{}, "api")
	a := s.assets[id]
	s.apply(a, fields, "api")
	success(w, s.msg("created"), s.payload(a))
}

func (s *Server) audit(w http.ResponseWriter, idStr string, body []byte) {
	fields, err := decodeFields(body)
	if err != nil {
		fail(w, "Invalid JSON")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Audits++
	id, _ := strconv.Atoi(idStr)
	a, ok := s.assets[id]
	if tag := fields["asset_tag"]; tag != "" {
		// "Allow the asset tag to be passed in the payload (legacy method)".
		a, ok = nil, false
		for _, x := range s.assets {
			if x.Tag == tag {
				a, ok = x, true
			}
		}
	}
	if !ok {
		fail(w, s.msg("does_not_exist"))
		return
	}
	// AssetsController::audit sets next_audit_date to now plus the
	// audit_interval setting unless the request fills it.
	months := s.AuditIntervalMonths
	if months == 0 {
		months = 12
	}
	upd := map[string]string{"next_audit_date": s.Clock().AddDate(0, months, 0).Format("2006-01-02")}
	if v := fields["next_audit_date"]; v != "" {
		upd["next_audit_date"] = v
	}
	if fields["update_location"] == "true" || fields["update_location"] == "1" {
		if v := fields["location_id"]; v != "" {
			upd["location_id"] = v
		}
	}
	if errs := s.apply(a, upd, "api"); len(errs) > 0 {
		fail(w, errs)
		return
	}
	a.LastAudit = s.Clock().Format(stamp)
	a.UpdatedAt = a.LastAudit
	s.sorted = nil
	a.Audits++
	s.record(a.ID, "last_audit_date", a.LastAudit, "api")
	success(w, s.msg("audited"), map[string]any{"id": a.ID, "asset_tag": a.Tag, "note": fields["note"],
		"next_audit_date": a.NextAudit})
}

func (s *Server) names(w http.ResponseWriter, r *http.Request, p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	src := map[string]map[int]*named{"/locations": s.locations, "/models": s.models, "/statuslabels": s.statuses}[p]
	search := strings.ToLower(r.URL.Query().Get("search"))
	ids := []int{}
	for id, n := range src {
		if search == "" || strings.Contains(strings.ToLower(n.Name), search) {
			ids = append(ids, id)
		}
	}
	sort.Ints(ids)
	rows := []map[string]any{}
	for _, id := range ids {
		n := src[id]
		row := map[string]any{"id": n.ID, "name": n.Name}
		if p == "/models" {
			row["manufacturer"] = ref(s.makers, n.ManufacturerID)
		}
		if p == "/statuslabels" {
			row["type"] = n.Type
		}
		rows = append(rows, row)
	}
	writeJSON(w, http.StatusOK, map[string]any{"total": len(rows), "rows": rows})
}
