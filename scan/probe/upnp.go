package probe

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/biomed-rounds/rounds/scan"
)

// UPnPPaths are where embedded UPnP stacks commonly serve their root
// device description when SSDP (multicast, not used by the sweep) is not
// asked: libupnp/pupnp and most devices, then miniupnpd.
var UPnPPaths = []string{"/description.xml", "/rootDesc.xml"}

// UPnPDevice is the identity part of a UPnP root device description
// (UPnP Device Architecture 2.0, section 2.3). FirmwareVersion and
// SoftwareVersion are not in the standard but several vendors add them.
type UPnPDevice struct {
	DeviceType       string `xml:"deviceType"`
	FriendlyName     string `xml:"friendlyName"`
	Manufacturer     string `xml:"manufacturer"`
	ModelName        string `xml:"modelName"`
	ModelNumber      string `xml:"modelNumber"`
	ModelDescription string `xml:"modelDescription"`
	SerialNumber     string `xml:"serialNumber"`
	UDN              string `xml:"UDN"`
	UPC              string `xml:"UPC"`
	FirmwareVersion  string `xml:"firmwareVersion"`
	SoftwareVersion  string `xml:"softwareVersion"`
}

// ParseUPnP parses a root device description. Namespaces are ignored (many
// devices get them wrong); the document must have a <root> holding a
// <device>. Entities beyond XML's own are not expanded.
func ParseUPnP(b []byte) (UPnPDevice, error) {
	var doc struct {
		XMLName xml.Name
		Device  UPnPDevice `xml:"device"`
	}
	d := xml.NewDecoder(io.LimitReader(bytes.NewReader(b), MaxRead))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) {
		// Declared charsets are mostly wrong on devices; read the bytes and
		// let Field replace what is not UTF-8.
		return r, nil
	}
	if err := d.Decode(&doc); err != nil {
		return UPnPDevice{}, fmt.Errorf("%w: upnp description: %v", ErrNotProtocol, err)
	}
	if !strings.EqualFold(doc.XMLName.Local, "root") {
		return UPnPDevice{}, fmt.Errorf("%w: upnp description: root element is <%s>", ErrNotProtocol, Field(doc.XMLName.Local))
	}
	dev := doc.Device
	for _, p := range []*string{&dev.DeviceType, &dev.FriendlyName, &dev.Manufacturer, &dev.ModelName,
		&dev.ModelNumber, &dev.ModelDescription, &dev.SerialNumber, &dev.UDN, &dev.UPC,
		&dev.FirmwareVersion, &dev.SoftwareVersion} {
		*p = Field(*p)
	}
	if dev == (UPnPDevice{}) {
		return dev, fmt.Errorf("%w: upnp description has no device", ErrNotProtocol)
	}
	return dev, nil
}

// Fields returns the description as fingerprint fields, keyed by the
// UPnP element names.
func (d UPnPDevice) Fields() map[string]string {
	f := map[string]string{}
	for k, v := range map[string]string{
		"deviceType": d.DeviceType, "friendlyName": d.FriendlyName, "manufacturer": d.Manufacturer,
		"modelName": d.ModelName, "modelNumber": d.ModelNumber, "modelDescription": d.ModelDescription,
		"serialNumber": d.SerialNumber, "UDN": d.UDN, "UPC": d.UPC,
		"firmwareVersion": d.FirmwareVersion, "softwareVersion": d.SoftwareVersion,
	} {
		if v != "" {
			f[k] = v
		}
	}
	return f
}

// UPnP fetches the device description at path on conn. It fails with
// ErrNotProtocol when the server answers but not with a description.
func UPnP(ctx context.Context, conn net.Conn, host, path string, sent Sent) (scan.Fingerprint, error) {
	defer bind(ctx, conn)()
	b, err := get(conn, host, path, sent)
	fp := scan.Fingerprint{Kind: "upnp", Raw: raw(b)}
	if len(b) == 0 {
		return fp, fmtErr("upnp", err)
	}
	h, err := ParseHTTP(b)
	if err != nil {
		return fp, err
	}
	if h.Status != 200 {
		return fp, fmt.Errorf("%w: upnp description %s: HTTP %d", ErrNotProtocol, path, h.Status)
	}
	dev, err := ParseUPnP(h.Body)
	if err != nil {
		return fp, err
	}
	fp.Fields = dev.Fields()
	fp.Fields["path"] = path
	return fp, nil
}
