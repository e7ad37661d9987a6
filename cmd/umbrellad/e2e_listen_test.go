package main

import (
	"bytes"
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	ma "github.com/multiformats/go-multiaddr"
)

// ports returns a running daemon's TCP and UDP ports on 127.0.0.1.
func (d *daemon) ports() (tcp, udp string) {
	d.t.Helper()
	var self struct{ Addrs []string }
	d.jsonRun(&self, "id")
	for _, a := range self.Addrs {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			d.t.Fatal(err)
		}
		if p, err := m.ValueForProtocol(ma.P_TCP); err == nil && tcp == "" {
			tcp = p
		}
		if p, err := m.ValueForProtocol(ma.P_UDP); err == nil && udp == "" {
			udp = p
		}
	}
	if tcp == "" || udp == "" {
		d.t.Fatalf("%s listens on %q: want a TCP and a UDP port", d.home, self.Addrs)
	}
	return tcp, udp
}

// serveBriefly runs `serve` with extra flags and returns its stderr and
// exit code, stopping it (code -1) if it is still running after 15 s.
func (d *daemon) serveBriefly(extra ...string) (string, int) {
	d.t.Helper()
	ctx, cancel := context.WithTimeout(d.t.Context(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.bin, append([]string{"serve", "--no-mdns", "--home", d.home}, extra...)...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	cmd.Run()
	return errb.String(), cmd.ProcessState.ExitCode()
}

// TestE2EListenPortInUse: `serve --listen` on a port another daemon holds
// (TCP or QUIC) exits 1 and says so, instead of sharing the port (libp2p
// binds TCP with SO_REUSEPORT); the first daemon is still reached there. A
// daemon whose port of the last run is now taken picks another.
func TestE2EListenPortInUse(t *testing.T) {
	a, b := newDaemon(t, "Olivia"), newDaemon(t, "Ben")
	b.start()
	bTCP, _ := b.ports()
	b.stop()

	// a takes the port b had.
	a.start("--listen", "/ip4/127.0.0.1/tcp/"+bTCP)
	tcp, udp := a.ports()
	for _, tc := range []struct{ listen, want string }{
		{"/ip4/127.0.0.1/tcp/" + tcp, "TCP port " + tcp + " on 127.0.0.1 is in use by another program"},
		{"/ip4/127.0.0.1/tcp/" + bTCP, "TCP port " + bTCP + " on 127.0.0.1 is in use by another program"},
		{"/ip4/127.0.0.1/udp/" + udp + "/quic-v1", "UDP port " + udp + " on 127.0.0.1 is in use by another program"},
	} {
		errOut, code := b.serveBriefly("--listen", tc.listen)
		if code != 1 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, "choose another port") {
			t.Fatalf("serve --listen %s: exit %d, stderr:\n%s", tc.listen, code, errOut)
		}
	}

	// With ports of its own, b reaches a where a listens and joins.
	b.start()
	if bt, _ := b.ports(); bt == bTCP {
		t.Fatalf("b took back TCP port %s, which a holds", bTCP)
	}
	var comm struct{ Community string }
	a.jsonRun(&comm, "community", "create", "--name", "Glow Team")
	var inv struct{ Link string }
	a.jsonRun(&inv, "invite", "create", "--community", comm.Community)
	b.mustRun("join", "--link", inv.Link)
	var cs []struct{ Community string }
	b.jsonRun(&cs, "communities")
	if !slices.ContainsFunc(cs, func(c struct{ Community string }) bool { return c.Community == comm.Community }) {
		t.Fatalf("b's communities after joining: %+v", cs)
	}
}
