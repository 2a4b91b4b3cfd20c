// Package probe holds the safe fingerprint probes of the IP sweep and the
// parsers of what devices answer.
//
// Every probe works on a connection the sweep already opened, sends at most
// one well-formed request of the most ordinary kind (an HTTP GET, a DICOM
// association for the Verification SOP class then its release, an SNMP GET
// of sysDescr) or nothing at all (SSH, Telnet and VNC banners, HL7 MLLP),
// and is bounded in bytes read (MaxRead) and in time (the context's
// deadline). Parsers accept any bytes without panicking; the values they
// return are made inert (no control characters or escape sequences) and
// bounded in length, and Raw keeps at most scan.MaxRaw bytes as received.
package probe
