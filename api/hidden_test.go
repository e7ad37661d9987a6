package api

import (
	"fmt"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestHiddenOf: a hidden post's reason comes typed from crdt's verdict,
// with the same words, not cut out of the error's text.
func TestHiddenOf(t *testing.T) {
	by := crdt.ID{0x1a, 0x2b, 0x3c, 0x4d}
	for _, tc := range []struct {
		verdict error
		words   string
		cause   HiddenCause
	}{
		{nil, "", ""},
		{&crdt.Hidden{Cause: crdt.HiddenRemoved, By: by}, "the author was removed concurrently (op 1a2b3c4d)", HiddenRemoved},
		{&crdt.Hidden{Cause: crdt.HiddenDemoted, Role: crdt.RoleMember, By: by}, "the author was made member concurrently (op 1a2b3c4d)", HiddenDemoted},
		{&crdt.Hidden{Cause: crdt.HiddenRankFell, Role: crdt.RoleAdmin}, "the op that made the author admin fell", HiddenRankFell},
		{fmt.Errorf("wrapped: %w", &crdt.Hidden{Cause: crdt.HiddenAdmissionFell}), "the op that admitted the author fell", HiddenAdmissionFell},
	} {
		words, cause := HiddenOf(tc.verdict)
		if words != tc.words || cause != tc.cause {
			t.Errorf("%v: %q %q, want %q %q", tc.verdict, words, cause, tc.words, tc.cause)
		}
	}
}

// TestHiddenOfStandingPostAllocatesNothing: every message a page or a
// search converts asks HiddenOf, almost always about a post that stands;
// that costs no allocation (it once cost one per message).
func TestHiddenOfStandingPostAllocatesNothing(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { HiddenOf(nil) }); n != 0 {
		t.Fatalf("HiddenOf(nil) allocates %v times", n)
	}
}
