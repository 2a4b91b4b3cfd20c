package ward

import (
	"net/netip"
)

// Prefix is the segment Default uses: Net(0) of the base this process
// picked at start-up. It is kept for callers written before bases; a
// ward started with StartFree may have moved, so use its Base().Net(0).
var Prefix = Current().Net(0)

// Default returns DefaultOn(Current()).
func Default() Config { return DefaultOn(Current()) }

// DefaultOn returns a ward of 40 devices on b.Net(0): infusion pumps,
// patient monitors and their gateways, imaging modalities and a PACS, lab
// analysers, ventilators, beds, medication cabinets, printers and a
// camera. Names and serial numbers are made up; banners imitate the kind
// each class of device shows.
func DefaultOn(b Base) Config {
	at := func(m byte) netip.Addr { return b.Addr(0, m) }
	return Config{Devices: []Device{
		// Infusion pumps.
		{Name: "pump-1", Addr: at(11), Manufacturer: "BD", Model: "Alaris 8015", Serial: "AL8015-1203344", Firmware: "9.33.2", Class: "infusion-pump",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Alaris-WebSvr/9.33", Title: "BD Alaris PC Unit 8015"}}},
		{Name: "pump-2", Addr: at(12), Manufacturer: "BD", Model: "Alaris 8015", Serial: "AL8015-1203391", Firmware: "9.19.0", Class: "infusion-pump",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Alaris-WebSvr/9.19", Title: "BD Alaris PC Unit 8015"}}},
		{Name: "pump-3", Addr: at(13), Manufacturer: "Baxter", Model: "Sigma Spectrum 35700", Serial: "SP35700-448120", Firmware: "8.00.01", Class: "infusion-pump",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Spectrum-WBM/8.00", Title: "Sigma Spectrum Wireless Battery Module"},
				{Port: 23, Kind: Telnet, Banner: "Spectrum WBM 8.00.01 (c) Baxter"}}},
		{Name: "pump-4", Addr: at(14), Manufacturer: "B. Braun", Model: "SpaceStation", Serial: "BBSS-00871265", Firmware: "L2.0.3", Class: "infusion-pump",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/3.10 UPnP/1.0 SpaceCom/2.0", Title: "SpaceCom 2", UPnP: true}}},
		{Name: "pump-5", Addr: at(15), Manufacturer: "ICU Medical", Model: "Plum 360", Serial: "PL360-17342211", Firmware: "15.10", Class: "infusion-pump",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Plum360", Title: "Plum 360 Infusion System"},
				{Port: 22, Kind: SSH, Banner: "SSH-2.0-dropbear_2019.78"}}},
		{Name: "pump-6", Addr: at(16), Manufacturer: "Fresenius Kabi", Model: "Agilia Link+", Serial: "FKAL-20338172", Firmware: "3.3", Class: "infusion-pump",
			Services: []Service{{Port: 8080, Kind: HTTP, Banner: "Agilia-Link/3.3", Title: "Agilia Link+ Rack", Realm: "Agilia Link+"}}},

		// Patient monitors.
		{Name: "monitor-1", Addr: at(21), Manufacturer: "Philips", Model: "IntelliVue MX800", Serial: "DE62214785", Firmware: "M.00.03", Class: "patient-monitor",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "VxWorks/6.9 UPnP/1.0 IntelliVue/M.00", Title: "IntelliVue MX800", UPnP: true}}},
		{Name: "monitor-2", Addr: at(22), Manufacturer: "Philips", Model: "IntelliVue MX450", Serial: "DE61330921", Firmware: "L.01.05", Class: "patient-monitor",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "VxWorks/6.9 UPnP/1.0 IntelliVue/L.01", Title: "IntelliVue MX450", UPnP: true}}},
		{Name: "monitor-3", Addr: at(23), Manufacturer: "GE Healthcare", Model: "CARESCAPE B650", Serial: "SGY17320451WA", Firmware: "3.1", Class: "patient-monitor",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "GoAhead-Webs", Title: "CARESCAPE Monitor B650"},
				{Port: 22, Kind: SSH, Banner: "SSH-2.0-OpenSSH_7.4"}}},
		{Name: "monitor-4", Addr: at(24), Manufacturer: "Mindray", Model: "BeneVision N17", Serial: "MRN17-CX04117", Firmware: "04.02.00", Class: "patient-monitor",
			Services: []Service{{Port: 8080, Kind: HTTP, Banner: "Linux/4.1 UPnP/1.0 BeneVision/4.2", Title: "BeneVision N17", UPnP: true}}},
		{Name: "monitor-5", Addr: at(25), Manufacturer: "Nihon Kohden", Model: "BSM-6701", Serial: "NK6701-12877", Firmware: "07-22", Class: "patient-monitor",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Boa/0.94.14rc21", Title: "Life Scope G5"},
				{Port: 23, Kind: Telnet, Banner: "BSM-6701 maintenance console"}}},
		{Name: "monitor-6", Addr: at(26), Manufacturer: "Masimo", Model: "Root", Serial: "MSR-1190832", Firmware: "1.9.1.1", Class: "patient-monitor",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/3.0 UPnP/1.0 Root/1.9", Title: "Masimo Root", UPnP: true}}},

		// Monitoring gateways and central stations.
		{Name: "gateway-1", Addr: at(31), Manufacturer: "GE Healthcare", Model: "CARESCAPE Gateway", Serial: "CG2-5521004", Firmware: "2.0.2", Class: "monitoring-gateway",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Microsoft-IIS/8.5", Title: "CARESCAPE Gateway"},
				{Port: 2575, Kind: HL7}, {Port: 3389, Kind: Silent}}},
		{Name: "central-1", Addr: at(32), Manufacturer: "Philips", Model: "IntelliVue Information Center iX", Serial: "PIIC-iX-30412", Firmware: "C.0", Class: "central-station",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Microsoft-HTTPAPI/2.0", Title: "IntelliVue Information Center iX"},
				{Port: 2575, Kind: HL7}, {Port: 3389, Kind: Silent}}},
		{Name: "mdip-1", Addr: at(33), Manufacturer: "Philips", Model: "Capsule Medical Device Information Platform", Serial: "CAP-SB-882013", Firmware: "10.6", Class: "device-integration",
			Services: []Service{{Port: 8443, Kind: HTTPS, Banner: "nginx", Title: "Capsule Neuron"},
				{Port: 2575, Kind: HL7}, {Port: 22, Kind: SSH, Banner: "SSH-2.0-OpenSSH_8.0"}}},

		// Imaging.
		{Name: "ct-1", Addr: at(41), Manufacturer: "Siemens Healthineers", Model: "SOMATOM go.Up", Serial: "CT-108811", Firmware: "VA40A", Class: "ct",
			Services: []Service{{Port: 104, Kind: DICOM, ImplementationClassUID: "1.3.12.2.1107.5.2", ImplementationVersion: "SIEMENS_SWFVA40"},
				{Port: 3389, Kind: Silent}, {Port: 5900, Kind: VNC}}},
		{Name: "mri-1", Addr: at(42), Manufacturer: "GE Healthcare", Model: "SIGNA Premier", Serial: "MR-70412", Firmware: "MR30.1", Class: "mri",
			Services: []Service{{Port: 104, Kind: DICOM, ImplementationClassUID: "1.2.840.113619.6.374", ImplementationVersion: "GE_MR30.1"},
				{Port: 22, Kind: SSH, Banner: "SSH-2.0-OpenSSH_5.3"}}},
		{Name: "us-1", Addr: at(43), Manufacturer: "Philips", Model: "EPIQ 7", Serial: "US-EP7-035521", Firmware: "9.0.3", Class: "ultrasound",
			Services: []Service{{Port: 104, Kind: DICOM, ImplementationClassUID: "1.3.46.670589.14.1000.900", ImplementationVersion: "EPIQ_9.0.3"}}},
		{Name: "dr-1", Addr: at(44), Manufacturer: "Carestream", Model: "DRX-Evolution Plus", Serial: "DRX-4410982", Firmware: "5.7", Class: "x-ray",
			Services: []Service{{Port: 104, Kind: DICOM, ImplementationClassUID: "1.2.276.0.7230010.3.0.3.6.4", ImplementationVersion: "OFFIS_DCMTK_364"},
				{Port: 80, Kind: HTTP, Banner: "Apache/2.2.15", Title: "DRX Service Tool"}}},
		{Name: "pacs-1", Addr: at(45), Manufacturer: "dcm4che.org", Model: "dcm4chee-arc-light", Serial: "", Firmware: "5.31.0", Class: "pacs",
			Services: []Service{{Port: 11112, Kind: DICOM, ImplementationClassUID: "1.2.40.0.13.1.3", ImplementationVersion: "dcm4che-5.31.0"},
				{Port: 8080, Kind: HTTP, Banner: "WildFly/26", Title: "dcm4chee-arc-light"}}},
		{Name: "carm-1", Addr: at(46), Manufacturer: "GE Healthcare", Model: "OEC Elite CFD", Serial: "OEC-E-91177", Firmware: "R3.2", Class: "c-arm",
			Services: []Service{{Port: 104, Kind: DICOM, AE: "OEC_ELITE", ImplementationClassUID: "1.2.840.113619.6.388", ImplementationVersion: "OEC_R3.2"}}},
		{Name: "us-2", Addr: at(47), Manufacturer: "Canon Medical Systems", Model: "Aplio i800", Serial: "USI8-2K091", Firmware: "6.0", Class: "ultrasound",
			Services: []Service{{Port: 104, Kind: DICOM, ImplementationClassUID: "1.2.392.200036.9116.7.1", ImplementationVersion: "APLIO_I800_V6"}}},

		// Ventilators, anaesthesia, resuscitation.
		{Name: "vent-1", Addr: at(51), Manufacturer: "Hamilton Medical", Model: "HAMILTON-C6", Serial: "C6-5032188", Firmware: "2.3.1", Class: "ventilator",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/4.14 UPnP/1.0 HAMILTON-C6/2.3", Title: "HAMILTON-C6", UPnP: true}}},
		{Name: "vent-2", Addr: at(52), Manufacturer: "Dräger", Model: "Evita V800", Serial: "ASFK-0147", Firmware: "2.51", Class: "ventilator",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Draeger-WebSrv", Title: "Evita V800"}}},
		{Name: "vent-3", Addr: at(53), Manufacturer: "Getinge", Model: "Servo-u", Serial: "SU-44102", Firmware: "4.4", Class: "ventilator",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Servo-WebSrv", Title: "SERVO-U"},
				{Port: 161, Kind: SNMP, SysDescr: "Getinge SERVO-u ventilator, SW 4.4, S/N SU-44102"}}},
		{Name: "anesthesia-1", Addr: at(54), Manufacturer: "Dräger", Model: "Perseus A500", Serial: "ASGH-0392", Firmware: "2.03", Class: "anesthesia-workstation",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Draeger-WebSrv", Title: "Perseus A500"},
				{Port: 23, Kind: Telnet, Banner: "Perseus A500 service"}}},
		{Name: "defib-1", Addr: at(55), Manufacturer: "ZOLL", Model: "R Series", Serial: "AF12K004417", Firmware: "2.41", Class: "defibrillator",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "ZOLL-Data-Relay", Title: "ZOLL R Series"}}},

		// Laboratory and point of care.
		{Name: "bloodgas-1", Addr: at(56), Manufacturer: "Radiometer", Model: "ABL90 FLEX PLUS", Serial: "ABL90-1284Q", Firmware: "3.4", Class: "blood-gas-analyzer",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Microsoft-IIS/7.5", Title: "ABL90 FLEX PLUS"},
				{Port: 2575, Kind: HL7}, {Port: 5900, Kind: VNC}}},
		{Name: "lab-1", Addr: at(57), Manufacturer: "Abbott", Model: "Architect ci4100", Serial: "ISR-04112", Firmware: "9.45", Class: "lab-analyzer",
			Services: []Service{{Port: 2575, Kind: HL7}, {Port: 3389, Kind: Silent}}},
		{Name: "glucose-1", Addr: at(58), Manufacturer: "Roche", Model: "Accu-Chek Inform II Base Unit", Serial: "UN1200457", Firmware: "05.04", Class: "glucose-meter-base",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "lwIP/1.4.1", Title: "Accu-Chek Inform II Base Unit"}}},

		// Beds, cabinets, nurse call, vital signs.
		{Name: "bed-1", Addr: at(61), Manufacturer: "Hillrom", Model: "Centrella Smart+", Serial: "CSB-Q318820", Firmware: "1.6", Class: "bed",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/4.9 UPnP/1.0 Centrella/1.6", Title: "Centrella Smart+ Bed", UPnP: true}}},
		{Name: "bed-2", Addr: at(62), Manufacturer: "Stryker", Model: "ProCuity", Serial: "PCT-2209-1771", Firmware: "2.1", Class: "bed",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Stryker-Bed/2.1", Title: "ProCuity Bed"},
				{Port: 161, Kind: SNMP, SysDescr: "Stryker ProCuity bed controller 2.1"}}},
		{Name: "cabinet-1", Addr: at(63), Manufacturer: "Omnicell", Model: "XT Automated Dispensing Cabinet", Serial: "OMXT-77120", Firmware: "20.1", Class: "medication-cabinet",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Microsoft-IIS/10.0", Title: "Omnicell XT"}, {Port: 3389, Kind: Silent}}},
		{Name: "cabinet-2", Addr: at(64), Manufacturer: "BD", Model: "Pyxis MedStation ES", Serial: "PYX-ES-440981", Firmware: "1.6", Class: "medication-cabinet",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Microsoft-IIS/10.0", Title: "Pyxis MedStation ES"}, {Port: 3389, Kind: Silent}}},
		{Name: "nursecall-1", Addr: at(65), Manufacturer: "Ascom", Model: "Telligence", Serial: "ASC-TL-55021", Firmware: "6.2", Class: "nurse-call",
			Services: []Service{{Port: 443, Kind: HTTPS, Banner: "Apache", Title: "Telligence Nurse Call"}, {Port: 22, Kind: SSH, Banner: "SSH-2.0-OpenSSH_7.2p2"}}},
		{Name: "vitals-1", Addr: at(66), Manufacturer: "Welch Allyn", Model: "Connex Spot Monitor", Serial: "100041773618", Firmware: "1.52", Class: "vital-signs-monitor",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/3.2 UPnP/1.0 CSM/1.52", Title: "Connex Spot Monitor", UPnP: true}}},
		{Name: "ecg-1", Addr: at(67), Manufacturer: "GE Healthcare", Model: "MAC 5500 HD", Serial: "SCD08171247GA", Firmware: "9C", Class: "ecg",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "MAC5500-HD", Title: "MAC 5500 HD Resting ECG"}}},

		// Clinical IT around the devices.
		{Name: "printer-1", Addr: at(71), Manufacturer: "Zebra", Model: "ZD620", Serial: "D4J201203344", Firmware: "V84.20.18Z", Class: "label-printer",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Zebra-HTTP", Title: "ZD620 Status"}, {Port: 9100, Kind: Silent}}},
		{Name: "printer-2", Addr: at(72), Manufacturer: "HP", Model: "LaserJet M507", Serial: "PHBBC12345", Firmware: "2409", Class: "printer",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "HP HTTP Server; HP LaserJet M507", Title: "HP LaserJet M507"},
				{Port: 9100, Kind: Silent}, {Port: 9101, Kind: Silent}}},
		{Name: "camera-1", Addr: at(73), Manufacturer: "Axis", Model: "P3245-LV", Serial: "ACCC8E9A1B2C", Firmware: "10.12.114", Class: "patient-camera",
			Services: []Service{{Port: 80, Kind: HTTP, Banner: "Linux/4.9 UPnP/1.0 AXIS/10.12", Title: "AXIS P3245-LV", UPnP: true}}},
	}}
}

// Hostile returns HostileOn(Current()).
func Hostile() []Device { return HostileOn(Current()) }

// HostileOn returns misbehaving devices on b.Addr(0, 200) and up, for tests:
// a tarpit that accepts and never answers, one sending garbage, one
// sending without end, one dripping a byte at a time, and one whose
// banners and description carry terminal escape sequences.
func HostileOn(b Base) []Device {
	at := func(m byte) netip.Addr { return b.Addr(0, m) }
	return []Device{
		{Name: "tarpit", Addr: at(201), Hostile: true, Services: []Service{
			{Port: 80, Kind: Tarpit}, {Port: 22, Kind: Tarpit}, {Port: 104, Kind: Tarpit}}},
		{Name: "garbage", Addr: at(202), Hostile: true, Services: []Service{
			{Port: 80, Kind: Garbage}, {Port: 22, Kind: Garbage}, {Port: 104, Kind: Garbage}, {Port: 23, Kind: Garbage}}},
		{Name: "endless", Addr: at(203), Hostile: true, Services: []Service{
			{Port: 80, Kind: Endless}, {Port: 104, Kind: Endless}, {Port: 23, Kind: Endless}, {Port: 22, Kind: Endless}}},
		{Name: "drip", Addr: at(204), Hostile: true, Services: []Service{{Port: 80, Kind: Drip}}},
		{Name: "escapes\x1b]0;owned\x07", Addr: at(205), Hostile: true,
			Manufacturer: "Evil\x1b[2J Corp", Model: "X\u009b31m", Serial: "SN\u202e1234", Services: []Service{
				{Port: 80, Kind: HTTP, Banner: "UPnP/1.0 \x1b[31mred\x1b[0m", Title: "\x1b]0;pwned\x07Title\x1b[5m", UPnP: true},
				{Port: 22, Kind: SSH, Banner: "SSH-2.0-\x1b[31mEvil\x1b[0m \x1b]52;c;ZWNobyBoaQ==\x07"}}},
	}
}
