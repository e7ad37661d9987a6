package reach

import (
	"sync"
	"time"

	pbv2 "github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/pb"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
)

// RelayCounts are the circuit relay service's counts since it started:
// what the relay node's metrics export.
type RelayCounts struct {
	// Reservations and Circuits are open now.
	Reservations, Circuits int
	// ReservationsGranted counts new reservations (not renewals) and
	// CircuitsOpened relayed connections, since the start.
	ReservationsGranted, CircuitsOpened uint64
	// ReservationsRefused and CircuitsRefused count requests the service
	// refused (over its limits, or malformed).
	ReservationsRefused, CircuitsRefused uint64
	// BytesRelayed counts the bytes relayed, both ways.
	BytesRelayed uint64
}

// relayCounter keeps RelayCounts as libp2p's relay service reports them
// (its MetricsTracer hook), with no metrics library.
type relayCounter struct {
	mu sync.Mutex
	c  RelayCounts // guarded by mu
}

var _ relay.MetricsTracer = (*relayCounter)(nil)

func (r *relayCounter) counts() RelayCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

func (r *relayCounter) do(f func(c *RelayCounts)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(&r.c)
}

func (r *relayCounter) RelayStatus(bool) {}

func (r *relayCounter) ConnectionOpened() {
	r.do(func(c *RelayCounts) { c.Circuits++; c.CircuitsOpened++ })
}

func (r *relayCounter) ConnectionClosed(time.Duration) {
	r.do(func(c *RelayCounts) { c.Circuits = max(c.Circuits-1, 0) })
}

func (r *relayCounter) ConnectionRequestHandled(st pbv2.Status) {
	if st != pbv2.Status_OK {
		r.do(func(c *RelayCounts) { c.CircuitsRefused++ })
	}
}

func (r *relayCounter) ReservationAllowed(renewal bool) {
	if !renewal {
		r.do(func(c *RelayCounts) { c.Reservations++; c.ReservationsGranted++ })
	}
}

func (r *relayCounter) ReservationClosed(n int) {
	r.do(func(c *RelayCounts) { c.Reservations = max(c.Reservations-n, 0) })
}

func (r *relayCounter) ReservationRequestHandled(st pbv2.Status) {
	if st != pbv2.Status_OK {
		r.do(func(c *RelayCounts) { c.ReservationsRefused++ })
	}
}

func (r *relayCounter) BytesTransferred(n int) {
	r.do(func(c *RelayCounts) { c.BytesRelayed += uint64(max(n, 0)) })
}
