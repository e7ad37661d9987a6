package crdt

import "encoding/hex"

// who names member k in an error for people: the display name this state
// knows for it (a member's, a former member's or a requester's), else
// the first bytes of its key. Callers that hold peer ids add them.
func (s *State) who(k PublicKey) string {
	if m := s.Members[k]; m != nil && m.Name != "" {
		return m.Name
	}
	if n := s.Names[k]; n != "" {
		return n
	}
	return "key " + hex.EncodeToString(k[:4])
}
