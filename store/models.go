package store

import (
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/biomed-rounds/rounds/inventory"
)

// PutModel inserts or updates a catalog entry keyed by manufacturer and
// model. It reports whether anything changed.
func (w *Writer) PutModel(m Model) (bool, error) {
	if m.Manufacturer == "" || m.Model == "" {
		return false, fmt.Errorf("%w: a model needs a manufacturer and a model name", ErrConstraint)
	}
	tags := append([]string(nil), m.AllowedTags...)
	sort.Strings(tags)
	aliases, err := joinAliases(m.AdvisoryAliases)
	if err != nil {
		return false, err
	}
	res, err := w.exec(`INSERT INTO models (manufacturer, model, device_class, fda_class, min_firmware,
			latest_firmware, os, os_eol, support_end, allowed_tags, advisory_aliases)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (manufacturer, model) DO UPDATE SET device_class = excluded.device_class,
			fda_class = excluded.fda_class, min_firmware = excluded.min_firmware,
			latest_firmware = excluded.latest_firmware, os = excluded.os, os_eol = excluded.os_eol,
			support_end = excluded.support_end, allowed_tags = excluded.allowed_tags,
			advisory_aliases = excluded.advisory_aliases
		WHERE (device_class, fda_class, min_firmware, latest_firmware, os, os_eol, support_end, allowed_tags,
			advisory_aliases) IS NOT
			(excluded.device_class, excluded.fda_class, excluded.min_firmware, excluded.latest_firmware,
			 excluded.os, excluded.os_eol, excluded.support_end, excluded.allowed_tags, excluded.advisory_aliases)`,
		m.Manufacturer, m.Model, m.DeviceClass, m.FDAClass, m.MinFirmware, m.LatestFirmware, m.OS,
		FormatDate(m.OSEOL), FormatDate(m.SupportEnd), strings.Join(tags, ","), aliases)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// aliasSep separates a model's advisory aliases in their column; names
// of products do not contain it (the writer refuses one that does).
const aliasSep = "|"

// joinAliases stores a model's advisory aliases: trimmed, empty ones
// dropped, duplicates (ignoring case) dropped, in the order given.
func joinAliases(as []string) (string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range as {
		a = strings.TrimSpace(a)
		if a == "" || seen[strings.ToLower(a)] {
			continue
		}
		if strings.Contains(a, aliasSep) {
			return "", fmt.Errorf("%w: advisory alias %q contains %q", ErrConstraint, a, aliasSep)
		}
		seen[strings.ToLower(a)] = true
		out = append(out, a)
	}
	j := strings.Join(out, aliasSep)
	if err := inventory.CheckLen("advisory_aliases", j, inventory.ModelLimits["advisory_aliases"]); err != nil {
		return "", fmt.Errorf("%w: %w", ErrConstraint, err)
	}
	return j, nil
}

// ensureModel returns the catalog id for manufacturer and model, creating
// a bare entry (with the device class, if known) when the catalog lacks it.
func (w *Writer) ensureModel(manufacturer, model, class string) (int64, error) {
	k := [2]string{manufacturer, model}
	if id, ok := w.models[k]; ok {
		return id, nil
	}
	st, err := w.stmt("SELECT id, device_class FROM models WHERE manufacturer = ? AND model = ?")
	if err != nil {
		return 0, err
	}
	var id int64
	var have string
	err = st.QueryRowContext(w.ctx, manufacturer, model).Scan(&id, &have)
	if err == nil && have == "" && class != "" {
		// A bare catalog entry learns its class from the first device
		// file that names it.
		if _, err := w.exec("UPDATE models SET device_class = ? WHERE id = ?", class, id); err != nil {
			return 0, err
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		res, err := w.exec("INSERT INTO models (manufacturer, model, device_class) VALUES (?, ?, ?)", manufacturer, model, class)
		if err != nil {
			return 0, err
		}
		id, err = res.LastInsertId()
		if err != nil {
			return 0, err
		}
	} else if err != nil {
		return 0, translate(err)
	}
	w.models[k] = id
	return id, nil
}
