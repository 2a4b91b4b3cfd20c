// Package recog infers vendor, product and version from what devices say
// of themselves (an HTTP Server header or page title, an SSH or telnet
// banner, an SNMP sysDescr or sysObjectID, a DICOM implementation version
// name) with Rapid7's Recog fingerprint database, embedded and loaded
// once. Recog's patterns are Ruby regular expressions; they are translated
// to Go's RE2 syntax, and the few that use what RE2 lacks (look-around,
// back-references) are skipped and counted (see Loaded). RE2 matches in
// time linear in the input, so hostile banners cannot stall a sweep.
//
// The data directory holds the generated table, its provenance and
// Recog's BSD-2-Clause licence, which must travel with it.
package recog
