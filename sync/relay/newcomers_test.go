package relay

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/store"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// requests records the requests a relay sends to one peer.
type requests []*wire.Request

func (r *requests) Request(_ context.Context, req *wire.Request) (*wire.Response, error) {
	*r = append(*r, req)
	return &wire.Response{}, nil
}

// TestNewcomerNudged: the relay nudges a known author of a registered
// community who has published no prekey there (added while away) about
// it when it connects, and stops once its prekey arrives, also after a
// restart; the owner and strangers are never nudged.
func TestNewcomerNudged(t *testing.T) {
	ctx := t.Context()
	tm := newTeam(t, true)
	cid, rk, ben := tm.olivia.cid, tm.relayKey.pub(), tm.ben.k.pub()
	st := store.NewMemory()
	r := openRelay(t, rk, st, 0)
	if _, err := r.Pull(ctx, tm.olivia.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	if got := r.Newcomer(ben); !slices.Equal(got, []crdt.ID{cid}) {
		t.Fatalf("Ben is a newcomer in %v, want [%s]", got, cid.Short())
	}
	if got := r.Newcomer(tm.olivia.k.pub()); len(got) != 0 {
		t.Fatalf("the owner is a newcomer in %v", got)
	}
	if got := r.Newcomer(newKey(40).pub()); len(got) != 0 {
		t.Fatalf("a stranger is a newcomer in %v", got)
	}
	var sent requests
	if done := r.NudgeNewcomer(ctx, ben, &sent); !slices.Equal(done, []crdt.ID{cid}) || len(sent) != 1 || sent[0].Kind != wire.KindNudge || string(sent[0].Community) != string(cid[:]) {
		t.Fatalf("nudged %v, sent %+v", done, sent)
	}

	// Ben arrives: he pulls, publishes his prekey, and the relay gets it.
	if _, err := tm.ben.srv.Pull(ctx, reach(r, ben), cid, nil); err != nil {
		t.Fatal(err)
	}
	tm.ben.author(crdt.ZeroID, crdt.KindPrekey, &crdt.PrekeyBody{KEM: crdt.KEMX25519, Key: make([]byte, 32)})
	if _, err := r.Pull(ctx, tm.ben.remote(rk), cid); err != nil {
		t.Fatal(err)
	}
	if got := r.Newcomer(ben); len(got) != 0 {
		t.Fatalf("Ben arrived but is a newcomer in %v", got)
	}
	if got := openRelay(t, rk, st, 0).Newcomer(ben); len(got) != 0 {
		t.Fatalf("after a restart Ben is a newcomer in %v", got)
	}
}

// TestNewcomerNudgesBounded: however many communities a peer has not
// arrived in, one connection nudges it about at most MaxNewcomerNudges.
func TestNewcomerNudgesBounded(t *testing.T) {
	ctx := t.Context()
	rk := newKey(7).pub()
	r := openRelay(t, rk, store.NewMemory(), 0)
	var ben crdt.PublicKey
	for i := range MaxNewcomerNudges + 3 {
		tm := newNamedTeam(t, fmt.Sprintf("Team %d", i), true)
		ben = tm.ben.k.pub()
		if _, err := r.Pull(ctx, tm.olivia.remote(rk), tm.olivia.cid); err != nil {
			t.Fatal(err)
		}
	}
	var sent requests
	r.NudgeNewcomer(ctx, ben, &sent)
	if len(sent) != MaxNewcomerNudges {
		t.Fatalf("%d nudges, want %d", len(sent), MaxNewcomerNudges)
	}
}
