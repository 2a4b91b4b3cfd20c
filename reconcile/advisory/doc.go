// Package advisory reads security advisories (CSAF 2.0 documents as CISA
// publishes its ICSMA medical advisories) and device recalls (openFDA
// device recall and enforcement JSON), and matches inventory devices
// against them by vendor, model and firmware, tolerantly: vendor names
// are compared after removing case, punctuation and legal suffixes and
// through known corporate aliases (aliases.tsv), products through the
// reviewed renames (renames.tsv) and a catalog model's own advisory
// aliases, and every match records its reason. A malformed reviewed
// table is an error at load (CheckTables), not a panic.
//
// Parsing and matching do no I/O beyond the bytes they are handed; Rows
// and FromRows convert to and from plain rows that the caller stores, so
// the package needs no database (cmd/rounds moves the rows through
// package store). A certain match needs the vendor (through reviewed
// aliases), the product itself (exact model, a listed model number or
// variant, an explicit model range or a product line named alone) and a
// firmware inside an understood range; a brand-level overlap, an unknown
// firmware or a range not understood give a possible match at most.
package advisory
