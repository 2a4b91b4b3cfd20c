package probe

import (
	"net/netip"
	"testing"
)

func TestParseLocation(t *testing.T) {
	host := netip.MustParseAddr("127.77.3.11")
	cases := []struct {
		loc  string
		want Description
		ok   bool
	}{
		{"http://127.77.3.11:49152/upnp/desc.xml", Description{host, 49152, "/upnp/desc.xml"}, true},
		{"http://127.77.3.11/rootDesc.xml?dev=1", Description{host, 80, "/rootDesc.xml?dev=1"}, true},
		{"http://[::ffff:127.77.3.11]:2869/d.xml", Description{host, 2869, "/d.xml"}, true},
		{"http://127.77.3.12:49152/desc.xml", Description{}, false},  // another host
		{"http://10.0.0.1:49152/desc.xml", Description{}, false},     // out of scope
		{"http://localhost:49152/desc.xml", Description{}, false},    // a name: never resolved
		{"https://127.77.3.11:443/desc.xml", Description{}, false},   // not plain http
		{"http://u:p@127.77.3.11:80/desc.xml", Description{}, false}, // credentials
		{"http://127.77.3.11:0/desc.xml", Description{}, false},
		{"http://127.77.3.11:99999/desc.xml", Description{}, false},
		{"http://127.77.3.11.nip.io/desc.xml", Description{}, false},
		{"file:///etc/passwd", Description{}, false},
		{"", Description{}, false},
	}
	for _, c := range cases {
		got, err := ParseLocation(c.loc, host)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseLocation(%q) = %+v, %v", c.loc, got, err)
		}
	}
}

func TestParseSSDP(t *testing.T) {
	a, err := ParseSSDP([]byte("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\nLOCATION: http://127.77.3.11:49152/upnp/desc.xml\r\nSERVER: Linux/4.1 UPnP/1.0 Portable SDK for UPnP devices/1.6.25\r\nST: upnp:rootdevice\r\nUSN: uuid:1::upnp:rootdevice\r\n\r\n"))
	if err != nil || a.Location != "http://127.77.3.11:49152/upnp/desc.xml" || a.USN != "uuid:1::upnp:rootdevice" || a.ST != "upnp:rootdevice" {
		t.Fatalf("%+v %v", a, err)
	}
	for _, bad := range []string{"", "HTTP/1.1 404 Not Found\r\nLOCATION: http://x/\r\n\r\n", "HTTP/1.1 200 OK\r\nSERVER: x\r\n\r\n", "M-SEARCH * HTTP/1.1\r\n\r\n"} {
		if _, err := ParseSSDP([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
