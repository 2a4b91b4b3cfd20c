package ble

import (
	"bytes"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// Company identifiers that never name the device's maker.
const (
	// companyEricsson is 0x0000 (Ericsson Technology Licensing): cheap
	// stacks leave it in manufacturer data by default.
	companyEricsson = 0x0000
	// companyTest is 0xFFFF, reserved for tests.
	companyTest  = 0xFFFF
	companyApple = 0x004C
)

// iBeaconPrefix starts Apple-format iBeacon manufacturer data: type 0x02,
// length 0x15. Every maker's beacon uses it under Apple's company ID.
var iBeaconPrefix = []byte{0x02, 0x15}

// companyVendor returns the company named by the first manufacturer data
// entry that names the device's maker, or "".
func companyVendor(md []scan.ManufacturerData) string {
	for _, m := range md {
		switch {
		case m.CompanyID == companyEricsson, m.CompanyID == companyTest:
			continue
		case m.CompanyID == companyApple && bytes.HasPrefix(m.Data, iBeaconPrefix):
			continue
		}
		return m.Company
	}
	return ""
}

// vendorLabel is the observation's vendor: the company ID's, the OUI's,
// or both ("Nonin Medical / OUI: Texas Instruments") when they differ, as
// when a maker builds on another's radio module.
func vendorLabel(company, ouiVendor string) string {
	switch {
	case company == "":
		return ouiVendor
	case ouiVendor == "" || sameOrg(company, ouiVendor):
		return company
	}
	return company + " / OUI: " + ouiVendor
}

// sameOrg compares organisation names loosely: the registries spell one
// company differently ("Texas Instruments" and "Texas Instruments Inc.").
func sameOrg(a, b string) bool {
	norm := func(s string) string {
		f := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		})
		if len(f) > 0 {
			return f[0]
		}
		return ""
	}
	return norm(a) != "" && norm(a) == norm(b)
}
