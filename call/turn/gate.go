package turn

import (
	"errors"
	"net"
	"sync"
	"time"
)

// # Removed members
//
// A credential names its member, and Check refuses it once the member is
// no longer Allowed, so a removed member can make no allocation and keep
// none alive with the credentials it holds. pion/turn has no way to
// delete an allocation from outside, so the gate does the rest: the
// server's UDP socket and every TCP connection its listener accepts,
// wrapped, know which member each client address authenticated as, and
// once that member is not Allowed (asked again at most every Recheck per
// address, so that one added back is let in again) the gate cuts it off:
//
//   - Over UDP it drops whatever that address sends and whatever the
//     server would send to it. The allocation is then of no use and
//     times out.
//   - Over TCP it closes the connection at the first byte either way:
//     a control connection (TURN over TCP, which WebRTC uses with
//     ?transport=tcp), whose allocation pion then deletes, or an RFC 6062
//     data connection, whose relayed TCP connection to the peer pion then
//     closes. A connection on which nothing passes keeps nothing going.

// Recheck is how often the gate asks again whether a client address's
// member is still Allowed.
const Recheck = time.Second

// maxGated bounds the client addresses the gate remembers; past it, the
// oldest checks are forgotten first (a forgotten address is let through
// until it authenticates again, as it must to refresh).
const maxGated = 1 << 16

// errCutOff: a TCP connection's member is no longer Allowed.
var errCutOff = errors.New("turn: the member is no longer allowed")

// gate is the server's UDP socket, cutting off removed members, and the
// table of client addresses its TCP connections share. It is safe for
// concurrent use.
type gate struct {
	net.PacketConn
	iss *Issuer

	mu    sync.Mutex
	addrs map[string]*gated // by client address (addrKey); guarded by mu
}

// addrKey is a client address as the gate keys it: a UDP and a TCP client
// may have the same IP and port.
func addrKey(a net.Addr) string { return a.Network() + " " + a.String() }

// gated is what the gate knows of one client address.
type gated struct {
	peer    string    // the member it authenticated as
	checked time.Time // when Allowed was last asked
	ok      bool      // its answer
}

func newGate(pc net.PacketConn, iss *Issuer) *gate {
	return &gate{PacketConn: pc, iss: iss, addrs: map[string]*gated{}}
}

// learn records that addr authenticated as member peer (just now, so
// still allowed).
func (g *gate) learn(addr net.Addr, peer string) {
	if addr == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.addrs) >= maxGated {
		var oldest string
		var at time.Time
		for a, e := range g.addrs {
			if oldest == "" || e.checked.Before(at) {
				oldest, at = a, e.checked
			}
		}
		delete(g.addrs, oldest)
	}
	g.addrs[addrKey(addr)] = &gated{peer: peer, checked: g.iss.cfg.Now(), ok: true}
}

// open reports whether traffic from or to addr may pass.
func (g *gate) open(addr net.Addr) bool {
	if addr == nil {
		return true
	}
	g.mu.Lock()
	e := g.addrs[addrKey(addr)]
	if e == nil {
		g.mu.Unlock()
		return true // not authenticated yet: pion answers it with a challenge
	}
	now := g.iss.cfg.Now()
	if now.Sub(e.checked) < Recheck {
		ok := e.ok
		g.mu.Unlock()
		return ok
	}
	peer := e.peer
	g.mu.Unlock()
	ok := g.iss.allowed(peer) // outside the lock: Allowed may be slow
	g.mu.Lock()
	if e2 := g.addrs[addrKey(addr)]; e2 == e {
		e.checked, e.ok = now, ok
	}
	g.mu.Unlock()
	return ok
}

// ReadFrom drops what a removed member's address sends.
func (g *gate) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := g.PacketConn.ReadFrom(p)
		if err != nil || g.open(addr) {
			return n, addr, err
		}
	}
}

// WriteTo drops what the server sends to a removed member's address.
func (g *gate) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !g.open(addr) {
		return len(p), nil
	}
	return g.PacketConn.WriteTo(p, addr)
}

// gatedListener is the server's TCP listener: each connection it accepts
// is cut off once its client's member is not Allowed.
type gatedListener struct {
	net.Listener
	g *gate
}

// Accept returns the next connection, gated.
func (l gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &gatedConn{Conn: c, g: l.g}, nil
}

// gatedConn is one TCP connection to the server: a control connection or
// an RFC 6062 data connection, which authenticates with its own
// ConnectionBind and so is learnt by its own address.
type gatedConn struct {
	net.Conn
	g *gate
}

// Read closes the connection instead of returning what a removed member
// sent.
func (c *gatedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && !c.g.open(c.Conn.RemoteAddr()) {
		_ = c.Conn.Close()
		return 0, errCutOff
	}
	return n, err
}

// Write closes the connection instead of sending to a removed member.
func (c *gatedConn) Write(p []byte) (int, error) {
	if !c.g.open(c.Conn.RemoteAddr()) {
		_ = c.Conn.Close()
		return 0, errCutOff
	}
	return c.Conn.Write(p)
}
