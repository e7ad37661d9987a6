package turn

import (
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
// server's UDP socket, wrapped, knows which member each client address
// authenticated as, and once that member is not Allowed (asked again at
// most every Recheck per address, so that one added back is let in
// again) it drops whatever that address sends
// and whatever the server would send to it. The allocation is then of no
// use and times out. Over TCP only Check applies.

// Recheck is how often the gate asks again whether a client address's
// member is still Allowed.
const Recheck = time.Second

// maxGated bounds the client addresses the gate remembers; past it, the
// oldest checks are forgotten first (a forgotten address is let through
// until it authenticates again, as it must to refresh).
const maxGated = 1 << 16

// gate is the server's UDP socket, cutting off removed members. It is
// safe for concurrent use.
type gate struct {
	net.PacketConn
	iss *Issuer

	mu    sync.Mutex
	addrs map[string]*gated // by client address; guarded by mu
}

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
	g.addrs[addr.String()] = &gated{peer: peer, checked: g.iss.cfg.Now(), ok: true}
}

// open reports whether traffic from or to addr may pass.
func (g *gate) open(addr net.Addr) bool {
	if addr == nil {
		return true
	}
	g.mu.Lock()
	e := g.addrs[addr.String()]
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
	if e2 := g.addrs[addr.String()]; e2 == e {
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
