package identity

import (
	"testing"

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
