package act

import (
	"context"
	"fmt"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// AddRelay registers relay k, to be dialled at addrs (multiaddrs without
// /p2p/), with community cid (admins). Every member then pulls from it and
// pushes to it (see sync/pull). Adding a relay already registered adds addrs
// to the ones it has, first, so a wrong address never takes the place of a
// working one; to replace them, remove the relay and add it again. A key
// that is a member of the community (the admin's own included) is refused:
// it is a member, not a relay. Errors for bad input wrap crdt.ErrInvalid.
func (a *Actions) AddRelay(ctx context.Context, cid crdt.ID, k crdt.PublicKey, addrs []string) error {
	err := a.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if k == a.self {
			return fmt.Errorf("%w: %s is your own peer id, not a relay: paste the address that umbrellad relay prints", crdt.ErrInvalid, a.names.PeerID(k))
		}
		if st.Role(k) != crdt.RoleNone {
			return fmt.Errorf("%w: %s (%s) is a member, not a relay: paste the address that umbrellad relay prints", crdt.ErrInvalid, a.names.PeerID(k), a.names.Name(st, k))
		}
		if old := st.Relays[k]; old != nil && len(addrs) > 0 {
			addrs = mergeAddrs(addrs, old.Addrs)
			if len(addrs) > crdt.MaxAddrs {
				return fmt.Errorf("%w: relay %s would have %d addresses, more than %d: remove it and add it again to replace its addresses", crdt.ErrInvalid, a.names.PeerID(k), len(addrs), crdt.MaxAddrs)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = a.write(ctx, cid, crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: k[:], Addrs: addrs, Time: a.millis()})
	return err
}

// mergeAddrs returns add followed by those of have not in add.
func mergeAddrs(add, have []string) []string {
	out := slices.Clone(add)
	for _, h := range have {
		if !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// RemoveRelay takes relay k off community cid (admins): members stop
// dialling it, and it stops taking the community's ops.
func (a *Actions) RemoveRelay(ctx context.Context, cid crdt.ID, k crdt.PublicKey) error {
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: k[:], Remove: true, Time: a.millis()})
	return err
}

// AddRelayAddr registers the relay at addr, its address as `umbrellad
// relay` prints it (a multiaddr ending in /p2p/ID), with community cid
// (admins). A bad address fails with an error that wraps crdt.ErrInvalid
// before anything is written.
func (a *Actions) AddRelayAddr(ctx context.Context, cid crdt.ID, addr string) error {
	k, addrs, err := a.names.RelayAddr(addr)
	if err != nil {
		return err
	}
	return a.AddRelay(ctx, cid, k, addrs)
}

// RemoveRelayPeer takes the relay with peer id peerID off community cid
// (admins).
func (a *Actions) RemoveRelayPeer(ctx context.Context, cid crdt.ID, peerID string) error {
	k, err := a.names.Key(peerID)
	if err != nil {
		return err
	}
	return a.RemoveRelay(ctx, cid, k)
}
