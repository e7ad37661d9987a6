package act

import (
	"context"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// AddRelay registers relay k, to be dialled at addrs (multiaddrs without
// /p2p/), with community cid, or moves it to addrs (admins). Every member
// then pulls from it and pushes to it (see sync/pull).
func (a *Actions) AddRelay(ctx context.Context, cid crdt.ID, k crdt.PublicKey, addrs []string) error {
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindRelay, &crdt.RelayBody{Peer: k[:], Addrs: addrs, Time: a.millis()})
	return err
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
