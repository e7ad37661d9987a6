package identity

// MaxNameLen is the longest display name, in bytes of UTF-8. A name goes
// into join and profile ops, so it is crdt's bound on names (limits_test.go
// checks that crdt takes every name ValidateName passes).
const MaxNameLen = 64

// MaxLinkLen bounds an invite link, in characters. A link carries an
// invite op and its secret in base64: the largest invite op an admin can
// sign (16 inviter and 16 relay addresses, or sealed details of the most
// crdt allows) is under 9 KiB, 12 KiB as a link (crdt's tests check it).
const MaxLinkLen = 16 << 10

// Limits of the link decoder. A link's payload is one map of two byte
// strings, below every floor the CBOR library accepts, so the decoder
// allows just those floors.
const (
	linkMaxNested = 4  // the library's least: the payload nests 1 level
	linkMaxArray  = 16 // the library's least: the payload holds no array
	linkMaxMap    = 16 // the library's least: the payload's map has 2 pairs
)
