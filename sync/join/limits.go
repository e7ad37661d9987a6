package join

import (
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Limits of the short link decoder (ParseShortLink).
const (
	// MaxShortLinkLen bounds a short link, in characters, whatever it
	// holds. A realistic link (two peers, three QUIC addresses) stays
	// under 200 (tested); the rest is room for odd addresses.
	MaxShortLinkLen = 1024
	// MaxShortPeers bounds the peers a short link names.
	MaxShortPeers = 4
	// MaxShortAddrs bounds the addresses of one peer in a short link.
	MaxShortAddrs = 4
	// MaxShortAddrLen bounds one generic binary multiaddr, in bytes.
	MaxShortAddrLen = 128
)

// RelayGrace is how long a short link's lookup, answered by a relay,
// waits for a member it names to answer too (Resolve): a member is asked
// to admit the join first; the relay when no member is online.
const RelayGrace = 3 * time.Second

// maxSavedRequest bounds the record of a request to join kept in the
// peer book (loadRequest): two ops, base64 in JSON, and a few addresses.
const maxSavedRequest = 3*crdt.MaxOpSize + 64<<10
