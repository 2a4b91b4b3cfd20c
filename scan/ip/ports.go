package ip

import (
	"fmt"
	"slices"
)

// DefaultPorts are the TCP ports probed, in probing order: those most
// likely open come first, because a host whose first ports all time out
// is taken as absent (Profile.DownAfter). Each is justified in
// docs/ip-sweep.md.
var DefaultPorts = []int{
	80,    // HTTP: device web UIs (pumps, monitors, beds, printers)
	443,   // HTTPS: the same, on newer firmware; certificate names the device
	22,    // SSH: banner names the stack (dropbear, OpenSSH and its age)
	104,   // DICOM: imaging modalities, PACS
	2575,  // HL7 MLLP: gateways, central stations, lab analysers
	8080,  // HTTP alternate: gateways, PACS web, infusion racks
	8443,  // HTTPS alternate: integration engines, device management
	11112, // DICOM alternate (non-privileged, PACS and workstations)
	23,    // Telnet: legacy service consoles; banner read only
	3389,  // RDP: Windows-based modality consoles, cabinets; connect only
	5900,  // VNC: remote service on modalities and analysers; version read only
}

// printerPorts are the raw printing ports (JetDirect/AppSocket). Anything
// sent there is printed, and connects alone have jammed printers; they are
// never touched.
func printerPort(p int) bool { return p >= 9100 && p <= 9107 }

// probeKind says which fingerprint probe a port gets.
func probeKind(port int) string {
	switch port {
	case 80, 8080:
		return "http"
	case 443, 8443:
		return "https"
	case 22:
		return "ssh"
	case 23:
		return "telnet"
	case 104, 11112:
		return "dicom"
	case 2575:
		return "hl7"
	case 5900:
		return "vnc"
	}
	return ""
}

func checkPorts(ports []int, offset int) error {
	if len(ports) == 0 {
		return fmt.Errorf("ip: no ports to probe")
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < 1 || p > 65535 || p+offset < 1 || p+offset > 65535 {
			return fmt.Errorf("ip: port %d is out of range", p)
		}
		if printerPort(p) || printerPort(p+offset) {
			return fmt.Errorf("ip: port %d is a printer port (9100-9107); printer ports are never probed", p)
		}
		if seen[p] {
			return fmt.Errorf("ip: port %d listed twice", p)
		}
		seen[p] = true
	}
	return nil
}

// sortedPorts returns ports ascending, as observations list them.
func sortedPorts(ps []int) []int {
	out := slices.Clone(ps)
	slices.Sort(out)
	return out
}
