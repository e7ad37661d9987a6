package pull

import "time"

const (
	// NudgeInterval is the least time between two pulls a member's nudges
	// cause.
	NudgeInterval = 2 * time.Second
	// wantPeers is how many members of a community a node tries to stay
	// connected to; gossip needs a handful, not everyone.
	wantPeers = 8
	// MaxSharedPeers bounds a KindPeers answer, sent and read.
	MaxSharedPeers = 32
	// maxFormerPulls bounds the peers and communities formerPulls remembers.
	maxFormerPulls = 4096
	// dialTimeout bounds one background dial.
	dialTimeout = 15 * time.Second
	// sharedAddrTTL is how long addresses a member shared are kept.
	sharedAddrTTL = 10 * time.Minute
	// maxAddWaits bounds the communities a node pulls at once because a
	// contact nudged it about them (added.go).
	maxAddWaits = 16
	// addWaitAge is how long a node keeps pulling a community a contact
	// nudged it about before it gives up.
	addWaitAge = 10 * time.Minute
)
