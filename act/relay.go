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
