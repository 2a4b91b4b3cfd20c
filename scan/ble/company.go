package ble

//go:generate go run ./internal/companygen -src /usr/src/bluez.tar.bz2 -label "Bluetooth SIG company identifiers as of BlueZ 5.66 (2022-11), lib/bluetooth.c from Debian bluez-source 5.66-1+deb12u2" -o company_table.go

// CompanyName returns the name the Bluetooth SIG assigned to a company
// identifier, or "" when the identifier is not in the embedded list
// (CompanySource says which copy of the list that is).
func CompanyName(id uint16) string {
	if int(id) < len(companies) {
		return companies[id]
	}
	return companiesHigh[id]
}
