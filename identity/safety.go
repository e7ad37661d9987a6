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
	h := append([]byte("umbrella/v1 safety number\x00"), key...)
	for range 5200 {
		s := sha512.Sum512(append(h, key...))
		h = s[:]
	}
	groups := make([]string, 6)
	for i := range groups {
		var b [8]byte
		copy(b[3:], h[i*5:i*5+5])
		groups[i] = fmt.Sprintf("%05d", binary.BigEndian.Uint64(b[:])%100000)
	}
	return strings.Join(groups, " ")
}
