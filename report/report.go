package report

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/biomed-rounds/rounds/inventory"
	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
)

// Report is everything a round report shows.
type Report struct {
	Round       inventory.Round `json:"round"`
	GeneratedAt time.Time       `json:"generated_at"`
	Rooms       []Room          `json:"rooms"`
}

// Room is one room of the round with its latest visit's findings.
type Room struct {
	Key  string `json:"key"`
	Name string `json:"name,omitempty"`
	// Status is the visit status ("open", "swept", "done"), or "" when
	// the room was not visited.
	Status    string    `json:"status"`
	VisitedAt time.Time `json:"visited_at,omitzero"`
	Findings  []Finding `json:"findings"`
}

// Finding is one reconciled finding with what the technician did about
// it.
type Finding struct {
	reconcile.Finding
	// Action is what the technician did ("confirmed", "moved here",
	// "marked missing", "adopted as BME-1234", ...); "" when nothing.
	Action  string    `json:"action,omitempty"`
	ActedAt time.Time `json:"acted_at,omitzero"`
	// Resolution says what settled the finding without an action of its
	// own: "seen in 3W-12 at 10:42" for a unit found elsewhere in the
	// round (it is counted there, once), "dismissed: patient-owned".
	Resolution string `json:"resolution,omitempty"`
	// Notes are the device's notes, the technician's and the CMDB's.
	Notes []Note `json:"notes,omitempty"`
	// Undone are actions taken and then undone, oldest first: folded
	// under the action that stands.
	Undone []string `json:"undone,omitempty"`
}

// Note is one note on a device, with who wrote it and when.
type Note struct {
	At    time.Time `json:"at"`
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// Counted reports whether the finding counts under its kind: a unit found
// present elsewhere in the round counts there, not also here.
func (f Finding) Counted() bool {
	return f.Resolution == "" || (f.Kind != reconcile.Missing && f.Kind != reconcile.Unverified)
}

// Format names an output format.
type Format string

// The output formats.
const (
	Text Format = "text"
	HTML Format = "html"
	CSV  Format = "csv"
	JSON Format = "json"
)

// Formats lists the formats Write accepts.
var Formats = []Format{Text, HTML, CSV, JSON}

// Ext returns the usual file extension of the format, with its dot.
func (f Format) Ext() string {
	if f == Text {
		return ".txt"
	}
	return "." + string(f)
}

// ParseFormat accepts a format name, case-insensitively.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("report: unknown format %q (want text, html, csv or json)", s)
}

// Write renders r in the format f.
func Write(w io.Writer, f Format, r Report) error {
	switch f {
	case Text:
		return WriteText(w, r)
	case HTML:
		return WriteHTML(w, r)
	case CSV:
		return WriteCSV(w, r)
	case JSON:
		return WriteJSON(w, r)
	}
	return fmt.Errorf("report: unknown format %q", f)
}

// Totals are the round's figures.
type Totals struct {
	Rooms   int `json:"rooms"`
	Visited int `json:"visited"`
	Done    int `json:"done"`
	// Kinds counts findings per kind; Flags counts flags per flag kind.
	Kinds map[reconcile.Kind]int     `json:"kinds"`
	Flags map[reconcile.FlagKind]int `json:"flags"`
	// Acted counts findings acted on; Open counts findings that need an
	// action (missing, moved here, unknown) and have none yet.
	Acted int `json:"acted"`
	Open  int `json:"open"`
}

// Totals computes the round's figures.
func (r Report) Totals() Totals {
	t := Totals{Rooms: len(r.Rooms), Kinds: map[reconcile.Kind]int{}, Flags: map[reconcile.FlagKind]int{}}
	for _, rm := range r.Rooms {
		if rm.Status != "" {
			t.Visited++
		}
		if rm.Status == inventory.VisitDone {
			t.Done++
		}
		for _, f := range rm.Findings {
			if !f.Counted() {
				continue
			}
			t.Kinds[f.Kind]++
			for _, fl := range f.Flags {
				t.Flags[fl.Kind]++
			}
			switch {
			case f.Action != "":
				t.Acted++
			case f.Resolution != "":
			case NeedsAction(f.Kind):
				t.Open++
			}
		}
	}
	return t
}

// NeedsAction reports whether findings of kind k call for the
// technician to do something before the room is done.
func NeedsAction(k reconcile.Kind) bool {
	return k == reconcile.Missing || k == reconcile.MovedHere || k == reconcile.Unknown
}

// KindTitle is the display name of a finding kind.
func KindTitle(k reconcile.Kind) string {
	switch k {
	case reconcile.Verified:
		return "Verified"
	case reconcile.Missing:
		return "Missing"
	case reconcile.Unverified:
		return "Unverified"
	case reconcile.MovedHere:
		return "Moved here"
	case reconcile.Unknown:
		return "Unknown"
	case reconcile.HeardNearby:
		return "Heard nearby"
	}
	return string(k)
}

// FlagLabel is the short badge text of a flag kind.
func FlagLabel(k reconcile.FlagKind) string {
	switch k {
	case reconcile.FirmwareBelowMin:
		return "FW<MIN"
	case reconcile.FirmwareBehind:
		return "FW OLD"
	case reconcile.OSEndOfLife:
		return "OS EOL"
	case reconcile.SupportEnded:
		return "NO SUPPORT"
	case reconcile.PMOverdue:
		return "PM DUE"
	case reconcile.AuditOverdue:
		return "AUDIT DUE"
	case reconcile.AdvisoryMatch:
		return "ADVISORY"
	case reconcile.RecallMatch:
		return "RECALL"
	case reconcile.Segmentation:
		return "SEGMENT"
	case reconcile.DuplicateIdentity:
		return "DUPLICATE"
	}
	return strings.ToUpper(string(k))
}

// FlagTitle is the long name of a flag kind.
func FlagTitle(k reconcile.FlagKind) string {
	switch k {
	case reconcile.FirmwareBelowMin:
		return "firmware below the model's minimum"
	case reconcile.FirmwareBehind:
		return "firmware behind the latest release"
	case reconcile.OSEndOfLife:
		return "OS past end of life"
	case reconcile.SupportEnded:
		return "vendor support ended"
	case reconcile.PMOverdue:
		return "PM overdue"
	case reconcile.AuditOverdue:
		return "audit overdue"
	case reconcile.AdvisoryMatch:
		return "security advisory"
	case reconcile.RecallMatch:
		return "recall"
	case reconcile.Segmentation:
		return "on a segment its class must not be on"
	case reconcile.DuplicateIdentity:
		return "duplicate identity"
	}
	return string(k)
}

// SortedFlagKinds returns the keys of m ordered by count, then name.
func SortedFlagKinds(m map[reconcile.FlagKind]int) []reconcile.FlagKind {
	ks := make([]reconcile.FlagKind, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	return ks
}

// Subject is the device a finding is about, in words: the asset tag and
// model of the record, or what was observed for an unknown device. It is
// not sanitised.
func Subject(f reconcile.Finding) (tag, model string) {
	if f.Device != nil {
		tag = f.Device.AssetTag
		model = strings.TrimSpace(f.Device.Manufacturer + " " + f.Device.Model)
	}
	if model == "" && len(f.Observations) > 0 {
		model = f.Observations[0].Label()
	}
	return tag, model
}

// Seen describes where and how a finding's device was observed ("ip
// 127.0.10.5 00:09:fb:.. · ble C4:7C:.. -61 dBm"). It is not sanitised.
func Seen(f reconcile.Finding) string {
	var parts []string
	for _, o := range f.Observations {
		parts = append(parts, Address(o))
	}
	return strings.Join(parts, " · ")
}

// Address is one observation's address in words. It is not sanitised.
func Address(o scan.Observation) string {
	if o.Source == scan.SourceBLE && o.BLE != nil {
		return fmt.Sprintf("ble %s %d dBm", o.BLE.Address, o.BLE.RSSIMax)
	}
	s := "ip " + o.IP.String()
	if o.MAC != "" {
		s += " " + o.MAC
	}
	return s
}

// SortFindings orders findings for reading: by kind in review order, then
// by asset tag, then by what was seen.
func SortFindings(fs []Finding) {
	rank := map[reconcile.Kind]int{}
	for i, k := range reconcile.Kinds {
		rank[k] = i
	}
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if rank[a.Kind] != rank[b.Kind] {
			return rank[a.Kind] < rank[b.Kind]
		}
		ta, ma := Subject(a.Finding)
		tb, mb := Subject(b.Finding)
		if ta != tb {
			return ta < tb
		}
		return ma < mb
	})
}
