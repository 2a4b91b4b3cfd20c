package ip

import (
	"strings"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/probe"
	"github.com/biomed-rounds/rounds/scan/recog"
)

// infer runs what the probes read through the Recog fingerprint
// database and returns one "recog" fingerprint per match: the database,
// the fingerprint's description, and Recog's parameters (service.vendor,
// service.product, service.version, os.*, hw.*), on the port whose answer
// matched.
func infer(fps []scan.Fingerprint) []scan.Fingerprint {
	var out []scan.Fingerprint
	try := func(from scan.Fingerprint, db, text string) bool {
		if text == "" {
			return false
		}
		m, ok := recog.Lookup(db, text)
		if !ok {
			return false
		}
		f := map[string]string{"db": db, "source": from.Kind}
		if m.Description != "" {
			f["description"] = probe.Field(m.Description)
		}
		for k, v := range m.Params {
			if v = probe.Field(v); v != "" {
				f[k] = v
			}
		}
		out = append(out, scan.Fingerprint{Kind: "recog", Port: from.Port, Fields: f})
		return true
	}
	for _, fp := range fps {
		f := fp.Fields
		switch fp.Kind {
		case "http", "https":
			try(fp, recog.HTTPServer, f["server"])
			try(fp, recog.HTMLTitle, f["title"])
			if f["realm"] != "" {
				try(fp, recog.WWWAuth, `Basic realm="`+f["realm"]+`"`)
			}
		case "ssdp":
			try(fp, recog.HTTPServer, f["server"])
		case "ssh":
			// Recog matches the part after "SSH-2.0-".
			sw := strings.TrimSpace(f["softwareversion"] + " " + f["comments"])
			try(fp, recog.SSHBanner, sw)
		case "telnet":
			try(fp, recog.TelnetBanner, f["banner"])
		case "snmp":
			try(fp, recog.SNMPSysDescr, f["sysDescr"])
			if oid := f["sysObjectID"]; oid != "" {
				if !try(fp, recog.SNMPSysObjectID, oid+" "+f["sysDescr"]) {
					try(fp, recog.SNMPSysObjectID, oid)
				}
			}
		case "dicom":
			try(fp, recog.DICOMVersion, f["implementationVersionName"])
		}
	}
	return out
}
