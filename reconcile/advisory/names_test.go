package advisory

import (
	"strings"
	"testing"
)

func TestMatchVendor(t *testing.T) {
	tests := []struct {
		a, b   string
		want   bool
		reason string // a substring of the reason
	}{
		{"GE Healthcare", "GE Healthcare", true, "same vendor"},
		{"GE HealthCare Technologies, Inc.", "ge healthcare technologies", true, "normalising"},
		{"GE", "General Electric", true, "alias"},
		{"GE Healthcare", "Datex-Ohmeda", true, "2003"},
		{"BD", "Becton, Dickinson and Company", true, "alias"},
		{"Becton Dickinson", "CareFusion", true, "2015"},
		{"BD", "Alaris", true, "Alaris"},
		{"Philips", "Koninklijke Philips N.V.", true, "alias"},
		{"Philips Medical Systems Nederland B.V.", "Koninklijke Philips", true, "Philips"},
		{"Hospira, Inc.", "ICU Medical", true, "2017"},
		{"Smiths Medical", "ICU Medical Inc", true, "2022"},
		{"Baxter", "Hill-Rom", true, "2021"},
		{"Baxter Healthcare Corporation", "Welch Allyn", true, "Welch Allyn"},
		{"Baxter", "Hospira", false, ""},
		{"Dräger", "Draeger Medical GmbH", true, "Dr"},
		{"Drägerwerk AG & Co. KGaA", "Dräger", true, ""},
		{"Masimo Corporation", "Masimo", true, "normalising"},
		{"Mindray DS USA, Inc.", "Shenzhen Mindray Bio-Medical Electronics Co., Ltd.", true, "alias"},
		{"Medtronic", "Covidien LP", true, "2015"},
		{"Nihon Kohden", "Nihon Kohden America", true, ""},
		{"GE", "Philips", false, ""},
		{"General Medical", "General Electric", false, ""},
		{"Abbott", "Hospira", false, ""},
		{"Baxter", "BD", false, ""},
		{"", "GE", false, ""},
	}
	for _, tt := range tests {
		got, why := MatchVendor(tt.a, tt.b)
		if got != tt.want {
			t.Errorf("MatchVendor(%q, %q) = %v (%s), want %v", tt.a, tt.b, got, why, tt.want)
			continue
		}
		if got && !strings.Contains(why, tt.reason) {
			t.Errorf("MatchVendor(%q, %q) reason %q lacks %q", tt.a, tt.b, why, tt.reason)
		}
		if back, _ := MatchVendor(tt.b, tt.a); back != got {
			t.Errorf("MatchVendor not symmetric for %q, %q", tt.a, tt.b)
		}
	}
}

func TestMatchModel(t *testing.T) {
	tests := []struct {
		product, model string
		want           bool
	}{
		{"IntelliVue MX40", "MX40", true},
		{"IntelliVue Patient Monitor MX 40", "MX40", true},
		{"IntelliVue MX400", "MX40", false},
		{"CARESCAPE Monitor B450", "CARESCAPE B450", true},
		{"CARESCAPE Monitor B450", "B450", true},
		{"Alaris System", "Alaris 8015", true},
		{"Alaris PC Unit Model 8015", "Alaris 8015", true},
		{"Alaris PC Unit Model 8100", "Alaris 8015", false},
		{"Alaris System PC Unit 8015", "Alaris 8015 PC Unit", true},
		{"Alaris System PC Unit 8100", "Alaris 8015 PC Unit", false},
		{"Alaris PC Unit Model 8015", "8015", true},
		{"Infusion Pump", "Alaris 8015", false},
		{"Sigma Spectrum Infusion System", "Sigma Spectrum", true},
		{"Plum 360", "Plum A+", false},
		{"Monitor", "Monitor", false},
	}
	for _, tt := range tests {
		if got, why := MatchModel(tt.product, tt.model); got != tt.want {
			t.Errorf("MatchModel(%q, %q) = %v (%s), want %v", tt.product, tt.model, got, why, tt.want)
		}
	}
}
