package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"

	"github.com/biomed-rounds/rounds/config"
	"github.com/biomed-rounds/rounds/scan/plan"
)

// parseNets parses --net values: CIDRs or single addresses.
func parseNets(vals []string) ([]netip.Prefix, error) {
	var nets []netip.Prefix
	for _, n := range vals {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			addr, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return nil, usagef("--net %q: not a CIDR (such as 10.20.30.0/24) or an address", inert(n))
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		nets = append(nets, p.Masked())
	}
	return nets, nil
}

// classExcluded returns the inventory's IPs and MACs of devices whose
// class is excluded. With classes configured and no inventory to resolve
// them, the sweep is refused: an exclusion that cannot be honoured is not
// silently dropped.
func classExcluded(ctx context.Context, a *app, classes []string) ([]plan.Excluded, error) {
	if len(classes) == 0 {
		return nil, nil
	}
	if _, err := os.Stat(a.dbPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config %s: exclude_classes %q needs the inventory to know their addresses, and there is none at %s; import it first", a.configPath, classes, a.dbPath)
	}
	st, err := a.store(ctx)
	if err != nil {
		return nil, err
	}
	addrs, err := st.AddressesOfClasses(ctx, classes)
	if err != nil {
		return nil, err
	}
	out := make([]plan.Excluded, 0, len(addrs))
	for _, ad := range addrs {
		out = append(out, plan.Excluded{Value: ad.Value, Reason: "class " + ad.Class + ": " + ad.AssetTag})
	}
	return out, nil
}

// buildPlan is the one way the command line and the TUI build a room's
// sources (plan.Build): nets already parsed, o nil for the TUI's defaults.
func buildPlan(ctx context.Context, a *app, cfg config.Config, room string, nets []netip.Prefix, o *scanOptions, warn func(string)) (*plan.Plan, error) {
	ex, err := classExcluded(ctx, a, cfg.Scan.ExcludeClasses)
	if err != nil {
		return nil, err
	}
	s := plan.Spec{Room: room, Nets: nets, Scan: cfg.Scan, ClassExcluded: ex,
		SNMPCommunity: os.Getenv("ROUNDS_SNMP_COMMUNITY"), Warn: warn}
	if o != nil {
		s.ForceScope, s.Profile, s.Exclude, s.SNMP, s.PacketLog = o.forceScope, o.profile, o.exclude, o.snmp, o.packetLog
		if o.ble || o.bleReplay != "" {
			if o.ble && o.bleReplay != "" {
				return nil, usagef("--ble and --ble-replay exclude each other")
			}
			if o.bleReplay == "" && o.duration <= 0 {
				return nil, usagef("--duration must be positive")
			}
			s.BLE = &plan.BLE{Replay: o.bleReplay, Fast: o.bleFast, Adapter: o.bleAdapter, Duration: o.duration,
				Active: o.bleActive, ReadDIS: o.bleReadDIS}
		}
	}
	p, err := plan.Build(s)
	if errors.Is(err, plan.ErrUsage) {
		return nil, usageError{err}
	}
	return p, err
}
