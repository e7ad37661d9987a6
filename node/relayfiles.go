package node

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/blob"
	"github.com/umbrella-p2p/umbrella/sync/files"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/relay"
)

// filePushID is the stream protocol by which members push files to
// relays (see relay.PushProtocol).
const filePushID = protocol.ID(relay.PushProtocol)

// fileRelays are a member node's view of its communities' relays for
// files: sources to download from (files.Relays), and where the files it
// shares are pushed (files.Forwarder).
type fileRelays struct{ n *Node }

var _ files.Relays = fileRelays{}

// of returns the relays registered with community cid, their addresses
// added to the peerstore so that streams to them dial.
func (f fileRelays) of(cid crdt.ID) []peer.ID {
	st, err := f.n.rep.Snapshot(cid)
	if err != nil {
		return nil
	}
	var out []peer.ID
	for _, r := range st.Relays {
		p, err := peerkey.FromPublicKey(r.Key[:])
		if err != nil || p == f.n.host.ID() {
			continue
		}
		for _, a := range r.Addrs {
			if m, err := ma.NewMultiaddr(a); err == nil {
				f.n.host.Peerstore().AddAddr(p, m, 30*time.Minute)
			}
		}
		out = append(out, p)
	}
	return out
}

// FileRelays implements files.Relays.
func (f fileRelays) FileRelays(cid crdt.ID) []files.Peer {
	var out []files.Peer
	for _, p := range f.of(cid) {
		k, _ := peerkey.Key(p)
		out = append(out, files.Peer{ID: p.String(), Key: k, Source: p2p.FileSource{S: f.n.proto.svc, Peer: p}})
	}
	return out
}

// newFilePusher returns the node's pusher of the files it shares to
// the relays of their communities (files.Pusher), retrying a relay it
// cannot reach.
func newFilePusher(n *Node) *files.Pusher {
	f := fileRelays{n}
	return files.NewPusher(n.ctx, &n.wg, f.push, func(cid crdt.ID) []string {
		var out []string
		for _, p := range f.of(cid) {
			out = append(out, p.String())
		}
		return out
	}, n.cfg.FilePushRetry)
}

// push pushes one file to one relay of community cid (a files.PushFunc).
func (f fileRelays) push(ctx context.Context, to string, cid crdt.ID, root blob.Root, size int64, progress func(sent, total int)) error {
	p, err := peer.Decode(to)
	if err != nil {
		return fmt.Errorf("%w: relay %q: %v", files.ErrRelayRefused, to, err)
	}
	f.of(cid) // the relay's addresses, afresh in the peerstore for a retry
	st, err := f.n.proto.svc.Open(ctx, p, filePushID)
	if err == nil {
		err = relay.PushProgress(ctx, st, f.n.proto.files, cid, root, size, progress)
	}
	switch {
	case errors.Is(err, relay.ErrPushRefused):
		f.n.log.Info("a relay refused a file", "community", cid.Short(), "relay", p.ShortString(), "file", root.String()[:12], "err", err)
		return fmt.Errorf("%w: %s", files.ErrRelayRefused, strings.TrimPrefix(err.Error(), relay.ErrPushRefused.Error()+": "))
	case err != nil:
		f.n.log.Info("file not pushed to a relay", "community", cid.Short(), "relay", p.ShortString(), "file", root.String()[:12], "err", err)
		return err
	}
	f.n.log.Debug("file pushed to a relay", "community", cid.Short(), "relay", p.ShortString(), "file", root.String()[:12])
	return nil
}
