package reach

import "time"

// Bounds of what reach keeps and asks for.
const (
	// maxReservations is how many relays a node keeps a slot on at once.
	maxReservations = 2
	// maxBookRelays bounds the relays remembered from invites.
	maxBookRelays = 16
	// maxBookPeers bounds the peers whose addresses the book remembers.
	maxBookPeers = 512
	// maxJoiningAge is how long a join cut short is resumed by itself;
	// after that, opening the link again resumes it.
	maxJoiningAge = 7 * 24 * time.Hour
	// maxBookRequests bounds the requests to join the book keeps; past
	// it, the oldest is forgotten.
	maxBookRequests = 64
)
