package gen

import (
	"time"

	"github.com/biomed-rounds/rounds/store"
)

// link says how a model talks to the world, and so which identifiers its
// devices carry.
type link uint8

const (
	linkNone  link = iota // no network, no radio: asset tag and serial only
	linkWired             // Ethernet: MAC, IP, hostname
	linkWiFi              // Wi-Fi: MAC, IP, hostname
	linkBLE               // Bluetooth Low Energy only
	linkWiFiBLE
)

func (l link) ip() bool  { return l == linkWired || l == linkWiFi || l == linkWiFiBLE }
func (l link) ble() bool { return l == linkBLE || l == linkWiFiBLE }

// entry is one catalog model with what the generator needs to make units
// of it.
type entry struct {
	store.Model
	// firmware lists released versions, oldest first; MinFirmware is
	// firmware[minIdx] and LatestFirmware the last one.
	firmware []string
	minIdx   int
	// osVersions are builds of the model's OS seen in the field.
	osVersions []string
	link       link
	// oui is the manufacturer's IEEE MA-L prefix (from the IEEE registry).
	oui    [3]byte
	prefix string // serial number prefix
	weight int    // popularity within its class
}

// Device classes the generator uses.
const (
	classInfusion   = "infusion pump"
	classMonitor    = "patient monitor"
	classVitals     = "vital signs monitor"
	classCentral    = "central station"
	classTelemetry  = "telemetry"
	classVentilator = "ventilator"
	classAnesthesia = "anesthesia workstation"
	classDefib      = "defibrillator"
	classInsulin    = "insulin pump"
	classGlucose    = "glucose meter"
	classPulseOx    = "pulse oximeter"
	classThermo     = "thermometer"
	classBP         = "blood pressure monitor"
	classECG        = "ECG"
	classBed        = "bed"
	classMRI        = "MRI"
	classCT         = "CT"
	classXRay       = "x-ray"
	classCArm       = "C-arm"
	classUltrasound = "ultrasound"
	classInjector   = "contrast injector"
	classWorkstn    = "imaging workstation"
	classLab        = "lab analyser"
	classDialysis   = "dialysis"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// Operating systems with their published end of (extended) support.
var (
	osXPE      = osInfo{"Windows XP Embedded", date(2016, time.January, 12), []string{"5.1.2600 SP3"}}
	osWES7     = osInfo{"Windows Embedded Standard 7", date(2020, time.October, 13), []string{"6.1.7601 SP1"}}
	osWin7     = osInfo{"Windows 7", date(2020, time.January, 14), []string{"6.1.7601 SP1"}}
	osCE6      = osInfo{"Windows Embedded CE 6.0", date(2018, time.April, 10), []string{"6.0 R3"}}
	osWin10    = osInfo{"Windows 10 Enterprise", date(2025, time.October, 14), []string{"21H2", "22H2"}}
	osLTSC2019 = osInfo{"Windows 10 IoT Enterprise LTSC 2019", date(2029, time.January, 9), []string{"1809 (17763)"}}
	osLTSC2021 = osInfo{"Windows 10 IoT Enterprise LTSC 2021", date(2032, time.January, 13), []string{"21H2 (19044)"}}
	osWS2012R2 = osInfo{"Windows Server 2012 R2", date(2023, time.October, 10), []string{"6.3.9600"}}
	osWS2016   = osInfo{"Windows Server 2016", date(2027, time.January, 12), []string{"1607 (14393)"}}
	osLinux    = osInfo{"Linux", time.Time{}, []string{"4.14", "5.10"}}
)

type osInfo struct {
	name     string
	eol      time.Time
	versions []string
}

// catalog is the built-in model catalog. Manufacturers, models and
// device classes are real; firmware version strings follow each vendor's
// numbering style but are illustrative, not vendor baselines.
var catalog = []entry{
	// Infusion pumps.
	mk("BD", "Alaris 8015 PC Unit", classInfusion, "II", []string{"9.19.2", "9.33.1", "12.1.0", "12.1.2", "12.3.0"}, 2, osInfo{}, linkWiFi, "9CC8AE", "AL8015-", 6),
	mk("BD", "Alaris 8100 LVP Module", classInfusion, "II", []string{"9.19", "12.1.0", "12.1.2"}, 1, osInfo{}, linkNone, "", "AL8100-", 5),
	mk("Baxter", "Sigma Spectrum IQ", classInfusion, "II", []string{"8.00.01", "8.01.00", "9.02.01", "9.02.02"}, 2, osInfo{}, linkWiFi, "5846E1", "SPQ", 4),
	mk("ICU Medical", "Plum 360", classInfusion, "II", []string{"15.10", "15.11.1", "15.12.0", "15.13.0"}, 2, osInfo{}, linkWiFi, "0003B1", "P360-", 3),
	mk("B. Braun", "Infusomat Space", classInfusion, "II", []string{"686D", "690B", "695M", "699F"}, 2, osInfo{}, linkWiFi, "001221", "BBIS", 3),
	mk("Fresenius Kabi", "Agilia VP MC", classInfusion, "II", []string{"2.2", "3.0", "3.3", "3.4"}, 2, osInfo{}, linkWiFi, "001338", "AGVP", 2),
	mk("Iradimed", "MRidium 3860+", classInfusion, "II", []string{"3.2", "3.5", "3.7"}, 1, osInfo{}, linkNone, "", "MR3860-", 0),
	// Monitoring.
	mk("Philips", "IntelliVue MX450", classMonitor, "II", []string{"L.01.17", "M.00.03", "N.00.02", "P.01.01"}, 1, osInfo{}, linkWired, "0009FB", "DE", 5),
	mk("Philips", "IntelliVue MX800", classMonitor, "II", []string{"L.01.17", "M.00.03", "N.00.02", "P.01.01"}, 1, osInfo{}, linkWired, "0009FB", "DE8", 3),
	mk("GE Healthcare", "CARESCAPE B450", classMonitor, "II", []string{"2.0.1", "2.0.7", "3.0.0", "3.1.1"}, 2, osInfo{}, linkWired, "444B5D", "SGT", 4),
	mk("GE Healthcare", "CARESCAPE B650", classMonitor, "II", []string{"2.0.7", "3.0.0", "3.2.0"}, 1, osInfo{}, linkWired, "444B5D", "SGU", 3),
	mk("Mindray", "BeneVision N12", classMonitor, "II", []string{"02.05.00", "03.10.00", "03.21.00"}, 1, osInfo{}, linkWired, "000F14", "FY-", 2),
	mk("Nihon Kohden", "Life Scope BSM-6701", classMonitor, "II", []string{"03-21", "04-12", "05-02"}, 1, osInfo{}, linkWired, "00A09A", "NK67-", 1),
	mk("Spacelabs", "Xprezzon 91393", classMonitor, "II", []string{"3.02.04", "3.04.11", "3.05.02"}, 1, osInfo{}, linkWired, "00A0AA", "3930-", 1),
	mk("Philips", "Expression MR400", classMonitor, "II", []string{"2.1", "2.3", "2.4"}, 1, osInfo{}, linkWired, "0009FB", "MR4-", 0),
	mk("Welch Allyn", "Connex Spot Monitor", classVitals, "II", []string{"1.52", "2.10", "2.41"}, 1, osInfo{}, linkWiFi, "001AFA", "1004", 4),
	mk("Philips", "IntelliVue Information Center iX", classCentral, "II", []string{"B.01", "C.00", "D.00"}, 1, osLTSC2019, linkWired, "0009FB", "PIC", 2),
	mk("GE Healthcare", "CARESCAPE Central Station", classCentral, "II", []string{"1.0", "2.0", "2.2"}, 1, osWES7, linkWired, "444B5D", "CSS", 2),
	mk("Philips", "IntelliVue MX40", classTelemetry, "II", []string{"B.05.52", "B.06.55", "C.00.10"}, 1, osInfo{}, linkWiFi, "0009FB", "US8", 3),
	mk("GE Healthcare", "ApexPro CH", classTelemetry, "II", []string{"4.1", "4.3", "5.0"}, 1, osInfo{}, linkWiFi, "444B5D", "APX", 2),
	// Respiratory and anaesthesia.
	mk("Medtronic", "Puritan Bennett 980", classVentilator, "II", []string{"1.1.0", "1.3.2", "1.5.1"}, 1, osInfo{}, linkWired, "DC16A2", "35B", 3),
	mk("Hamilton Medical", "HAMILTON-C6", classVentilator, "II", []string{"1.1.3", "2.0.2", "2.1.1"}, 1, osInfo{}, linkWired, "001E9A", "HC6-", 2),
	mk("Dräger", "Evita V800", classVentilator, "II", []string{"2.20", "2.51", "2.60"}, 1, osInfo{}, linkWired, "F0E5C3", "ASCE", 2),
	mk("GE Healthcare", "Aisys CS2", classAnesthesia, "II", []string{"10", "11", "11.1"}, 1, osInfo{}, linkWired, "444B5D", "ANBR", 2),
	mk("Dräger", "Perseus A500", classAnesthesia, "II", []string{"2.00", "2.02", "2.10"}, 1, osInfo{}, linkWired, "F0E5C3", "ASDH", 1),
	mk("ZOLL", "R Series ALS", classDefib, "III", []string{"1.53", "2.44", "2.61"}, 1, osInfo{}, linkWiFi, "002252", "AF", 3),
	mk("Stryker", "LIFEPAK 15", classDefib, "III", []string{"3.03", "4.09", "4.13"}, 1, osInfo{}, linkWiFi, "000DD1", "LP15-", 2),
	// Point of care.
	mk("Tandem Diabetes Care", "t:slim X2", classInsulin, "II", []string{"6.4", "7.6", "7.7"}, 1, osInfo{}, linkBLE, "", "TX2-", 2),
	mk("Insulet", "Omnipod 5", classInsulin, "II", []string{"1.0.1", "1.1.4", "1.2.0"}, 1, osInfo{}, linkBLE, "", "OP5-", 2),
	mk("Medtronic", "MiniMed 780G", classInsulin, "II", []string{"1.0", "1.1", "1.2"}, 1, osInfo{}, linkBLE, "", "NG", 1),
	mk("Roche", "Accu-Chek Inform II", classGlucose, "II", []string{"03.04.00", "04.02.03", "04.03.01"}, 1, osInfo{}, linkWiFi, "000E2F", "UU", 4),
	mk("Nova Biomedical", "StatStrip", classGlucose, "II", []string{"2.5", "3.1", "3.3"}, 1, osInfo{}, linkWiFi, "", "SSG", 2),
	mk("Masimo", "Radical-7", classPulseOx, "II", []string{"7802", "7905", "8011"}, 1, osInfo{}, linkWiFi, "E0C2B7", "R7-", 3),
	mk("Nonin", "3150 WristOx2", classPulseOx, "II", []string{"1.2", "1.5", "1.7"}, 1, osInfo{}, linkBLE, "001C05", "501", 2),
	mk("Welch Allyn", "SureTemp Plus 692", classThermo, "II", []string{}, 0, osInfo{}, linkNone, "", "692-", 3),
	mk("Exergen", "TAT-5000S", classThermo, "II", []string{}, 0, osInfo{}, linkNone, "", "TAT", 1),
	mk("Omron", "HEM-9210T", classBP, "II", []string{"1.0", "1.2"}, 1, osInfo{}, linkBLE, "002209", "HEM", 2),
	mk("GE Healthcare", "MAC 5500 HD", classECG, "II", []string{"9.0", "10.2", "11.1"}, 1, osInfo{}, linkWired, "444B5D", "SDF", 2),
	mk("Philips", "PageWriter TC70", classECG, "II", []string{"A.07.01", "A.07.07", "A.08.00"}, 1, osCE6, linkWiFi, "0009FB", "TC7-", 1),
	mk("Hill-Rom", "Centrella Smart+ Bed", classBed, "II", []string{"1.26", "2.08", "2.20"}, 1, osInfo{}, linkWiFi, "0014B8", "T21", 4),
	mk("Stryker", "ProCuity", classBed, "II", []string{"1.0.4", "1.2.2"}, 1, osInfo{}, linkWiFi, "000DD1", "PCZ", 2),
	mk("Fresenius Medical Care", "5008S CorDiax", classDialysis, "II", []string{"4.50", "4.60", "4.70"}, 1, osInfo{}, linkWired, "B04C05", "5008-", 1),
	// Imaging.
	mk("Siemens Healthineers", "MAGNETOM Vida", classMRI, "II", []string{"XA20", "XA31", "XA50"}, 1, osLTSC2019, linkWired, "EC1C5D", "MRV", 2),
	mk("GE Healthcare", "SIGNA Premier", classMRI, "II", []string{"RX27", "RX28", "RX29"}, 1, osLinux, linkWired, "444B5D", "SGP", 1),
	mk("Siemens Healthineers", "SOMATOM go.Top", classCT, "II", []string{"VA30", "VA40", "VB10"}, 1, osWin10, linkWired, "EC1C5D", "CTG", 2),
	mk("GE Healthcare", "Revolution CT", classCT, "II", []string{"RV22", "RV23", "RV24"}, 1, osLinux, linkWired, "444B5D", "RCT", 1),
	mk("Carestream", "DRX-Revolution", classXRay, "II", []string{"5.7", "6.2", "7.1"}, 1, osWin7, linkWiFi, "001D4A", "DRX", 2),
	mk("GE Healthcare", "OEC 9900 Elite", classCArm, "II", []string{"4.1", "4.2", "4.3"}, 1, osXPE, linkWired, "444B5D", "E2", 1),
	mk("Philips", "EPIQ 7", classUltrasound, "II", []string{"5.0.3", "7.0.5", "9.0.3"}, 1, osWES7, linkWiFi, "0009FB", "US5", 2),
	mk("GE Healthcare", "LOGIQ E10", classUltrasound, "II", []string{"R2", "R3", "R4"}, 1, osWin10, linkWiFi, "444B5D", "LGE", 2),
	mk("Bayer", "MEDRAD Stellant FLEX", classInjector, "II", []string{"1.2", "2.0", "2.2"}, 1, osInfo{}, linkWired, "", "SFX", 1),
	mk("Bayer", "MEDRAD MRXperion", classInjector, "II", []string{"1.1", "1.4"}, 1, osInfo{}, linkWired, "", "MRX", 1),
	mk("Philips", "IntelliSpace Portal", classWorkstn, "II", []string{"9.0", "11.1", "12.1"}, 1, osWS2012R2, linkWired, "0009FB", "ISP", 1),
	mk("Siemens Healthineers", "syngo.via", classWorkstn, "II", []string{"VB40", "VB60", "VB70"}, 1, osWS2016, linkWired, "EC1C5D", "SGV", 1),
	// Laboratory.
	mk("Sysmex", "XN-1000", classLab, "II", []string{"00-22", "00-24", "00-28"}, 1, osWin7, linkWired, "00066B", "XN", 2),
	mk("Beckman Coulter", "DxH 900", classLab, "II", []string{"1.1", "1.3", "2.0"}, 1, osLTSC2021, linkWired, "D0D286", "DXH", 2),
	mk("Siemens Healthineers", "Atellica Solution", classLab, "II", []string{"1.25", "1.27", "1.29"}, 1, osWin10, linkWired, "001865", "ATS", 1),
	mk("Abbott", "i-STAT 1", classLab, "II", []string{"JAMS 143", "JAMS 153", "JAMS 165"}, 1, osInfo{}, linkNone, "0013DD", "IS1-", 2),
	mk("Radiometer", "ABL90 FLEX", classLab, "II", []string{"3.3", "3.5", "3.6"}, 1, osWES7, linkWired, "", "1393-", 1),
}

func mk(manufacturer, model, class, fda string, fw []string, minIdx int, o osInfo, l link, oui, prefix string, weight int) entry {
	e := entry{
		Model: store.Model{Manufacturer: manufacturer, Model: model, DeviceClass: class, FDAClass: fda,
			OS: o.name, OSEOL: o.eol, AllowedTags: allowedTags(class)},
		firmware: fw, minIdx: minIdx, osVersions: o.versions, link: l, prefix: prefix, weight: weight,
	}
	if len(fw) > 0 {
		e.MinFirmware, e.LatestFirmware = fw[minIdx], fw[len(fw)-1]
	}
	if oui != "" {
		for i := range 3 {
			e.oui[i] = hexByte(oui[2*i:])
		}
	} else {
		// A locally administered prefix stands in for vendors whose
		// modules carry a chipset maker's OUI.
		e.oui = [3]byte{0x02, 0x4D, byte(len(prefix))}
	}
	// Vendor support ends some years after the OS does, where that is
	// known; otherwise leave it unknown.
	if !o.eol.IsZero() {
		e.SupportEnd = o.eol.AddDate(2, 0, 0)
	}
	return e
}

func hexByte(s string) byte {
	v := func(c byte) byte {
		switch {
		case c >= '0' && c <= '9':
			return c - '0'
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10
		}
		return c - 'a' + 10
	}
	return v(s[0])<<4 | v(s[1])
}

// allowedTags returns the segment tags a class may sit on: imaging
// modalities on the imaging network, everything else on clinical. No
// class belongs on the guest network.
func allowedTags(class string) []string {
	switch class {
	case classMRI, classCT, classXRay, classCArm, classUltrasound, classInjector, classWorkstn:
		return []string{"imaging"}
	}
	return []string{"clinical"}
}

// Catalog returns the built-in model catalog, ordered as the store orders
// it (manufacturer, then model).
func Catalog() []store.Model {
	out := make([]store.Model, len(catalog))
	for i, e := range catalog {
		out[i] = e.Model
		out[i].AllowedTags = append([]string(nil), e.AllowedTags...)
	}
	sortModels(out)
	return out
}

// byClass indexes the catalog by device class.
var byClass = func() map[string][]int {
	m := map[string][]int{}
	for i, e := range catalog {
		m[e.DeviceClass] = append(m[e.DeviceClass], i)
	}
	return m
}()
