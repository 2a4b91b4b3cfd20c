package reconcile

import (
	"fmt"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile/advisory"
	"github.com/biomed-rounds/rounds/reconcile/version"
	"github.com/biomed-rounds/rounds/scan"
)

const year = 365 * 24 * time.Hour

// flagger computes the flags of devices within one reconciliation.
type flagger struct {
	in  *Input
	r   *resolver
	buf []int64
	// cmp caches version comparisons (firmware, baseline) and hits the
	// flags of advisory matches, per reconciliation: a room holds many
	// units of one model at one firmware.
	cmp    map[[2]string]cmpResult
	hits   map[[4]string][]Flag
	models map[[2]string]*inventory.Model
}

type cmpResult struct {
	c  int
	ok bool
}

func newFlagger(in *Input) *flagger {
	return &flagger{in: in, r: &resolver{in: in}, cmp: map[[2]string]cmpResult{}, hits: map[[4]string][]Flag{},
		models: map[[2]string]*inventory.Model{}}
}

// model finds a device's catalog entry, cached by names for records
// without a model id.
func (f *flagger) model(d *inventory.Device) *inventory.Model {
	if d.ModelID != 0 {
		return f.in.Catalog.Model(d)
	}
	k := [2]string{d.Manufacturer, d.Model}
	m, ok := f.models[k]
	if !ok {
		m = f.in.Catalog.Model(d)
		f.models[k] = m
	}
	return m
}

func (f *flagger) compare(a, b string) (int, bool) {
	k := [2]string{a, b}
	if r, ok := f.cmp[k]; ok {
		return r.c, r.ok
	}
	c, ok := version.Compare(a, b)
	f.cmp[k] = cmpResult{c, ok}
	return c, ok
}

// flags returns the flags on a device, from its record, its catalog
// entry and what was seen of it.
func (f *flagger) flags(d *inventory.Device, obs []scan.Observation) []Flag {
	var out []Flag
	m := f.model(d)
	fw, fwSource := d.FirmwareVersion, "record"
	for _, o := range obs {
		if o.Hints.Firmware != "" {
			fw, fwSource = o.Hints.Firmware, "reported by the device"
			break
		}
	}
	now := f.in.Now
	if m != nil {
		out = append(out, firmwareFlags(d, m, fw, fwSource, f.compare)...)
		if !m.OSEOL.IsZero() && !now.Before(m.OSEOL) {
			os := strings.TrimSpace(d.OS + " " + d.OSVersion)
			if os == "" {
				os = m.OS
			}
			out = append(out, Flag{Kind: OSEndOfLife, Severity: Warning, Rule: "operating system past end of life",
				Evidence: map[string]string{"os": os, "os_eol": inventory.FormatDate(m.OSEOL), "model": m.Manufacturer + " " + m.Model}})
		}
		if !m.SupportEnd.IsZero() && !now.Before(m.SupportEnd) {
			out = append(out, Flag{Kind: SupportEnded, Severity: Warning, Rule: "vendor support ended",
				Evidence: map[string]string{"support_end": inventory.FormatDate(m.SupportEnd), "model": m.Manufacturer + " " + m.Model}})
		}
	}
	if d.Status != inventory.StatusRetired && d.Status != inventory.StatusDisposed {
		if fl, ok := overdue(PMOverdue, Warning, "preventive maintenance overdue", d.NextPMDue, d.LastPM,
			f.in.Policy.PMInterval, f.in.Policy.PMGrace, now, "next_pm_due", "last_pm"); ok {
			out = append(out, fl)
		}
		if fl, ok := overdue(AuditOverdue, Info, "audit overdue", d.NextAuditDue, d.LastAudited,
			f.in.Policy.AuditInterval, f.in.Policy.AuditGrace, now, "next_audit_due", "last_audited"); ok {
			out = append(out, fl)
		}
	}
	if f.in.Advisories != nil && d.Manufacturer != "" && d.Model != "" {
		out = append(out, f.advisoryFlags(d, m, fw)...)
	}
	out = append(out, f.segmentation(d, m, obs)...)
	out = append(out, f.duplicates(d)...)
	return out
}

func firmwareFlags(d *inventory.Device, m *inventory.Model, fw, source string, compare func(a, b string) (int, bool)) []Flag {
	if fw == "" {
		return nil
	}
	ev := func(k, v string) map[string]string {
		e := map[string]string{"firmware": fw, "source": source, k: v, "model": m.Manufacturer + " " + m.Model}
		if source != "record" && d.FirmwareVersion != "" && d.FirmwareVersion != fw {
			e["recorded_firmware"] = d.FirmwareVersion
		}
		return e
	}
	if m.MinFirmware != "" {
		if c, ok := compare(fw, m.MinFirmware); ok && c < 0 {
			return []Flag{{Kind: FirmwareBelowMin, Severity: Critical, Rule: "firmware below the model's minimum", Evidence: ev("min_firmware", m.MinFirmware)}}
		}
	}
	if m.LatestFirmware != "" {
		if c, ok := compare(fw, m.LatestFirmware); ok && c < 0 {
			return []Flag{{Kind: FirmwareBehind, Severity: Info, Rule: "firmware behind the latest release", Evidence: ev("latest_firmware", m.LatestFirmware)}}
		}
	}
	return nil
}

// overdue flags a due date (or last date plus interval) passed by more
// than grace.
func overdue(kind FlagKind, sev Severity, rule string, due, last time.Time, interval, grace time.Duration, now time.Time, dueKey, lastKey string) (Flag, bool) {
	ev := map[string]string{}
	if due.IsZero() {
		if last.IsZero() {
			return Flag{}, false
		}
		if interval <= 0 {
			interval = year
		}
		due = last.Add(interval)
		ev[lastKey] = inventory.FormatDate(last)
		ev["interval_days"] = fmt.Sprint(int(interval / (24 * time.Hour)))
	}
	if !now.After(due.Add(grace)) {
		return Flag{}, false
	}
	ev[dueKey] = inventory.FormatDate(due)
	ev["days_overdue"] = fmt.Sprint(int(now.Sub(due) / (24 * time.Hour)))
	if grace > 0 {
		ev["grace_days"] = fmt.Sprint(int(grace / (24 * time.Hour)))
	}
	return Flag{Kind: kind, Severity: sev, Rule: rule, Evidence: ev}, true
}

// advisoryFlags turns advisory and recall hits into flags. Flags of
// advisories (which depend on vendor, model and firmware only) are built
// once per reconciliation and shared; their Evidence is read-only. The
// catalog entry m (nil when unknown) lends its advisory aliases; it is
// the entry of d's manufacturer and model, so the cache key stands.
func (f *flagger) advisoryFlags(d *inventory.Device, m *inventory.Model, fw string) []Flag {
	key := [4]string{d.Manufacturer, d.Model, fw}
	t := advisory.Target{Vendor: d.Manufacturer, Model: d.Model, Firmware: fw, Serial: d.Serial}
	if m != nil {
		t.Aliases = m.AdvisoryAliases
	}
	hs := f.in.Advisories.Match(t)
	for _, h := range hs {
		if h.Kind == advisory.KindRecall {
			key[3] = d.Serial // recalls may depend on the serial
			break
		}
	}
	if fl, ok := f.hits[key]; ok {
		return fl
	}
	fl := make([]Flag, 0, len(hs))
	for _, h := range hs {
		fl = append(fl, hitFlag(h, fw))
	}
	f.hits[key] = fl
	return fl
}

func hitFlag(h advisory.Hit, fw string) Flag {
	fl := Flag{Document: h.Document, URL: h.URL, Evidence: map[string]string{"product": h.Product, "reason": h.Reason}}
	if fw != "" {
		fl.Evidence["firmware"] = fw
	}
	if h.Version != "" {
		fl.Evidence["versions"] = h.Version
	}
	if h.Remediation != "" {
		fl.Evidence["remediation"] = h.Remediation
	}
	if h.Range != "" {
		fl.Evidence["affected_range"] = h.Range
	}
	if h.Fixed != "" {
		fl.Evidence["fixed_version"] = h.Fixed
	}
	if h.Title != "" {
		fl.Evidence["title"] = h.Title
	}
	switch h.Kind {
	case advisory.KindRecall:
		// Severity by FDA class: I critical, II warning, III notice.
		sev := Critical
		switch h.Severity {
		case "warning":
			sev = Warning
		case "notice":
			sev = Info
		}
		fl.Kind, fl.Rule, fl.Severity = RecallMatch, "recall names this model", sev
		if !h.Certain {
			fl.Rule, fl.Severity = "possible recall: check the serial against the recall", min(sev, Warning)
		}
	default:
		fl.Kind, fl.Rule, fl.Severity = AdvisoryMatch, "advisory names this model and firmware", Warning
		if len(h.CVEs) > 0 {
			fl.Evidence["cves"] = strings.Join(h.CVEs, ", ")
		}
		if h.CVSS > 0 {
			fl.Evidence["cvss"] = fmt.Sprintf("%.1f", h.CVSS)
		}
		switch {
		case h.Certain && h.CVSS >= 7:
			fl.Severity = Critical
		case !h.Certain:
			fl.Rule = "possible advisory match: version not confirmed"
			if h.CVSS < 7 {
				fl.Severity = Info
			}
		}
	}
	return fl
}

// segmentation flags a device seen on a room segment whose tags its model
// (or, failing that, its class by policy) may not sit on.
func (f *flagger) segmentation(d *inventory.Device, m *inventory.Model, obs []scan.Observation) []Flag {
	var allowed []string
	rule := "model allows"
	if m != nil {
		allowed = m.AllowedTags
	}
	if len(allowed) == 0 {
		class := d.DeviceClass
		if class == "" && m != nil {
			class = m.DeviceClass
		}
		for _, r := range f.in.Policy.Segments {
			if class != "" && strings.EqualFold(r.Class, class) {
				allowed, rule = r.Allowed, "policy for class "+class+" allows"
				break
			}
		}
	}
	if len(allowed) == 0 {
		return nil
	}
	var out []Flag
	for _, o := range obs {
		if !o.IP.IsValid() {
			continue
		}
		for _, sg := range f.in.Room.Segments {
			if !sg.CIDR.Contains(o.IP.Unmap()) || len(sg.Tags) == 0 {
				continue
			}
			if !intersects(sg.Tags, allowed) {
				out = append(out, Flag{Kind: Segmentation, Severity: Critical, Rule: "device on a segment its class may not sit on",
					Evidence: map[string]string{"ip": o.IP.String(), "segment": sg.CIDR.String(), "segment_tags": strings.Join(sg.Tags, ","),
						"allowed_tags": strings.Join(allowed, ","), "rule": rule}})
			}
			break
		}
	}
	return out
}

func intersects(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

// duplicates flags a record whose unique identifiers (MAC, serial, UDI,
// CMDB id) another record also carries.
func (f *flagger) duplicates(d *inventory.Device) []Flag {
	if !f.in.Index.Shared(d.ID) {
		return nil
	}
	var out []Flag
	for _, id := range DeviceIdents(d) {
		switch id.Kind {
		case inventory.IdentMAC, inventory.IdentSerial, inventory.IdentUDI, inventory.IdentCMDBID:
		default:
			continue
		}
		v := NormalizeIdent(id.Kind, id.Value)
		f.buf = f.in.Index.lookup(id.Kind, v, f.buf[:0])
		var others []string
		for _, x := range f.buf {
			if x == d.ID {
				continue
			}
			if od := f.r.device(x); od != nil {
				if id.Kind == inventory.IdentSerial && od.Manufacturer != "" && d.Manufacturer != "" {
					if same, _ := advisory.MatchVendor(od.Manufacturer, d.Manufacturer); !same {
						continue // serials repeat across manufacturers
					}
				}
				others = append(others, od.AssetTag)
			} else {
				others = append(others, fmt.Sprintf("device #%d", x))
			}
		}
		if len(others) > 0 {
			out = append(out, Flag{Kind: DuplicateIdentity, Severity: Warning, Rule: "identifier shared with another record",
				Evidence: map[string]string{"identifier": string(id.Kind), "value": v, "records": strings.Join(others, ", ")}})
		}
	}
	return out
}
