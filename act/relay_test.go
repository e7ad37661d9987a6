package act

import (
	"errors"
	"fmt"
	"slices"
	"strings"
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
	if got := relays()[r].Addrs; len(got) != 2 || got[0] != "/ip4/10.0.0.8/tcp/4001" || got[1] != "/ip4/10.0.0.7/tcp/4001" {
		t.Fatalf("relay added again at a new address: %v, want the new one first and the old one kept", got)
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

// TestAddRelayKeepsWorkingAddresses: adding a registered relay again at a
// wrong address keeps the addresses it had (a wrong one never replaces a
// working one for every member); too many addresses are refused with a
// way out, and remove then add replaces them.
func TestAddRelayKeepsWorkingAddresses(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	r := member(7).Key()
	addrs := func() []string {
		var out []string
		_ = w.rep.View(w.cid, func(c *crdt.Community) error {
			if x := c.State().Relays[r]; x != nil {
				out = x.Addrs
			}
			return nil
		})
		return out
	}
	good := "/ip4/10.0.0.7/tcp/4001"
	if err := w.act.AddRelay(ctx, w.cid, r, []string{good}); err != nil {
		t.Fatal(err)
	}
	if err := w.act.AddRelay(ctx, w.cid, r, []string{"/ip4/192.0.2.1/tcp/1", good}); err != nil {
		t.Fatal(err)
	}
	if got := addrs(); !slices.Equal(got, []string{"/ip4/192.0.2.1/tcp/1", good}) {
		t.Fatalf("addresses after adding a wrong one: %v", got)
	}
	many := make([]string, crdt.MaxAddrs)
	for i := range many {
		many[i] = fmt.Sprintf("/ip4/192.0.2.%d/tcp/2", i+10)
	}
	if err := w.act.AddRelay(ctx, w.cid, r, many); !errors.Is(err, crdt.ErrInvalid) || !strings.Contains(err.Error(), "remove it and add it again") {
		t.Fatalf("adding more than %d addresses in all: %v", crdt.MaxAddrs, err)
	}
	if got := addrs(); !slices.Equal(got, []string{"/ip4/192.0.2.1/tcp/1", good}) {
		t.Fatalf("a refused add changed the addresses: %v", got)
	}
	if err := w.act.RemoveRelay(ctx, w.cid, r); err != nil {
		t.Fatal(err)
	}
	if err := w.act.AddRelay(ctx, w.cid, r, []string{"/ip4/10.0.0.9/tcp/4001"}); err != nil {
		t.Fatal(err)
	}
	if got := addrs(); !slices.Equal(got, []string{"/ip4/10.0.0.9/tcp/4001"}) {
		t.Fatalf("addresses after remove and add: %v", got)
	}
}

// TestAddRelayRefusesMembers: a member's peer id, or the admin's own, is
// not a relay; nothing is written.
func TestAddRelayRefusesMembers(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	for _, k := range []crdt.PublicKey{member(1).Key(), w.c.Owner.Key()} {
		before := len(w.journal)
		err := w.act.AddRelay(ctx, w.cid, k, []string{"/ip4/10.0.0.7/tcp/4001"})
		if !errors.Is(err, crdt.ErrInvalid) || !strings.Contains(err.Error(), "not a relay") {
			t.Fatalf("AddRelay(%s): %v, want a member refused", k, err)
		}
		if len(w.journal) != before {
			t.Fatalf("a refused relay wrote %v", w.journal[before:])
		}
	}
	var n int
	_ = w.rep.View(w.cid, func(c *crdt.Community) error { n = len(c.State().Relays); return nil })
	if n != 0 {
		t.Fatalf("%d relays registered", n)
	}
}
