package gossip

import (
	"fmt"
	"slices"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
)

func message(data []byte) *pubsub.Message { return &pubsub.Message{Message: &pb.Message{Data: data}} }

// TestValidator: undecodable, badly signed, oversized and misrouted ops
// are rejected; an op whose parents are held, or were passed a moment
// before, is accepted and handed on; an op citing what is not held is
// ignored, parked only when its author is a member or its sender, and
// pulled from its sender; an op of a community not held is ignored.
func TestValidator(t *testing.T) {
	ctx := t.Context()
	olivia, mallory, stranger := newMember(t, 1, "Olivia"), newMember(t, 2, "Mallory"), newMember(t, 3, "Stranger")
	cid, other := crdt.ID{0xc0}, crdt.ID{0xc1}
	rep := newFakeReplica()
	rep.community(cid, olivia.key, mallory.key)
	pl := &fakePuller{}
	s := bare(t, rep, pl, time.Now, olivia.pid)
	validate := s.Validator(cid, crdt.ZeroID)

	good := profileOp(t, olivia, cid, cid)
	tampered := slices.Clone(good.Bytes())
	tampered[len(tampered)/2] ^= 1
	ghost := crdt.ID{0xee}
	for _, tc := range []struct {
		name string
		v    pubsub.ValidatorEx
		data []byte
		want pubsub.ValidationResult
	}{
		{"good op", validate, good.Bytes(), pubsub.ValidationAccept},
		{"garbage", validate, []byte("not an op"), pubsub.ValidationReject},
		{"tampered", validate, tampered, pubsub.ValidationReject},
		{"oversized", validate, make([]byte, crdt.MaxOpSize+1), pubsub.ValidationReject},
		{"another log", s.Validator(cid, crdt.ID{1}), good.Bytes(), pubsub.ValidationReject},
		{"another community", s.Validator(other, crdt.ZeroID), good.Bytes(), pubsub.ValidationReject},
		{"community not held", s.Validator(other, crdt.ZeroID), profileOp(t, olivia, other, other).Bytes(), pubsub.ValidationIgnore},
	} {
		m := message(tc.data)
		if got := tc.v(ctx, mallory.pid, m); got != tc.want {
			t.Errorf("%s: validator = %v, want %v", tc.name, got, tc.want)
		}
		if tc.want == pubsub.ValidationAccept {
			if op, ok := m.ValidatorData.(*crdt.Op); !ok || op.ID() != good.ID() {
				t.Errorf("%s: the accepted op is not handed on: %v", tc.name, m.ValidatorData)
			}
		}
	}
	if n := rep.ingestedCount(); n != 0 || pl.pullCount() != 0 {
		t.Fatalf("the cases so far ingested %d ops and pulled %d times", n, pl.pullCount())
	}

	// An op citing a ghost: ignored, parked (its author is a member), and
	// its sender asked.
	unbacked := profileOp(t, mallory, cid, ghost)
	if got := validate(ctx, mallory.pid, message(unbacked.Bytes())); got != pubsub.ValidationIgnore {
		t.Fatalf("op citing a ghost = %v, want ValidationIgnore", got)
	}
	if rep.ingestedCount() != 1 || pl.pullCount() != 1 || pl.pulls[0] != mallory.pid {
		t.Fatalf("op citing a ghost: %d ingested, pulls %v; want it parked and Mallory asked", rep.ingestedCount(), pl.pulls)
	}
	if got := s.unbacked.take(mallory.pid, cid); !slices.Equal(got, []crdt.ID{ghost}) {
		t.Fatalf("sampled %v, want the ghost", got)
	}
	// The same signed by a key of no member, sent by a member: not parked.
	if got := validate(ctx, mallory.pid, message(profileOp(t, stranger, cid, ghost).Bytes())); got != pubsub.ValidationIgnore {
		t.Fatalf("junk under a made-up key = %v, want ValidationIgnore", got)
	}
	if rep.ingestedCount() != 1 {
		t.Fatal("junk signed by a key of no member was parked")
	}
	// By a non-member sending its own op (a newcomer): parked.
	if got := validate(ctx, stranger.pid, message(profileOp(t, stranger, cid, crdt.ID{0xef}).Bytes())); got != pubsub.ValidationIgnore {
		t.Fatalf("a newcomer's op citing what is missing = %v, want ValidationIgnore", got)
	}
	if rep.ingestedCount() != 2 {
		t.Fatal("a sender's own op citing what is missing was not parked")
	}
	// This node's own gossip coming back is not pulled from itself.
	pulls := pl.pullCount()
	validate(ctx, olivia.pid, message(profileOp(t, olivia, cid, crdt.ID{0xed}).Bytes()))
	if pl.pullCount() != pulls {
		t.Fatal("the node pulled from itself")
	}

	// A burst: a child validated before its parent was ingested passes
	// once the parent was passed.
	parent := profileOp(t, olivia, cid, cid)
	child := profileOp(t, olivia, cid, parent.ID())
	if got := validate(ctx, mallory.pid, message(parent.Bytes())); got != pubsub.ValidationAccept {
		t.Fatalf("parent = %v", got)
	}
	if got := validate(ctx, mallory.pid, message(child.Bytes())); got != pubsub.ValidationAccept {
		t.Fatalf("child of a parent just passed = %v, want ValidationAccept", got)
	}
}

// TestRecentOpsBounded: the validator remembers the last maxRecentOps ops
// it passed, and no more.
func TestRecentOpsBounded(t *testing.T) {
	var r recentOps
	id := func(i int) crdt.ID { return crdt.ID{byte(i >> 16), byte(i >> 8), byte(i)} }
	for i := range maxRecentOps + 10 {
		r.add(id(i))
		r.add(id(i)) // a duplicate takes no room
	}
	if len(r.set) != maxRecentOps || len(r.ring) != maxRecentOps {
		t.Fatalf("remembers %d (ring %d), want %d", len(r.set), len(r.ring), maxRecentOps)
	}
	if got := r.without([]crdt.ID{id(0), id(9), id(10), id(maxRecentOps + 9)}); !slices.Equal(got, []crdt.ID{id(0), id(9)}) {
		t.Fatalf("without = %v, want the ten oldest forgotten", got)
	}
}

// TestUnbackedBounded: at most maxUnbackedIDs ids are sampled per sender
// and community, and at most maxUnbackedPeers senders.
func TestUnbackedBounded(t *testing.T) {
	var u unbackedOps
	cid := crdt.ID{1}
	p := newMember(t, 1, "Mallory").pid
	for i := range 3 * maxUnbackedIDs {
		u.note(p, cid, []crdt.ID{{byte(i)}, {byte(i)}})
	}
	if got := u.take(p, cid); len(got) != maxUnbackedIDs {
		t.Fatalf("sampled %d ids, want %d", len(got), maxUnbackedIDs)
	}
	if got := u.take(p, cid); len(got) != 0 {
		t.Fatalf("take did not forget: %v", got)
	}
	for i := range maxUnbackedPeers + 5 {
		u.note(peer.ID(fmt.Sprint("peer ", i)), cid, []crdt.ID{{1}})
	}
	if len(u.byPeer) != maxUnbackedPeers {
		t.Fatalf("remembers %d senders, want %d", len(u.byPeer), maxUnbackedPeers)
	}
}
