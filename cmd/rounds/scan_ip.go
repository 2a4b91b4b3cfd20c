package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"

	"github.com/spf13/cobra"

	"github.com/biomed-rounds/rounds/scan"
	"github.com/biomed-rounds/rounds/scan/ip"
	"github.com/biomed-rounds/rounds/store"
)

// newIPSweeper builds the IP sweep from the options: the --net segments
// (or, without them, the segments configured for --room),
// the profile (--profile, else the configuration's, else safe), and the
// exclusions from the configuration, --exclude, and the inventory's
// addresses of the excluded device classes.
func newIPSweeper(cmd *cobra.Command, a *app, o scanOptions) (scan.Sweeper, error) {
	ctx := cmd.Context()
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	var nets []netip.Prefix
	for _, n := range o.nets {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			addr, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return nil, usagef("--net %q: not a CIDR (such as 10.20.30.0/24) or an address", n)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		nets = append(nets, p)
	}
	if len(nets) == 0 && o.room != "" {
		// No --net: the segments configured for the room.
		st, err := a.store(ctx)
		if err != nil {
			return nil, err
		}
		loc, err := st.Location(ctx, o.room)
		if errors.Is(err, store.ErrNotFound) {
			return nil, usagef("--room %q: no such room", o.room)
		}
		if err != nil {
			return nil, err
		}
		for _, seg := range loc.Segments {
			nets = append(nets, seg.CIDR)
		}
		if len(nets) == 0 {
			return nil, usagef("room %s has no network segment configured; give --net CIDR", loc.Key)
		}
	}
	profile := o.profile
	if !cmd.Flags().Changed("profile") && cfg.Scan.Profile != "" {
		profile = cfg.Scan.Profile
	}
	prof, err := ip.ProfileNamed(profile)
	if err != nil {
		return nil, usagef("%v", err)
	}

	var ex ip.Exclusions
	if err := ex.AddAll(cfg.Scan.Exclude, "config"); err != nil {
		return nil, fmt.Errorf("config %s: [scan] exclude: %w", a.configPath, err)
	}
	if err := ex.AddAll(o.exclude, "--exclude"); err != nil {
		return nil, usagef("--exclude: %v", err)
	}
	if err := excludeClasses(ctx, a, cfg.Scan.ExcludeClasses, &ex); err != nil {
		return nil, err
	}

	c := ip.Config{
		Nets:          nets,
		ForceScope:    o.forceScope,
		Profile:       prof,
		Exclude:       ex,
		SNMP:          o.snmp,
		SNMPCommunity: os.Getenv("ROUNDS_SNMP_COMMUNITY"),
		Logf: func(format string, args ...any) {
			fmt.Fprintf(a.stderr, "rounds: ip: "+format+"\n", args...)
		},
	}
	var logFile *os.File
	if o.packetLog != "" {
		logFile, err = os.OpenFile(o.packetLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--packet-log: %w", err)
		}
		c.PacketLog = logFile
	}
	s, err := ip.New(c)
	if err != nil {
		if logFile != nil {
			_ = logFile.Close()
		}
		if errors.Is(err, ip.ErrPublic) || errors.Is(err, ip.ErrTooLarge) || errors.Is(err, ip.ErrNeverSwept) {
			return nil, usageError{err}
		}
		return nil, err
	}
	if logFile == nil {
		return s, nil
	}
	return closingSweeper{s, logFile.Close}, nil
}

// excludeClasses adds the inventory's IPs and MACs of devices whose class
// is excluded. With classes configured and no inventory to resolve them,
// the sweep is refused: an exclusion that cannot be honoured is not
// silently dropped.
func excludeClasses(ctx context.Context, a *app, classes []string, ex *ip.Exclusions) error {
	if len(classes) == 0 {
		return nil
	}
	if _, err := os.Stat(a.dbPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("config %s: exclude_classes %q needs the inventory to know their addresses, and there is none at %s; import it first", a.configPath, classes, a.dbPath)
	}
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	addrs, err := st.AddressesOfClasses(ctx, classes)
	if err != nil {
		return err
	}
	for _, ad := range addrs {
		if err := ex.Add(ad.Value, "class "+ad.Class+": "+ad.AssetTag); err != nil {
			// A malformed recorded address names no host the sweep could
			// reach; say so, so that the record gets fixed.
			fmt.Fprintf(a.stderr, "rounds: inventory: %s (%s) records %s %q, which is not an address; fix the record\n",
				inert(ad.AssetTag), inert(ad.Class), ad.Kind, inert(ad.Value))
		}
	}
	return nil
}

// closingSweeper closes the packet log once the sweep is over.
type closingSweeper struct {
	scan.Sweeper
	close func() error
}

func (c closingSweeper) Sweep(ctx context.Context, out chan<- scan.Observation) error {
	err := c.Sweeper.Sweep(ctx, out)
	if cerr := c.close(); err == nil && cerr != nil {
		err = fmt.Errorf("--packet-log: %w", cerr)
	}
	return err
}
