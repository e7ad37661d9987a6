package turn

import "time"

// Protocol is the credential protocol's libp2p id.
const Protocol = "/umbrella/turn/1"

// Limits of the credential protocol and of the credentials.
const (
	// MaxFrame bounds a request or a response: a few URLs and a short
	// username and password.
	MaxFrame = 2 << 10
	// MaxURLs bounds the URLs of a response.
	MaxURLs = 4
	// MaxURLLen bounds one URL.
	MaxURLLen = 256
	// MaxUsernameLen bounds a username: an expiry, a colon and a peer id
	// (about 52 characters for an Ed25519 key).
	MaxUsernameLen = 128
	// MaxPasswordLen bounds a password (28 characters of base64 for an
	// HMAC-SHA1).
	MaxPasswordLen = 64
	// MaxErrorLen bounds a response's error text.
	MaxErrorLen = 256
	// TTL is how long a credential may make new allocations.
	TTL = 10 * time.Minute
	// KeepAlive is how long after its expiry a credential still keeps
	// an allocation it made alive (refreshes, permissions, channels):
	// the longest call (crdt.MaxCallDuration).
	KeepAlive = 24 * time.Hour
	// Idle bounds how long either side waits for the other's frame.
	Idle = 10 * time.Second
	// Version is the protocol's version.
	Version = 1
)
