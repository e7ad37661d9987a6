package identity

import (
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"strings"
)

// SafetyNumber is a member's fingerprint for comparing out of band: 30
// digits in six groups of five, from SHA-512 iterated over the member's
// Ed25519 key (as Signal derives its numbers, 5,200 rounds). Two people
// who read each other's number from their screens (in person, on a call)
// know no one has put another key under that name: every op, prekey and
// so every key wrap of a member is signed by that key.
func SafetyNumber(key []byte) string {
	// One hasher and one digest buffer for every round: a member list of
	// thousands asks for thousands of these, and a fresh slice per round
	// made the collector run all the while.
	d := sha512.New()
	var sum [sha512.Size]byte
	d.Write([]byte("umbrella/v1 safety number\x00"))
	d.Write(key)
	d.Write(key)
	h := d.Sum(sum[:0])
	for range 5200 - 1 {
		d.Reset()
		d.Write(h)
		d.Write(key)
		h = d.Sum(sum[:0])
	}
	groups := make([]string, 6)
	for i := range groups {
		var b [8]byte
		copy(b[3:], h[i*5:i*5+5])
		groups[i] = fmt.Sprintf("%05d", binary.BigEndian.Uint64(b[:])%100000)
	}
	return strings.Join(groups, " ")
}
