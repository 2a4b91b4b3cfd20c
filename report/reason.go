package report

import (
	"fmt"
	"strings"

	"github.com/biomed-rounds/rounds/reconcile"
)

// FlagReason explains a flag in plain language from its evidence ("firmware
// 9.19.0 is below the minimum 9.33 for BD Alaris 8015; update to 9.33 or
// later"), or "" when the evidence is too thin to say more than the
// flag's title. It reads only the evidence keys package reconcile writes.
func FlagReason(f reconcile.Flag) string {
	e := f.Evidence
	get := func(k string) string { return strings.TrimSpace(e[k]) }
	model := get("model")
	for_ := ""
	if model != "" {
		for_ = " for " + model
	}
	switch f.Kind {
	case reconcile.FirmwareBelowMin:
		if fw, min := get("firmware"), get("min_firmware"); fw != "" && min != "" {
			s := fmt.Sprintf("firmware %s is below the minimum %s%s; update to %s or later", fw, min, for_, min)
			return s + recorded(e)
		}
	case reconcile.FirmwareBehind:
		if fw, latest := get("firmware"), get("latest_firmware"); fw != "" && latest != "" {
			return fmt.Sprintf("firmware %s is behind the latest release %s%s", fw, latest, for_) + recorded(e)
		}
	case reconcile.OSEndOfLife:
		if eol := get("os_eol"); eol != "" {
			os := get("os")
			if os == "" {
				os = "the operating system"
			}
			return fmt.Sprintf("%s reached end of life on %s%s; it gets no security fixes", os, eol, for_)
		}
	case reconcile.SupportEnded:
		if end := get("support_end"); end != "" {
			return fmt.Sprintf("the vendor ended support%s on %s", for_, end)
		}
	case reconcile.PMOverdue, reconcile.AuditOverdue:
		what := "preventive maintenance"
		due := get("next_pm_due")
		if f.Kind == reconcile.AuditOverdue {
			what, due = "the inventory audit", get("next_audit_due")
		}
		if due != "" {
			s := fmt.Sprintf("%s was due on %s", what, due)
			if d := get("days_overdue"); d != "" {
				s += fmt.Sprintf(" (%s days ago)", d)
			}
			return s
		}
	case reconcile.AdvisoryMatch, reconcile.RecallMatch:
		var parts []string
		if p := get("product"); p != "" {
			parts = append(parts, "affects "+p)
		}
		if r := get("reason"); r != "" {
			parts = append(parts, r)
		}
		return strings.Join(parts, ": ")
	case reconcile.Segmentation:
		ip, seg := get("ip"), get("segment")
		if ip != "" && seg != "" {
			s := fmt.Sprintf("%s sits on network %s", ip, seg)
			if t := get("segment_tags"); t != "" {
				s += " (" + strings.ReplaceAll(t, ",", ", ") + ")"
			}
			if a := get("allowed_tags"); a != "" {
				s += "; this kind of device belongs only on " + strings.ReplaceAll(a, ",", ", ") + " networks"
			}
			return s
		}
	case reconcile.DuplicateIdentity:
		if id, v, recs := get("identifier"), get("value"), get("records"); id != "" && v != "" {
			return fmt.Sprintf("%s %s is also recorded on %s; one of the records is wrong", strings.ReplaceAll(id, "_", " "), v, recs)
		}
	}
	return ""
}

// recorded adds the recorded firmware when the device reported another.
func recorded(e map[string]string) string {
	if r := e["recorded_firmware"]; r != "" {
		return fmt.Sprintf(" (reported by the device; the record says %s)", r)
	}
	return ""
}
