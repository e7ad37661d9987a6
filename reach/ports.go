package reach

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	ma "github.com/multiformats/go-multiaddr"
)

// ErrPortInUse: a listen address names a port another program holds.
var ErrPortInUse = errors.New("is in use by another program")

// CheckPortsFree reports, wrapping ErrPortInUse, the first listen address
// whose fixed port another program holds. libp2p binds its TCP listeners
// with SO_REUSEPORT (for hole punching), so on Linux a second daemon on
// the same port would start and share, or steal, the first one's
// connections; a plain bind, without it, fails when the port is taken.
// Port 0, and addresses that are not an IP and a port, are not checked.
func CheckPortsFree(listen []string) error {
	for _, a := range listen {
		m, err := ma.NewMultiaddr(a)
		if err != nil {
			continue // libp2p says what is wrong with it
		}
		ip, err := m.ValueForProtocol(ma.P_IP4)
		if err != nil {
			if ip, err = m.ValueForProtocol(ma.P_IP6); err != nil {
				continue
			}
		}
		network, what := "tcp", "TCP"
		port, err := m.ValueForProtocol(ma.P_TCP)
		if err != nil {
			if port, err = m.ValueForProtocol(ma.P_UDP); err != nil {
				continue
			}
			network, what = "udp", "UDP"
		}
		if port == "0" {
			continue
		}
		hostPort := net.JoinHostPort(ip, port)
		if network == "tcp" {
			var l net.Listener
			if l, err = net.Listen(network, hostPort); err == nil {
				l.Close()
			}
		} else {
			var c net.PacketConn
			if c, err = net.ListenPacket(network, hostPort); err == nil {
				c.Close()
			}
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("listen on %s: %s port %s on %s %w", a, what, port, ip, ErrPortInUse)
		}
	}
	return nil
}
