package identity

import (
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/internal/cborshape"
)

// TestLinkDecodeLimitsFollowThePayload: the link decoder's limits are the
// library's floors, and the payload fits within them.
func TestLinkDecodeLimitsFollowThePayload(t *testing.T) {
	s := cborshape.Of(wireLink{})
	if len(s.Arrays) != 0 || s.Depth > linkMaxNested || s.MaxMap > linkMaxMap {
		t.Fatalf("link payload %+v does not fit the decoder's limits", s)
	}
	if linkMaxNested != 4 || linkMaxArray != 16 || linkMaxMap != 16 {
		t.Fatal("the link decoder allows more than the library's floors, which the payload needs")
	}
}

// TestNameFitsTheOps: the longest display names ValidateName passes go
// into a profile op and a join op, and a name crdt would refuse for its
// length is refused here first.
func TestNameFitsTheOps(t *testing.T) {
	if MaxNameLen != crdt.MaxNameLen {
		t.Fatalf("identity.MaxNameLen %d, crdt.MaxNameLen %d", MaxNameLen, crdt.MaxNameLen)
	}
	for _, unit := range []string{"a", "é", "李", "🎉"} {
		name := strings.Repeat(unit, MaxNameLen/len(unit))
		name, err := ValidateName(name)
		if err != nil {
			t.Fatalf("longest name of %q: %v", unit, err)
		}
		if _, err := crdt.EncodeBody(&crdt.ProfileBody{Name: name, Time: 1}); err != nil {
			t.Errorf("a profile op refuses the name %q: %v", name, err)
		}
		if _, err := crdt.EncodeBody(&crdt.JoinBody{Invite: make([]byte, 32), Proof: make([]byte, 64), Name: name, Time: 1}); err != nil {
			t.Errorf("a join op refuses the name %q: %v", name, err)
		}
		if _, err := ValidateName(name + unit); err == nil {
			t.Errorf("a name of %d bytes passes, over MaxNameLen", len(name+unit))
		}
	}
}
