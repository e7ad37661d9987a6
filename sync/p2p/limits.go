package p2p

import (
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Limits of the stream protocols, as this package enforces them.
const (
	// StreamTimeout bounds a whole request, a whole answer, and a whole
	// reconciliation session.
	StreamTimeout = 30 * time.Second
	// Idle is the longest a responder waits for a requester's next frame
	// (the first one included: a request is small and comes at once or
	// not at all) or for its own reply to be read.
	Idle = 10 * time.Second

	// The first frames a handler reads before it knows whether the peer
	// may use the protocol: package wire owns their bounds, derived from
	// the messages' maximums (wire's limits.go), and these name them here.
	//
	// MaxSyncRequest bounds a pull request frame.
	MaxSyncRequest = wire.MaxRequestFrame
	// MaxJoinRequest bounds a join request frame: two ops.
	MaxJoinRequest = wire.MaxJoinRequestFrame
	// MaxFirstReconcileFrame bounds the frame read before the initiator
	// is known to be allowed.
	MaxFirstReconcileFrame = wire.MaxFirstReconcileFrame

	// MaxServedSessions bounds the reconciliations a node answers at once,
	// and MaxSessionsPerPeer those of any one peer. A session holds a set
	// of (rank, id) items, 40 bytes an op, for as long as the initiator
	// takes its turns, so slots are scarce: they go only to peers that may
	// reconcile, and an initiator that goes quiet for Idle loses its slot.
	MaxServedSessions  = 8
	MaxSessionsPerPeer = 2
)
