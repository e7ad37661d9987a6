package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The fake's relays: registered by an admin (crdt judges who may), with
// a state per relay that tests set as the node's pulls would.

func (f *fakeBackend) Relays(cid crdt.ID) ([]api.RelayState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Relays"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, fmt.Errorf("unknown community")
	}
	return slices.Clone(c.relays), nil
}

// AddRelayAddr reads addr as ADDR/p2p/ID, as the node does with a
// multiaddr, and registers (or moves) the relay.
func (f *fakeBackend) AddRelayAddr(_ context.Context, cid crdt.ID, addr string) error {
	return f.changeCommunity("AddRelayAddr", cid, func(c *fakeCommunity) error {
		addr = strings.TrimSpace(addr)
		i := strings.LastIndex(addr, "/p2p/")
		if !strings.HasPrefix(addr, "/") || i < 0 || strings.Contains(addr[i+len("/p2p/"):], "/") || len(addr) == i+len("/p2p/") {
			return fmt.Errorf("%w: not a relay address: a relay address must end in /p2p/<peer id>", crdt.ErrInvalid)
		}
		if i == 0 {
			return fmt.Errorf("%w: the relay address says who the relay is but not where to reach it", crdt.ErrInvalid)
		}
		if err := f.judge(c, crdt.Action{Kind: crdt.KindRelay}); err != nil {
			return err
		}
		peerID := addr[i+len("/p2p/"):]
		c.relays = slices.DeleteFunc(c.relays, func(r api.RelayState) bool { return r.PeerID == peerID })
		c.relays = append(c.relays, api.RelayState{PeerID: peerID, Addrs: []string{addr[:i]}})
		return nil
	})
}

func (f *fakeBackend) RemoveRelayPeer(_ context.Context, cid crdt.ID, peerID string) error {
	return f.changeCommunity("RemoveRelayPeer", cid, func(c *fakeCommunity) error {
		if err := f.judge(c, crdt.Action{Kind: crdt.KindRelay}); err != nil {
			return err
		}
		n := len(c.relays)
		c.relays = slices.DeleteFunc(c.relays, func(r api.RelayState) bool { return r.PeerID == peerID })
		if len(c.relays) == n {
			return fmt.Errorf("%w: relay %s is not registered", crdt.ErrInvalid, peerID)
		}
		return nil
	})
}

// setRelay sets what the device knows of relay rs.PeerID of community
// cid (registering it if needed), as the node's pulls would, and tells
// subscribers.
func (f *fakeBackend) setRelay(cid crdt.ID, rs api.RelayState) {
	f.mu.Lock()
	c := f.comm(cid)
	if i := slices.IndexFunc(c.relays, func(r api.RelayState) bool { return r.PeerID == rs.PeerID }); i >= 0 {
		c.relays[i] = rs
	} else {
		c.relays = append(c.relays, rs)
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventPeers})
}

// relaysOf is community cid's relays as the fake holds them.
func (f *fakeBackend) relaysOf(cid crdt.ID) []api.RelayState {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.comm(cid).relays)
}
