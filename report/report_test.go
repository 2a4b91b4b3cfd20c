package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/biomed-rounds/rounds/reconcile"
	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/store"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// sample is a two-room round with every kind of finding, flags with
// documents, an action, and hostile strings from outside.
func sample() Report {
	pump := &store.Device{AssetTag: "BME-1001", Serial: "SN-77", Manufacturer: "BD", Model: "Alaris 8015",
		LocationKey: "MAIN/3/3W-12"}
	mon := &store.Device{AssetTag: "BME-1002", Manufacturer: "Philips", Model: "IntelliVue MX450",
		LocationKey: "MAIN/3/3W-12"}
	vent := &store.Device{AssetTag: "BME-1003", Manufacturer: "Hamilton", Model: "C6", LocationKey: "MAIN/3/3W-14"}
	ip := scan.Observation{Time: t0, Source: scan.SourceIP, IP: netip.MustParseAddr("127.0.10.5"), MAC: "00:09:fb:12:34:56"}
	evil := scan.Observation{Time: t0, Source: scan.SourceBLE, BLE: &scan.BLE{Address: "C4:7C:8D:6A:12:34",
		Name: "evil\x1b]0;pwned\x07\x1b[2J=cmd", RSSIMax: -58}}
	return Report{
		Round:       store.Round{ID: 1, Name: "Wing 3 <west>", Technician: "A. Tech", StartedAt: t0},
		GeneratedAt: t0.Add(2 * time.Hour),
		Rooms: []Room{
			{Key: "MAIN/3/3W-12", Name: "ICU bed 12", Status: store.VisitDone, VisitedAt: t0.Add(10 * time.Minute),
				Findings: []Finding{
					{Finding: reconcile.Finding{Kind: reconcile.Unknown, Observations: []scan.Observation{evil}}},
					{Finding: reconcile.Finding{Kind: reconcile.Verified, Device: pump, Observations: []scan.Observation{ip},
						Flags: []reconcile.Flag{
							{Kind: reconcile.FirmwareBelowMin, Severity: reconcile.Critical, Rule: "firmware < model minimum"},
							{Kind: reconcile.AdvisoryMatch, Severity: reconcile.Critical, Document: "ICSMA-24-123-01",
								URL: "https://www.cisa.gov/news-events/ics-medical-advisories/icsma-24-123-01"},
							{Kind: reconcile.RecallMatch, Severity: reconcile.Warning, Document: "Z-1234-2024", URL: "javascript:alert(1)"},
						}},
						Action: "confirmed", ActedAt: t0.Add(12 * time.Minute)},
					{Finding: reconcile.Finding{Kind: reconcile.Missing, Device: mon, Reason: "expected here, not seen"}},
					{Finding: reconcile.Finding{Kind: reconcile.MovedHere, Device: vent, Observations: []scan.Observation{ip},
						Reason: "recorded in MAIN/3/3W-14"}},
				}},
			{Key: "MAIN/3/3W-14", Name: "ICU bed 14"},
		},
	}
}

func render(t *testing.T, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, sample()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestGolden(t *testing.T) {
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			golden.RequireEqual(t, render(t, f))
		})
	}
}

func TestNoEscapeSequencesReachOutput(t *testing.T) {
	for _, f := range []Format{Text, HTML, CSV} {
		out := render(t, f)
		for _, c := range out {
			if (c < 0x20 && c != '\n' && c != '\r') || c == 0x7f {
				t.Errorf("%s output holds control byte %#x", f, c)
				break
			}
		}
	}
	// JSON escapes control characters; a decoder gets the original back.
	var back struct {
		Rooms []struct {
			Findings []struct {
				Observations []scan.Observation `json:"observations"`
			} `json:"findings"`
		} `json:"rooms"`
	}
	if err := json.Unmarshal(render(t, JSON), &back); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range back.Rooms[0].Findings {
		for _, o := range f.Observations {
			if o.BLE != nil && strings.HasPrefix(o.BLE.Name, "evil\x1b") {
				found = true
			}
		}
	}
	if !found {
		t.Error("JSON lost the observed name")
	}
}

func TestHTMLRefusesScriptLinksAndEscapes(t *testing.T) {
	out := string(render(t, HTML))
	if strings.Contains(out, "javascript:") {
		t.Error("a javascript: URL reached the HTML")
	}
	if !strings.Contains(out, `href="https://www.cisa.gov/news-events/ics-medical-advisories/icsma-24-123-01"`) {
		t.Error("advisory link missing")
	}
	if strings.Contains(out, "<west>") || !strings.Contains(out, "&lt;west&gt;") {
		t.Error("round name not HTML-escaped")
	}
	if !strings.Contains(out, "@media print") || strings.Contains(out, "<script") {
		t.Error("HTML is not the print layout or carries a script")
	}
}

func TestCSVNeutralisesFormulas(t *testing.T) {
	rows, err := csv.NewReader(bytes.NewReader(render(t, CSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || strings.Join(rows[0], ",") != strings.Join(CSVHeader, ",") {
		t.Fatalf("rows = %d, header %v", len(rows), rows[0])
	}
	for _, r := range rows[1:] {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Errorf("cell %q would run as a formula", c)
			}
		}
	}
	// Findings come in review order: verified, missing, moved here, unknown.
	var kinds []string
	for _, r := range rows[1:] {
		kinds = append(kinds, r[4])
	}
	if got := strings.Join(kinds, ","); got != "verified,missing,moved_here,unknown" {
		t.Errorf("kinds = %s", got)
	}
}

func TestTotals(t *testing.T) {
	tt := sample().Totals()
	if tt.Rooms != 2 || tt.Visited != 1 || tt.Done != 1 || tt.Acted != 1 || tt.Open != 3 {
		t.Errorf("totals = %+v", tt)
	}
	if tt.Kinds[reconcile.Verified] != 1 || tt.Flags[reconcile.AdvisoryMatch] != 1 {
		t.Errorf("kinds %v flags %v", tt.Kinds, tt.Flags)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"html", " CSV ", "json", "text"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("ParseFormat(%q) = %v", s, err)
		}
	}
	if _, err := ParseFormat("pdf"); err == nil {
		t.Error("pdf accepted")
	}
}

// TestSeenElsewhereIsNeverMissing: a unit expected in one room and found
// in another room of the round is titled "seen elsewhere" in every format
// that shows a kind, never "missing", and is not counted as missing.
func TestSeenElsewhereIsNeverMissing(t *testing.T) {
	r := sample()
	dev := &store.Device{AssetTag: "BME-3021", Manufacturer: "Hamilton", Model: "C6", LocationKey: "MAIN/3/3W-14"}
	r.Rooms[1].Status, r.Rooms[1].VisitedAt = store.VisitSwept, t0.Add(40*time.Minute)
	r.Rooms[1].Findings = []Finding{{Finding: reconcile.Finding{Kind: reconcile.Missing, Device: dev},
		Resolution: "seen in MAIN/3/3W-12 at 10:42"}}
	if n := r.Totals().Kinds[reconcile.Missing]; n != 1 {
		t.Errorf("missing counted %d times, want 1 (BME-1002 only)", n)
	}
	for _, f := range []Format{Text, HTML} {
		var b bytes.Buffer
		if err := Write(&b, f, r); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		i := strings.Index(out, "BME-3021")
		if i < 0 {
			t.Fatalf("%s: BME-3021 not in the report", f)
		}
		line := out[strings.LastIndex(out[:i], "\n")+1:]
		if j := strings.Index(line, "\n"); j >= 0 && f == Text {
			line = line[:j]
		}
		if f == Text && (!strings.Contains(line, "SEEN ELSEWHERE") || strings.Contains(line, "MISSING")) {
			t.Errorf("text line: %q", line)
		}
		if f == HTML && !strings.Contains(out[max(0, i-400):i], "Seen elsewhere") {
			t.Errorf("html row of BME-3021 is not titled Seen elsewhere:\n%s", out[max(0, i-400):i])
		}
	}
}
