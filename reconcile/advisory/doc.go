// Package advisory reads security advisories (CSAF 2.0 documents as CISA
// publishes its ICSMA medical advisories) and device recalls (openFDA
// device recall and enforcement JSON), and matches inventory devices
// against them by vendor, model and firmware, tolerantly: vendor names
// are compared after removing case, punctuation and legal suffixes and
// through known corporate aliases, and every match records its reason.
//
// Parsing and matching do no I/O beyond the bytes they are handed; Load
// and RefDocs convert to and from the rows store keeps (tables advisories
// and recalls).
package advisory
