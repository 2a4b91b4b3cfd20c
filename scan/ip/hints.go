package ip

import (
	"strings"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/probe"
)

// distill turns fingerprints into identity hints and a host name, the
// strongest source first: the UPnP description (the device's own account
// of itself, serial included), then the TLS certificate (IEEE 802.1AR
// device certificates carry the serial), then SNMP and DICOM.
func distill(fps []scan.Fingerprint) (scan.Hints, string) {
	var h scan.Hints
	var host string
	setIf := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	for _, fp := range fps {
		if fp.Kind != "upnp" {
			continue
		}
		f := fp.Fields
		setIf(&h.Manufacturer, f["manufacturer"])
		setIf(&h.Model, f["modelName"])
		setIf(&h.Model, f["modelNumber"])
		if h.Serial == "" && f["serialNumber"] != "" {
			h.Serial, h.SerialSource = f["serialNumber"], "upnp"
		}
		setIf(&h.Firmware, f["firmwareVersion"])
		setIf(&h.Software, f["softwareVersion"])
		setIf(&host, f["friendlyName"])
	}
	for _, fp := range fps {
		switch fp.Kind {
		case "http":
			if sn := fp.Fields["cert_serial_number"]; sn != "" && h.Serial == "" {
				h.Serial, h.SerialSource = sn, "tls-cert"
			}
		case "dicom":
			a := probe.DICOMAnswer{ImplementationClassUID: fp.Fields["implementationClassUID"]}
			setIf(&h.Manufacturer, a.Vendor())
			setIf(&h.Software, fp.Fields["implementationVersionName"])
		case "snmp":
			// ENTITY-MIB's chassis row is the agent's structured account
			// of the unit; sysDescr is free text that reconcile and the
			// fingerprint database read.
			f := fp.Fields
			if h.Serial == "" && f["entPhysicalSerialNum"] != "" {
				h.Serial, h.SerialSource = f["entPhysicalSerialNum"], "snmp"
			}
			setIf(&h.Model, f["entPhysicalModelName"])
			setIf(&h.Manufacturer, f["entPhysicalMfgName"])
			setIf(&h.Firmware, f["entPhysicalFirmwareRev"])
			setIf(&h.Software, f["entPhysicalSoftwareRev"])
			setIf(&h.Hardware, f["entPhysicalHardwareRev"])
			setIf(&host, f["sysName"])
		}
	}
	// Last, the fingerprint database: the hardware maker and product a
	// banner names, and the operating system (often the firmware of an
	// embedded device) as software.
	for _, fp := range fps {
		if fp.Kind != "recog" {
			continue
		}
		f := fp.Fields
		setIf(&h.Manufacturer, f["hw.vendor"])
		setIf(&h.Model, f["hw.product"])
		if f["os.product"] != "" {
			setIf(&h.Software, strings.TrimSpace(f["os.product"]+" "+f["os.version"]))
		}
	}
	return h, strings.TrimSpace(host)
}
