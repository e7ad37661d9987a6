package reconcile

import (
	"encoding/binary"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Tuning, and the limits Decode enforces. The sizes below follow from them
// and from the encoding (see the package doc), so a transport can bound
// the frames that carry messages (limits_test.go checks them against
// encoded messages).
const (
	// Branch is how many ranges a mismatched range is split into.
	Branch = 32
	// ListMax is the most items a side lists instead of splitting.
	ListMax = 32
	// MaxRanges bounds the ranges of one message.
	MaxRanges = 1 << 16
	// MaxIDs bounds the ids (full or prefixes) one message carries;
	// Process defers the ranges whose answers would pass it to later round
	// trips, and cuts only an answer that alone passes it (then the
	// session must run again).
	MaxIDs = 1 << 16
)

// Encoded sizes of the parts of a message, at their largest.
const (
	// maxBoundSize: a key delta, a prefix length, a whole id as prefix.
	maxBoundSize = binary.MaxVarintLen64 + 1 + len(crdt.ID{})
	// maxRangeSize: a bound, the mode, and a payload without its ids: a
	// fingerprint, or a Diff's two counts (each at most MaxIDs).
	maxRangeSize = maxBoundSize + 1 + max(FingerprintSize, 2*3)
	// maxItemSize: a key and a whole id; a prefix is smaller.
	maxItemSize = binary.MaxVarintLen64 + len(crdt.ID{})
)

const (
	// MaxMessageSize bounds the encoding of any message Decode accepts:
	// the version byte, MaxRanges ranges and MaxIDs items.
	MaxMessageSize = 1 + MaxRanges*maxRangeSize + MaxIDs*maxItemSize
	// MaxFirstMessageSize bounds the first message of a session
	// (Set.Initiate): Branch fingerprinted ranges, or one List of at most
	// ListMax prefixes.
	MaxFirstMessageSize = 1 + max(Branch*maxRangeSize, maxRangeSize+ListMax*PrefixSize)
)
