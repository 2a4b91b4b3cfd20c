package ip

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/probe"
)

// maxDescPath bounds the request target taken from a LOCATION.
const maxDescPath = 512

func hasUPnP(fps []scan.Fingerprint) bool {
	for _, fp := range fps {
		if fp.Kind == "upnp" && fp.Fields["error"] == "" && len(fp.Fields) > 0 {
			return true
		}
	}
	return false
}

// ssdp sends one unicast M-SEARCH to the host's udp/1900 and, when the
// answer's LOCATION names this very host inside the sweep's scope, fetches
// the description it names (often on a high port the port list never
// probes). A LOCATION naming anything else is recorded, never followed:
// a device can name any address. have skips the fetch when the host's
// description was already read.
func (r *run) ssdp(ctx context.Context, h *host, have bool) ([]scan.Fingerprint, error) {
	if err := r.acquire(ctx, h); err != nil {
		return nil, err
	}
	port := probe.SSDPPort + r.cfg.PortOffset
	if err := r.allowed(h.addr, probe.SSDPPort); err != nil {
		r.release(h)
		return nil, err
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", netip.AddrPortFrom(h.addr, uint16(port)).String())
	if err != nil {
		r.release(h)
		return nil, nil
	}
	var ans probe.SSDPAnswer
	hostport := net.JoinHostPort(h.addr.String(), strconv.Itoa(probe.SSDPPort))
	// Devices answer a unicast M-SEARCH at once (it has no MX); waiting
	// the connect timeout bounds what a silent host costs.
	fp, err := r.runFor(ctx, h, probe.SSDPPort, r.cfg.Profile.ConnectTimeout, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
		f, a, err := probe.SSDP(pctx, c, hostport, sent)
		ans = a
		return f, err
	})
	_ = c.Close()
	r.release(h)
	if err != nil || fp == nil {
		return nil, err
	}
	if ans.Location == "" || fp.Fields["error"] != "" {
		return []scan.Fingerprint{*fp}, nil
	}
	desc, lerr := probe.ParseLocation(ans.Location, h.addr)
	logical := desc.Port - r.cfg.PortOffset
	if lerr == nil && len(desc.Path) > maxDescPath {
		lerr = errString("probe: ssdp: LOCATION path too long")
	}
	if lerr == nil && logical < 1 {
		lerr = errString("probe: ssdp: LOCATION port outside the sweep's port range")
	}
	if lerr == nil {
		lerr = r.allowed(desc.Addr, logical)
	}
	if lerr != nil {
		fp.Fields["location_refused"] = probe.Field(lerr.Error())
		r.logf("%v: SSDP LOCATION %q not followed: %v", h.addr, ans.Location, lerr)
		return []scan.Fingerprint{*fp}, nil
	}
	out := []scan.Fingerprint{*fp}
	if have {
		return out, nil
	}
	conn, res, err := r.dial(ctx, h, logical)
	if err != nil {
		return nil, err
	}
	if res != open {
		return out, nil
	}
	up, err := r.run(ctx, h, logical, func(pctx context.Context, sent probe.Sent) (scan.Fingerprint, error) {
		return probe.UPnP(pctx, conn, net.JoinHostPort(h.addr.String(), strconv.Itoa(desc.Port)), desc.Path, sent)
	})
	_ = conn.Close()
	r.release(h)
	if err != nil {
		return nil, err
	}
	if up != nil {
		if up.Fields == nil {
			up.Fields = map[string]string{}
		}
		up.Fields["via"] = "ssdp"
		out = append(out, *up)
	}
	return out, nil
}

type errString string

func (e errString) Error() string { return string(e) }
