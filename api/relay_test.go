package api

import (
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestFillRelays: the community's relays, from its control state, sorted
// by key and named by the peer id the node gives.
func TestFillRelays(t *testing.T) {
	a, b := crdt.PublicKey{2}, crdt.PublicKey{1}
	st := &crdt.State{Relays: map[crdt.PublicKey]*crdt.Relay{
		a: {Key: a, Addrs: []string{"/ip4/10.0.0.2/tcp/1"}},
		b: {Key: b, Addrs: []string{"/ip4/10.0.0.1/tcp/1"}},
	}}
	var c Community
	c.FillRelays(st, func(k crdt.PublicKey) string { return "peer-" + k.String()[:2] })
	if len(c.Relays) != 2 || c.Relays[0].PeerID != "peer-01" || c.Relays[1].Addrs[0] != "/ip4/10.0.0.2/tcp/1" {
		t.Fatalf("relays %+v", c.Relays)
	}
	c.FillRelays(&crdt.State{}, nil)
	if c.Relays != nil {
		t.Fatalf("relays of a community without any: %+v", c.Relays)
	}
}
