package act

import (
	"errors"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestAddAndRemoveRelay: the owner registers a relay, moves it and takes
// it off; the control state follows each step.
func TestAddAndRemoveRelay(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	r := member(7).Key()
	relays := func() map[crdt.PublicKey]*crdt.Relay {
		var out map[crdt.PublicKey]*crdt.Relay
		_ = w.rep.View(w.cid, func(c *crdt.Community) error { out = c.State().Relays; return nil })
		return out
	}
	if err := w.act.AddRelay(ctx, w.cid, r, []string{"/ip4/10.0.0.7/tcp/4001"}); err != nil {
		t.Fatal(err)
	}
	if got := relays()[r]; got == nil || got.Addrs[0] != "/ip4/10.0.0.7/tcp/4001" {
		t.Fatalf("relay after AddRelay: %+v", got)
	}
	if err := w.act.AddRelay(ctx, w.cid, r, []string{"/ip4/10.0.0.8/tcp/4001"}); err != nil {
		t.Fatal(err)
	}
	if got := relays()[r].Addrs[0]; got != "/ip4/10.0.0.8/tcp/4001" {
		t.Fatalf("relay moved to %s", got)
	}
	if err := w.act.RemoveRelay(ctx, w.cid, r); err != nil {
		t.Fatal(err)
	}
	if len(relays()) != 0 {
		t.Fatalf("relays after RemoveRelay: %v", relays())
	}
	if err := w.act.RemoveRelay(ctx, w.cid, r); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("removing a relay not registered: %v", err)
	}
	if err := w.act.AddRelay(ctx, w.cid, r, nil); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("a relay without an address: %v", err)
	}
}

// TestAddRelayByAddress: the owner registers a relay by the address
// `umbrellad relay` prints and takes it off by its peer id; a bad address
// is refused as invalid and writes nothing.
func TestAddRelayByAddress(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	r := member(7).Key()
	relays := func() map[crdt.PublicKey]*crdt.Relay {
		var out map[crdt.PublicKey]*crdt.Relay
		_ = w.rep.View(w.cid, func(c *crdt.Community) error { out = c.State().Relays; return nil })
		return out
	}
	for _, bad := range []string{"", "relay.example.com", "/ip4/10.0.0.7/tcp/4001", "/ip4/10.0.0.7/tcp/4001/p2p/peer-nobody"} {
		if err := w.act.AddRelayAddr(ctx, w.cid, bad); !errors.Is(err, crdt.ErrInvalid) {
			t.Errorf("AddRelayAddr(%q) = %v, want crdt.ErrInvalid", bad, err)
		}
	}
	if len(relays()) != 0 {
		t.Fatalf("bad addresses registered relays: %v", relays())
	}
	if err := w.act.AddRelayAddr(ctx, w.cid, "/ip4/10.0.0.7/tcp/4001/p2p/peer-"+r.String()); err != nil {
		t.Fatal(err)
	}
	if got := relays()[r]; got == nil || len(got.Addrs) != 1 || got.Addrs[0] != "/ip4/10.0.0.7/tcp/4001" {
		t.Fatalf("relay after AddRelayAddr: %+v", got)
	}
	if err := w.act.RemoveRelayPeer(ctx, w.cid, "peer-"+r.String()); err != nil {
		t.Fatal(err)
	}
	if len(relays()) != 0 {
		t.Fatalf("relays after RemoveRelayPeer: %v", relays())
	}
	if err := w.act.RemoveRelayPeer(ctx, w.cid, "not a peer"); !errors.Is(err, crdt.ErrInvalid) {
		t.Fatalf("RemoveRelayPeer of a bad peer id: %v", err)
	}
}
