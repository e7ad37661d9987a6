package e2ee

import "github.com/umbrella-p2p/umbrella/crdt"

// Ratchet bounds.
const (
	// MaxIndex bounds a sender's index in one epoch (rotation by count
	// ends epochs long before): deriving a key walks at most this far.
	MaxIndex = 1 << 16
	// MaxSkipped is how many skipped message keys a chain keeps: an op
	// further behind the newest opened one than that no longer opens.
	MaxSkipped = 2000
)

// Keyring bounds.
const (
	// MaxPrekeys is how many of its own prekeys a node keeps: the newest is
	// published, older ones still open wraps made before a rotation.
	MaxPrekeys = 4
	// MaxKeyringEpochs bounds the epoch secrets a keyring holds, and so
	// what a saved one may hold when it is loaded. A node keeps every
	// epoch it may read (ops of a log are hash-linked, so old ones must
	// still open): one in 20 communities of 10 groups each, rotating
	// weekly, gathers about 11,000 a year, so a million is decades away,
	// and a keyring that large (about 100 MiB) is still read whole. Past
	// it a keyring forgets its oldest epochs (see Keyring), so that it
	// never saves what it could not load.
	MaxKeyringEpochs = 1 << 20
)

// keyringDecoder reads a saved keyring. It is the node's own file, but it
// is decoded as strictly as anything from a peer, within its own limits:
//   - nesting: the keyring's map holds arrays of prekey and epoch maps: 3;
//   - arrays: MaxKeyringEpochs epochs (prekeys are fewer);
//   - maps: an epoch's 5 fields (the library's floor of 16 is above).
//
// It is not crdt.Unmarshal, whose arrays are capped for ops: a node
// holding more than crdt's 1,024 epochs must still start.
var keyringDecoder = crdt.MustDecoder(crdt.DecodeLimits{
	MaxNested: 3,
	MaxArray:  max(MaxPrekeys, MaxKeyringEpochs),
	MaxMap:    5,
})
