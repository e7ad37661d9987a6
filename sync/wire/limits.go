package wire

import (
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Limits of the protocols. The frame bounds follow from the messages'
// own maximums, and so do the decoder's limits; limits_test.go builds the
// largest message of each kind and checks that it fits.
const (
	// MaxFrame bounds any frame: the largest Fetch and Keys responses and
	// the largest reconciliation message (reconcile.MaxMessageSize) fit.
	MaxFrame = 8 << 20
	// MaxFetch bounds the ids of a Fetch request, and so the ops of its
	// response.
	MaxFetch = 512
	// MaxResponseBytes bounds the ops of one Fetch response, in bytes of
	// their encodings; a responder stops before it would pass it.
	MaxResponseBytes = 4 << 20
	// MaxKeys bounds the epoch keys of one Keys response.
	MaxKeys = 4096
	// MaxJoinKeys bounds the invite-keys ops of one relayed JoinResponse
	// (their bytes are bounded by MaxResponseBytes too).
	MaxJoinKeys = 256
	// MaxPeers bounds the members of one Peers response.
	MaxPeers = 32
	// MaxPeerAddrs bounds the addresses of one member in a Peers response.
	MaxPeerAddrs = crdt.MaxAddrs
	// MaxTurns bounds the frames a responder answers in one
	// reconciliation.
	MaxTurns = 16
)

// First frames. A handler reads its stream's first frame before it knows
// whether the peer is a member, so it reads no more than the largest
// first frame an honest peer sends.
const (
	// MaxRequestFrame bounds a pull protocol Request. The largest, a Fetch
	// of MaxFetch ids or a Keys with a hybrid prekey, is under 20 KiB.
	MaxRequestFrame = 64 << 10
	// MaxPushOps bounds the ops of one Push; MaxPushBytes the bytes of
	// their encodings, so the frame stays within MaxRequestFrame (a bigger
	// op goes by a Nudge and the pull it makes).
	MaxPushOps   = 16
	MaxPushBytes = MaxRequestFrame - 1024
	// MaxJoinRequestFrame bounds a JoinRequest: two ops and their keys.
	MaxJoinRequestFrame = 2*crdt.MaxOpSize + 64
	// MaxFirstReconcileFrame bounds a reconciliation's first frame: the
	// community id and a first message (reconcile.MaxFirstMessageSize, a
	// few KiB at most).
	MaxFirstReconcileFrame = 64 << 10
)

// firstChunk is what reading a frame allocates before its bytes arrive.
const firstChunk = 64 << 10

// decoder decodes frames strictly within the messages' limits:
//   - nesting: a Response's Peers array holds PeerAddrs maps, each with
//     an Addrs array: 4 levels;
//   - arrays: the longest a message may hold (MaxKeys);
//   - maps: the most fields of a message (JoinResponse's 6; the
//     library's floor of 16 is above).
var decoder = crdt.MustDecoder(crdt.DecodeLimits{
	MaxNested: 4,
	MaxArray:  max(MaxFetch, MaxKeys, MaxPeers, MaxPeerAddrs),
	MaxMap:    6,
})
