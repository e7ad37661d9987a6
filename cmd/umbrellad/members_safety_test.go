package main

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// numberingNode lists members, most without their safety numbers as a
// node lists a big community's, and gives those when asked.
type numberingNode struct {
	api.API
	asked []string
}

func (f *numberingNode) Members(crdt.ID) ([]api.Member, error) {
	return []api.Member{{PeerID: "p1", Name: "Olivia", SafetyNumber: "11111"}, {PeerID: "p2", Name: "Ben"}, {PeerID: "p3", Name: "Chloe"}}, nil
}

func (f *numberingNode) SafetyNumbers(peers []string) ([]string, error) {
	f.asked = append(f.asked, peers...)
	out := make([]string, len(peers))
	for i, p := range peers {
		out[i] = "number of " + p
	}
	return out, nil
}

// TestMembersCarryEverySafetyNumber: `umbrellad members` prints every
// member's safety number: the control API asks the node for those its
// list left empty, and only those.
func TestMembersCarryEverySafetyNumber(t *testing.T) {
	f := &numberingNode{}
	c := serveNode(t, f)
	var ms []api.Member
	if err := c.call(t.Context(), "members", args{Community: crdt.ID{1}}, &ms); err != nil {
		t.Fatal(err)
	}
	want := []string{"11111", "number of p2", "number of p3"}
	for i, m := range ms {
		if m.SafetyNumber != want[i] {
			t.Fatalf("member %d: safety number %q, want %q", i, m.SafetyNumber, want[i])
		}
	}
	if len(f.asked) != 2 {
		t.Fatalf("asked for %q, want the two missing", f.asked)
	}
}
