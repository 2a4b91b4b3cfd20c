package ward

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoSNMPD reports that Debian's snmpd (net-snmp) is not installed.
var ErrNoSNMPD = errors.New("ward: snmpd not installed (apt-get install snmpd)")

// Entity is one row of ENTITY-MIB entPhysicalTable an agent serves.
type Entity struct {
	Index int
	// Class is entPhysicalClass (3 chassis, 9 module, 10 port...).
	Class                                  int
	Serial, Model, Firmware, Software, Mfg string
}

// SNMPD configures a real net-snmp agent.
type SNMPD struct {
	// Addr must be in 127.0.0.0/8; Port is the UDP port (a free one is
	// picked when 0).
	Addr netip.Addr
	Port int
	// Community is the read-only SNMPv2c community.
	Community string
	// User, AuthPass and PrivPass, when User is set, add an SNMPv3 user
	// with SHA authentication and AES privacy.
	User, AuthPass, PrivPass       string
	SysDescr, SysObjectID, SysName string
	// Entities are served through snmpd's override directive: stock
	// snmpd does not implement ENTITY-MIB, a device's agent does.
	Entities []Entity
	// Dir holds the configuration and persistent state (a test's
	// TempDir).
	Dir string
}

// Agent is a running snmpd.
type Agent struct {
	// Port is the UDP port it listens on.
	Port int
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
	once sync.Once
}

// StartSNMPD starts snmpd in the foreground, serving cfg, and waits until
// it answers. Close stops it.
func StartSNMPD(ctx context.Context, cfg SNMPD) (*Agent, error) {
	bin, err := exec.LookPath("snmpd")
	if err != nil {
		for _, p := range []string{"/usr/sbin/snmpd", "/usr/local/sbin/snmpd"} {
			if _, serr := os.Stat(p); serr == nil {
				bin, err = p, nil
				break
			}
		}
	}
	if err != nil {
		return nil, ErrNoSNMPD
	}
	if !cfg.Addr.Is4() || !cfg.Addr.IsLoopback() {
		return nil, fmt.Errorf("ward: snmpd address %v is not in 127.0.0.0/8", cfg.Addr)
	}
	if cfg.Port == 0 {
		pc, err := net.ListenPacket("udp4", net.JoinHostPort(cfg.Addr.String(), "0"))
		if err != nil {
			return nil, fmt.Errorf("ward: snmpd port: %w", err)
		}
		cfg.Port = pc.LocalAddr().(*net.UDPAddr).Port
		_ = pc.Close()
	}
	q := strconv.Quote
	var b strings.Builder
	fmt.Fprintf(&b, "agentAddress udp:%s:%d\n", cfg.Addr, cfg.Port)
	if cfg.Community != "" {
		fmt.Fprintf(&b, "rocommunity %s 127.0.0.0/8\n", cfg.Community)
	}
	if cfg.User != "" {
		fmt.Fprintf(&b, "createUser %s SHA %s AES %s\nrouser %s priv\n", cfg.User, q(cfg.AuthPass), q(cfg.PrivPass), cfg.User)
	}
	for k, v := range map[string]string{"sysDescr": cfg.SysDescr, "sysObjectID": cfg.SysObjectID, "sysName": cfg.SysName} {
		if v != "" {
			fmt.Fprintf(&b, "%s %s\n", k, v)
		}
	}
	fmt.Fprintf(&b, "sysLocation ward\nsysContact biomed\n")
	const ent = ".1.3.6.1.2.1.47.1.1.1.1"
	for _, e := range cfg.Entities {
		fmt.Fprintf(&b, "override %s.5.%d integer %d\n", ent, e.Index, e.Class)
		for col, v := range map[int]string{11: e.Serial, 13: e.Model, 9: e.Firmware, 10: e.Software, 12: e.Mfg} {
			if v != "" {
				fmt.Fprintf(&b, "override %s.%d.%d octet_str %s\n", ent, col, e.Index, q(v))
			}
		}
	}
	conf := filepath.Join(cfg.Dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		return nil, fmt.Errorf("ward: snmpd: %w", err)
	}
	// -C: no system configuration; -M /dev/null: no MIB files, all OIDs
	// numeric; state under Dir, never /var/lib/snmp.
	cmd := exec.Command(bin, "-f", "-Lo", "-C", "-c", conf, "-M", "/dev/null", "-p", filepath.Join(cfg.Dir, "snmpd.pid"))
	cmd.Env = append(os.Environ(), "SNMP_PERSISTENT_DIR="+cfg.Dir, "MIBS=")
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{w: out}, nil
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("ward: snmpd: %w", err)
	}
	a := &Agent{Port: cfg.Port, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(a.done) }()
	// Ready when its socket is bound: a datagram to a closed UDP port is
	// refused at once on loopback.
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case <-a.done:
			return nil, fmt.Errorf("ward: snmpd exited: %s", strings.TrimSpace(cmd.Stdout.(*lockedWriter).String()))
		default:
		}
		if strings.Contains(cmd.Stdout.(*lockedWriter).String(), "NET-SNMP version") {
			return a, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			a.Close()
			return nil, fmt.Errorf("ward: snmpd did not start: %s", strings.TrimSpace(cmd.Stdout.(*lockedWriter).String()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Close stops the agent and waits for it.
func (a *Agent) Close() error {
	a.once.Do(func() {
		_ = a.cmd.Process.Signal(os.Interrupt)
		select {
		case <-a.done:
		case <-time.After(3 * time.Second):
			_ = a.cmd.Process.Kill()
			<-a.done
		}
	})
	return nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 64<<10 {
		return len(p), nil
	}
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}
