package demo

import (
	"net/netip"
	"time"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ble/blesim"
	"github.com/biomed-rounds/rounds/scan/ward"
	"github.com/biomed-rounds/rounds/store"
)

// Building and Floor of the demo wing.
const (
	Building = "DEMO"
	Floor    = "3"
)

// The rooms of the demo round, in walking order.
var (
	RoomICU12   = store.LocationKey(Building, Floor, "3W-12")
	RoomICU14   = store.LocationKey(Building, Floor, "3W-14")
	RoomStation = store.LocationKey(Building, Floor, "3W-NS")
	RoomMRI     = store.LocationKey(Building, Floor, "3W-MRI")
	Rooms       = []string{RoomICU12, RoomICU14, RoomStation, RoomMRI}
)

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }
func addr(s string) netip.Addr  { return netip.MustParseAddr(s) }

// locations are the rooms with their segments and barcode labels. ICU 12
// also sees the ward's guest Wi-Fi segment, where a pump must not be.
func locations() []store.Location {
	clinical, guest, imaging := []string{"clinical"}, []string{"guest"}, []string{"imaging"}
	return []store.Location{
		{Site: "Demo General", Building: Building, Floor: Floor, Room: "3W-12", Name: "ICU bed 12", Barcode: "LOC-DEMO-3W12",
			Segments: []store.Segment{{CIDR: pfx("127.77.12.0/28"), Tags: clinical}, {CIDR: pfx("127.77.99.0/29"), Tags: guest}}},
		{Site: "Demo General", Building: Building, Floor: Floor, Room: "3W-14", Name: "ICU bed 14", Barcode: "LOC-DEMO-3W14",
			Segments: []store.Segment{{CIDR: pfx("127.77.14.0/28"), Tags: clinical}}},
		{Site: "Demo General", Building: Building, Floor: Floor, Room: "3W-NS", Name: "Nurses' station", Barcode: "LOC-DEMO-3WNS",
			Segments: []store.Segment{{CIDR: pfx("127.77.20.0/28"), Tags: clinical}}},
		{Site: "Demo General", Building: Building, Floor: Floor, Room: "3W-MRI", Name: "MRI suite", Barcode: "LOC-DEMO-3WMRI",
			RFShielded: true, Segments: []store.Segment{{CIDR: pfx("127.77.42.0/29"), Tags: imaging}}},
	}
}

func date(s string) time.Time {
	t, err := time.Parse(store.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// catalog is the model catalog with firmware baselines, OS end of life
// and the segment tags each class may sit on.
func catalog() []store.Model {
	clin := []string{"clinical"}
	return []store.Model{
		{Manufacturer: "BD", Model: "Alaris 8015", DeviceClass: "infusion pump", FDAClass: "2", MinFirmware: "9.33", LatestFirmware: "12.1.3", AllowedTags: clin},
		{Manufacturer: "Baxter", Model: "Sigma Spectrum 35700", DeviceClass: "infusion pump", FDAClass: "2", MinFirmware: "8.00.01", LatestFirmware: "8.01.02", AllowedTags: clin},
		{Manufacturer: "B. Braun", Model: "SpaceStation", DeviceClass: "infusion pump", FDAClass: "2", MinFirmware: "L2.0", AllowedTags: clin},
		{Manufacturer: "Philips", Model: "IntelliVue MX450", DeviceClass: "patient monitor", FDAClass: "2", MinFirmware: "L.01.00", AllowedTags: clin},
		{Manufacturer: "GE Healthcare", Model: "CARESCAPE B650", DeviceClass: "patient monitor", FDAClass: "2", MinFirmware: "3.0", AllowedTags: clin},
		{Manufacturer: "Masimo", Model: "Root", DeviceClass: "patient monitor", FDAClass: "2", AllowedTags: clin},
		{Manufacturer: "Hamilton Medical", Model: "HAMILTON-C6", DeviceClass: "ventilator", FDAClass: "2", MinFirmware: "2.2", AllowedTags: clin},
		{Manufacturer: "Dräger", Model: "Evita V800", DeviceClass: "ventilator", FDAClass: "2", AllowedTags: clin},
		{Manufacturer: "Philips", Model: "IntelliVue Information Center iX", DeviceClass: "central station", FDAClass: "2",
			OS: "Windows 7", OSEOL: date("2020-01-14"), AllowedTags: clin},
		{Manufacturer: "BD", Model: "Pyxis MedStation ES", DeviceClass: "medication cabinet", OS: "Windows 10 IoT", AllowedTags: clin},
		{Manufacturer: "Zebra", Model: "ZD620", DeviceClass: "label printer"},
		{Manufacturer: "GE Healthcare", Model: "SIGNA Premier", DeviceClass: "mri", FDAClass: "2", AllowedTags: []string{"imaging"}},
		{Manufacturer: "Roche", Model: "Accu-Chek Guide", DeviceClass: "glucose meter", FDAClass: "2"},
		{Manufacturer: "Masimo", Model: "MightySat Rx", DeviceClass: "pulse oximeter", FDAClass: "2"},
		{Manufacturer: "Omron", Model: "BP7450", DeviceClass: "blood pressure monitor", FDAClass: "2"},
		{Manufacturer: "Tandem Diabetes Care", Model: "t:slim X2", DeviceClass: "insulin pump", FDAClass: "2"},
		{Manufacturer: "Philips", Model: "IntelliVue MX40", DeviceClass: "patient monitor", FDAClass: "2"},
	}
}

// devices are the inventory records, with the planted problems:
//
//   - BME-3001, an Alaris pump in ICU 12, runs firmware 9.19.0: below the
//     catalog's minimum and named by a security advisory;
//   - BME-3004, a Sigma Spectrum pump recorded in ICU 12, is not there
//     (missing), and a recall names its model;
//   - BME-3005, a SpaceStation pump in ICU 12, sits on the guest segment;
//   - BME-3021, a ventilator recorded in ICU 14, is in ICU 12 (moved);
//   - the Masimo Root monitor in ICU 12 is in no record (unknown);
//   - the central station runs Windows 7, past end of life;
//   - the MRI suite is RF-shielded: its wireless monitor can only be
//     checked by eye.
func devices(now time.Time) []store.Device {
	day := func(d int) time.Time { return now.AddDate(0, 0, d) }
	return []store.Device{
		{AssetTag: "BME-3001", Serial: "AL8015-1203391", Manufacturer: "BD", Model: "Alaris 8015", LocationKey: RoomICU12,
			FirmwareVersion: "9.19.0", IP: "127.77.12.2", LastPM: day(-200), NextPMDue: day(165), NextAuditDue: day(30), Owner: "ICU"},
		{AssetTag: "BME-3002", Serial: "DE61330921", Manufacturer: "Philips", Model: "IntelliVue MX450", LocationKey: RoomICU12,
			FirmwareVersion: "L.01.05", IP: "127.77.12.3", NextPMDue: day(-12), NextAuditDue: day(-3), Owner: "ICU"},
		{AssetTag: "BME-3004", Serial: "SP35700-448120", Manufacturer: "Baxter", Model: "Sigma Spectrum 35700", LocationKey: RoomICU12,
			FirmwareVersion: "8.00.01", IP: "127.77.12.6", NextPMDue: day(40), Owner: "ICU"},
		{AssetTag: "BME-3005", Serial: "BBSS-00871265", Manufacturer: "B. Braun", Model: "SpaceStation", LocationKey: RoomICU12,
			FirmwareVersion: "L2.0.3", IP: "127.77.99.5", NextPMDue: day(90), Owner: "ICU"},
		{AssetTag: "BME-3010", Serial: "GL-06417251", Manufacturer: "Roche", Model: "Accu-Chek Guide", LocationKey: RoomICU12,
			BLEAddress: "00:60:19:4B:2C:11", Owner: "ICU"},
		{AssetTag: "BME-3011", Serial: "MS-770213", Manufacturer: "Masimo", Model: "MightySat Rx", LocationKey: RoomICU12,
			BLEAddress: "D2:41:7F:09:3A:C5", Owner: "ICU"},
		{AssetTag: "BME-3012", Serial: "TS-90781", Manufacturer: "Tandem Diabetes Care", Model: "t:slim X2", LocationKey: RoomICU12,
			Identifiers: []store.Identifier{{Kind: store.IdentBLEName, Value: "tslim X2 ***781"}}, Owner: "ICU"},
		{AssetTag: "BME-3020", Serial: "SGY17320451WA", Manufacturer: "GE Healthcare", Model: "CARESCAPE B650", LocationKey: RoomICU14,
			FirmwareVersion: "3.1", IP: "127.77.14.2", NextPMDue: day(120), Owner: "ICU"},
		{AssetTag: "BME-3021", Serial: "C6-5032188", Manufacturer: "Hamilton Medical", Model: "HAMILTON-C6", LocationKey: RoomICU14,
			FirmwareVersion: "2.3.1", IP: "127.77.14.4", NextPMDue: day(60), Owner: "Respiratory"},
		{AssetTag: "BME-3022", Serial: "ASFK-0147", Manufacturer: "Dräger", Model: "Evita V800", LocationKey: RoomICU14,
			FirmwareVersion: "2.51", IP: "127.77.14.3", NextPMDue: day(-40), Owner: "Respiratory"},
		{AssetTag: "BME-3023", Serial: "OM-2260118", Manufacturer: "Omron", Model: "BP7450", LocationKey: RoomICU14,
			BLEAddress: "28:FF:B2:60:1A:9E", Owner: "ICU"},
		{AssetTag: "BME-3030", Serial: "PIIC-iX-30412", Manufacturer: "Philips", Model: "IntelliVue Information Center iX",
			LocationKey: RoomStation, FirmwareVersion: "C.0", OS: "Windows 7", OSVersion: "SP1", IP: "127.77.20.2", Owner: "ICU"},
		{AssetTag: "BME-3031", Serial: "PYX-ES-440981", Manufacturer: "BD", Model: "Pyxis MedStation ES", LocationKey: RoomStation,
			FirmwareVersion: "1.6", IP: "127.77.20.3", Owner: "Pharmacy"},
		{AssetTag: "BME-3032", Serial: "D4J201203344", Manufacturer: "Zebra", Model: "ZD620", LocationKey: RoomStation,
			FirmwareVersion: "V84.20.18Z", IP: "127.77.20.4", Owner: "ICU"},
		{AssetTag: "BME-3040", Serial: "MR-70412", Manufacturer: "GE Healthcare", Model: "SIGNA Premier", LocationKey: RoomMRI,
			FirmwareVersion: "MR30.1", IP: "127.77.42.2", NextPMDue: day(20), Owner: "Radiology"},
		{AssetTag: "BME-3041", Serial: "MX40-88120", Manufacturer: "Philips", Model: "IntelliVue MX40", LocationKey: RoomMRI,
			BLEAddress: "00:09:FB:6E:11:40", Owner: "Radiology"},
	}
}

// wardDevices are the IP devices the demo ward runs, room by room. The
// Sigma Spectrum pump (BME-3004) is absent on purpose.
func wardDevices() []ward.Device {
	web := func(banner, title string, upnp bool) []ward.Service {
		return []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: banner, Title: title, UPnP: upnp}}
	}
	return []ward.Device{
		// ICU 12.
		{Name: "alaris-12", Addr: addr("127.77.12.2"), Manufacturer: "BD", Model: "Alaris 8015", Serial: "AL8015-1203391",
			Firmware: "9.19.0", Class: "infusion-pump", Services: web("Linux/2.6 UPnP/1.0 Alaris-WebSvr/9.19", "BD Alaris PC Unit 8015", true)},
		{Name: "mx450-12", Addr: addr("127.77.12.3"), Manufacturer: "Philips", Model: "IntelliVue MX450", Serial: "DE61330921",
			Firmware: "L.01.05", Class: "patient-monitor", Services: web("VxWorks/6.9 UPnP/1.0 IntelliVue/L.01", "IntelliVue MX450", true)},
		{Name: "hamilton-c6", Addr: addr("127.77.12.4"), Manufacturer: "Hamilton Medical", Model: "HAMILTON-C6", Serial: "C6-5032188",
			Firmware: "2.3.1", Class: "ventilator", Services: web("Linux/4.14 UPnP/1.0 HAMILTON-C6/2.3", "HAMILTON-C6", true)},
		{Name: "masimo-root", Addr: addr("127.77.12.5"), Manufacturer: "Masimo", Model: "Root", Serial: "MSR-1190832",
			Firmware: "1.9.1.1", Class: "patient-monitor", Services: web("Linux/3.0 UPnP/1.0 Root/1.9", "Masimo Root", true)},
		{Name: "spacestation", Addr: addr("127.77.99.5"), Manufacturer: "B. Braun", Model: "SpaceStation", Serial: "BBSS-00871265",
			Firmware: "L2.0.3", Class: "infusion-pump", Services: web("Linux/3.10 UPnP/1.0 SpaceCom/2.0", "SpaceCom 2", true)},
		// ICU 14.
		{Name: "carescape-14", Addr: addr("127.77.14.2"), Manufacturer: "GE Healthcare", Model: "CARESCAPE B650", Serial: "SGY17320451WA",
			Firmware: "3.1", Class: "patient-monitor", Services: []ward.Service{{Port: 443, Kind: ward.HTTPS, Banner: "GoAhead-Webs", Title: "CARESCAPE Monitor B650"},
				{Port: 22, Kind: ward.SSH, Banner: "SSH-2.0-OpenSSH_7.4"}}},
		{Name: "evita-14", Addr: addr("127.77.14.3"), Manufacturer: "Dräger", Model: "Evita V800", Serial: "ASFK-0147",
			Firmware: "2.51", Class: "ventilator", Services: []ward.Service{{Port: 443, Kind: ward.HTTPS, Banner: "Draeger-WebSrv", Title: "Evita V800"}}},
		// Nurses' station.
		{Name: "piic-ix", Addr: addr("127.77.20.2"), Manufacturer: "Philips", Model: "IntelliVue Information Center iX", Serial: "PIIC-iX-30412",
			Firmware: "C.0", Class: "central-station", Services: []ward.Service{{Port: 443, Kind: ward.HTTPS, Banner: "Microsoft-HTTPAPI/2.0", Title: "IntelliVue Information Center iX"},
				{Port: 2575, Kind: ward.HL7}}},
		{Name: "pyxis", Addr: addr("127.77.20.3"), Manufacturer: "BD", Model: "Pyxis MedStation ES", Serial: "PYX-ES-440981",
			Firmware: "1.6", Class: "medication-cabinet", Services: []ward.Service{{Port: 443, Kind: ward.HTTPS, Banner: "Microsoft-IIS/10.0", Title: "Pyxis MedStation ES"}}},
		{Name: "zebra", Addr: addr("127.77.20.4"), Manufacturer: "Zebra", Model: "ZD620", Serial: "D4J201203344",
			Firmware: "V84.20.18Z", Class: "label-printer", Services: []ward.Service{{Port: 80, Kind: ward.HTTP, Banner: "Zebra-HTTP", Title: "ZD620 Status"},
				{Port: 9100, Kind: ward.Silent}}},
		// MRI suite (wired, so the IP sweep reaches it; the room is still
		// RF-shielded).
		{Name: "signa", Addr: addr("127.77.42.2"), Manufacturer: "GE Healthcare", Model: "SIGNA Premier", Serial: "MR-70412",
			Firmware: "MR30.1", Class: "mri", Services: []ward.Service{{Port: 104, Kind: ward.DICOM, ImplementationClassUID: "1.2.840.113619.6.374", ImplementationVersion: "GE_MR30.1"},
				{Port: 22, Kind: ward.SSH, Banner: "SSH-2.0-OpenSSH_5.3"}}},
	}
}

// bleRooms are the advertisers each room's capture holds. The MRI suite
// has none: nothing radio gets out of it.
func bleRooms() map[string][]blesim.Device {
	room := blesim.Room(0)
	pick := func(labels ...string) []blesim.Device {
		var out []blesim.Device
		for _, l := range labels {
			for _, d := range room {
				if d.Label == l {
					out = append(out, d)
				}
			}
		}
		return out
	}
	icu14 := pick("bp-cuff")
	// The thermometer next door is in ICU 14; heard weakly through the
	// wall of ICU 12.
	near := pick("wall-thermometer")
	loud := near[0]
	loud.RSSI = -61
	icu14 = append(icu14, loud)
	station := []blesim.Device{{Label: "badge", Addr: "E4:1A:22:70:5B:09", AddrType: scan.AddrRandomStatic, Interval: time.Second,
		RSSI: -64, Jitter: 4, Name: "Vocera B3000n", Manufacturer: []blesim.Manufacturer{{Company: 0x0131, Data: []byte{0x01}}}}}
	return map[string][]blesim.Device{
		RoomICU12:   append(pick("glucose", "oximeter", "insulin"), near...),
		RoomICU14:   icu14,
		RoomStation: station,
	}
}
