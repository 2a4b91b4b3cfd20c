package advisory

import "testing"

// TestCenterIsAProductType: an information center (a central station
// product) shares only the brand with the brand's bedside monitors, so an
// advisory about the monitors is not even a possible flag on it (issue 10
// item 4, brand-only possible flags; this was "possible" before), while
// advisories about the center itself still match.
func TestCenterIsAProductType(t *testing.T) {
	m := realMatcher(t)
	for _, c := range []seenCase{
		{"center vs MX40 monitor", Target{Vendor: "Philips", Model: "IntelliVue Information Center iX", Firmware: "B.02"}, "ICSMA-17-255-01", "none"},
		{"center vs MP monitors", Target{Vendor: "Philips", Model: "IntelliVue Information Center iX", Firmware: "B.02"}, "ICSMA-18-156-01", "none"},
		{"center vs its own advisory", Target{Vendor: "Philips", Model: "Patient Information Center iX", Firmware: "C.02"}, "ICSMA-21-322-02", "certain"},
		{"monitor keeps its advisory", Target{Vendor: "Philips", Model: "IntelliVue MX40", Firmware: "B.06.12"}, "ICSMA-17-255-01", "certain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := hitLevel(m.Match(c.target), c.doc); got != c.want {
				t.Errorf("%s: %s, want %s", c.doc, got, c.want)
			}
		})
	}
}
