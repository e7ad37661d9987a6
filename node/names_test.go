package node

import (
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestNamesKeyNotPeerID: text that is no peer id is named in plain words
// (not the decoder's "invalid cid: …") and is still a crdt.ErrInvalid.
func TestNamesKeyNotPeerID(t *testing.T) {
	for _, s := range []string{"xyz", "", "12D3KooW"} {
		_, err := names{}.Key(s)
		if !errors.Is(err, crdt.ErrInvalid) {
			t.Fatalf("Key(%q) = %v, want a crdt.ErrInvalid", s, err)
		}
		if want := s + " is not a member's peer id"; err.Error() != want {
			t.Errorf("Key(%q) says %q, want %q", s, err.Error(), want)
		}
	}
}
