package gossip

import "time"

// The bounds of what the service remembers and how long it waits.
const (
	// maxUnbackedPeers bounds the senders of ops citing parents this node
	// lacks that are remembered at once.
	maxUnbackedPeers = 1024
	// maxUnbackedIDs bounds the missing ids sampled per sender and community.
	maxUnbackedIDs = 16
	// maxRecentOps bounds the ops the validator passed that are remembered.
	maxRecentOps = 4096
	// maxPenalised bounds the peers remembered for misbehaving.
	maxPenalised = 4096
	// penaltyMemory is how long an offence counts against a peer.
	penaltyMemory = time.Hour

	// evictGrace is how long a peer that lost access to a topic stays
	// connected: long enough for the op that took the access away (its
	// removal) to reach it by gossip, as it may no longer pull.
	evictGrace = 2 * time.Second

	// meshWindow is how long after publishing on a topic this node nudges
	// the peers grafted into its mesh: the op's gossip window (three
	// heartbeats of a second) with room for a loaded machine.
	meshWindow = 10 * time.Second
)
