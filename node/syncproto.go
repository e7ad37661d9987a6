package node

import (
	"context"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/exchange"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Stream protocols; see package sync/wire for their messages and package
// sync/p2p for their handlers.
const (
	syncProtocol      = p2p.SyncID
	joinProtocol      = p2p.JoinID
	reconcileProtocol = p2p.ReconcileID

	// nudgeInterval is the least time between two pulls a member's nudges
	// cause.
	nudgeInterval = 2 * time.Second
)

// isMember reports whether peer p is a member of community cid.
func (n *Node) isMember(cid crdt.ID, p peer.ID) bool {
	k, ok := keyOf(p)
	return ok && n.rep.Role(cid, k) != crdt.RoleNone
}

// request sends one request of protocol proto to p on a new stream and
// reads the response.
func (n *Node) request(ctx context.Context, p peer.ID, proto protocol.ID, req, resp any) error {
	return n.proto.svc.Call(ctx, p, proto, req, resp)
}

// pull brings community cid up to date with peer p (see exchange.Pull).
func (n *Node) pull(ctx context.Context, p peer.ID, cid crdt.ID) error {
	return n.pullCounting(ctx, p, cid, nil)
}

// pullCounting is pull, counting the ops it receives into rc, and noting
// the pull for LastSync when it succeeds.
func (n *Node) pullCounting(ctx context.Context, p peer.ID, cid crdt.ID, rc *exchange.Progress) error {
	at := n.now()
	st, err := n.proto.x.Pull(ctx, n.proto.remote(p), cid, rc)
	if err != nil {
		return protoHooks{n}.checkPeer(p, err)
	}
	n.noteSync(cid, api.SyncStats{Peer: p.String(), At: at, Sessions: st.Sessions, RoundTrips: st.RoundTrips, Missing: st.Missing})
	return nil
}

// fetch asks p for ops ids and ingests them, and what they turn out to
// wait for (see exchange.Fetch).
func (n *Node) fetch(ctx context.Context, p peer.ID, cid crdt.ID, ids []crdt.ID, rc *exchange.Progress) error {
	return protoHooks{n}.checkPeer(p, n.proto.x.Fetch(ctx, n.proto.remote(p), cid, ids, rc))
}

func (n *Node) noteSync(cid crdt.ID, s api.SyncStats) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lastSync[cid] = s
}

// LastSync returns the last pull this node completed for community cid,
// if any.
func (n *Node) LastSync(cid crdt.ID) (api.SyncStats, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	s, ok := n.lastSync[cid]
	return s, ok
}

// goPull pulls cid from p in the background. One pull from a peer runs at
// a time; one asked for while it runs runs after it (once, however often
// it was asked): the running pull may have reconciled before what the
// caller heard of (a nudge, a parked op) existed.
func (n *Node) goPull(p peer.ID, cid crdt.ID) {
	n.mu.Lock()
	if n.ctx.Err() != nil {
		n.mu.Unlock()
		return
	}
	if _, busy := n.syncing[p]; busy {
		if !slices.Contains(n.pullNext[p], cid) {
			n.pullNext[p] = append(n.pullNext[p], cid)
		}
		n.mu.Unlock()
		return
	}
	n.syncing[p] = cid
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		for {
			n.emit(api.Event{Kind: api.EventPeers, Community: cid}) // syncing
			n.pullFrom(p, cid)
			n.emit(api.Event{Kind: api.EventPeers, Community: cid})
			n.mu.Lock()
			next := n.pullNext[p]
			if len(next) == 0 || n.ctx.Err() != nil {
				delete(n.syncing, p)
				delete(n.pullNext, p)
				n.mu.Unlock()
				return
			}
			cid, n.pullNext[p] = next[0], next[1:]
			n.syncing[p] = cid
			n.mu.Unlock()
		}
	}()
}

// pullFrom is one pull of goPull, with what follows a successful one.
func (n *Node) pullFrom(p peer.ID, cid crdt.ID) {
	if n.isFormer(cid, p) {
		n.pullFromFormer(p, cid)
		return
	}
	n.keys.EnsureKeys(n.ctx, p, cid) // so what the pull brings opens at once
	if err := n.pull(n.ctx, p, cid); err != nil {
		n.log.Debug("pull failed", "peer", p, "community", cid.Short(), "err", err)
		n.judgeUnbacked(p, cid, err)
		return
	}
	n.judgeUnbacked(p, cid, nil)
	n.keys.EnsureKeys(n.ctx, p, cid)                 // groups the pull let this node into
	n.peers.Remember(n.host.Peerstore().PeerInfo(p)) // a member: worth finding again
	n.finishPendingJoin(cid)
	n.ensureSecret(p, cid)
	n.exchangePeers(p, cid)
}

// onConnect pulls every community the new peer is a member of and
// remembers its addresses; from a former member it pulls what it wrote
// before it went (see former.go).
func (n *Node) onConnect(p peer.ID) {
	for _, cid := range n.rep.Communities() {
		switch {
		case n.isMember(cid, p):
			n.peers.Remember(n.host.Peerstore().PeerInfo(p))
			n.goPull(p, cid)
		case n.isFormer(cid, p):
			n.pullFormer(p, cid)
		}
	}
	// Anyone connected may be a member of a community we wait to enter.
	for _, cid := range n.awaited() {
		n.goPull(p, cid)
	}
	n.emit(api.Event{Kind: api.EventPeers})
}

// syncLoop, every SyncInterval and for each community, pulls from a random
// connected member, dials a random remembered member it is not connected
// to (which pulls on connect, so that after a network split a node does not
// keep syncing with its own side only), and redials remembered members if
// it is connected to too few. So what gossip missed still arrives, and a
// member who was away is found again. It also drops parked ops that waited
// longer than the store allows for what they cite.
func (n *Node) syncLoop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
		}
		known := n.peers.Known()
		peers := n.host.Network().Peers()
		for _, cid := range n.rep.Communities() {
			n.meetMembers(cid, known)
			var connected []peer.ID
			var away []peer.AddrInfo
			for _, p := range peers {
				if n.isMember(cid, p) {
					connected = append(connected, p)
				}
			}
			for _, ai := range known {
				if ai.ID != n.host.ID() && n.host.Network().Connectedness(ai.ID) != network.Connected && n.isMember(cid, ai.ID) {
					away = append(away, ai)
				}
			}
			if len(connected) > 0 {
				n.goPull(connected[rand.IntN(len(connected))], cid)
			}
			if len(away) > 0 {
				n.goConnect(away[rand.IntN(len(away))]) // onConnect pulls
			}
		}
		for _, cid := range n.awaited() {
			if len(peers) > 0 {
				n.goPull(peers[rand.IntN(len(peers))], cid)
			}
		}
		n.keys.Tick() // a new prekey, rotations whose turn came
		if k, err := n.rep.ExpirePending(n.ctx); err != nil {
			n.log.Warn("expire parked ops", "err", err)
		} else if k > 0 {
			n.log.Debug("expired parked ops whose parents never came", "ops", k)
		}
	}
}

// ensureSecret asks p for community cid's topic secret if this node is a
// member without it.
func (n *Node) ensureSecret(p peer.ID, cid crdt.ID) {
	if _, ok := n.keys.Secret(cid); ok {
		return
	}
	if c, err := n.community(cid); err != nil || c.Role == crdt.RoleNone.String() || c.Role == api.RoleRequested {
		return
	}
	if err := n.keys.FetchSecret(n.ctx, p, cid); err != nil {
		n.log.Debug("topic secret", "peer", p, "community", cid.Short(), "err", err)
	}
}

// exchangePeers asks member p for the addresses of cid's members it knows
// and dials some of them.
func (n *Node) exchangePeers(p peer.ID, cid crdt.ID) {
	var resp wire.Response
	if err := n.request(n.ctx, p, syncProtocol, &wire.Request{Kind: wire.KindPeers, Community: cid[:]}, &resp); err != nil || resp.Error != "" {
		n.log.Debug("peer exchange", "peer", p, "err", err, "refused", resp.Error)
		return
	}
	var addrs []peer.AddrInfo
	for _, pa := range resp.Peers[:min(len(resp.Peers), maxSharedPeers)] {
		id, err := peer.IDFromBytes(pa.ID)
		if err != nil {
			continue
		}
		ai := peer.AddrInfo{ID: id}
		for _, b := range pa.Addrs[:min(len(pa.Addrs), crdt.MaxAddrs)] {
			if a, err := ma.NewMultiaddrBytes(b); err == nil {
				ai.Addrs = append(ai.Addrs, a)
			}
		}
		if len(ai.Addrs) > 0 {
			addrs = append(addrs, ai)
		}
	}
	n.meetMembers(cid, addrs)
}

// nudge tells peer k to pull cid from this node now rather than at its
// next periodic sync: its request to join was just approved, or this node
// wrote an op that gossip could not carry yet.
func (n *Node) nudge(cid crdt.ID, k crdt.PublicKey) {
	p, err := peerkey.FromPublicKey(k[:])
	if err != nil || n.host.Network().Connectedness(p) != network.Connected {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		var resp wire.Response
		if err := n.request(n.ctx, p, syncProtocol, &wire.Request{Kind: wire.KindNudge, Community: cid[:]}, &resp); err != nil {
			n.log.Debug("nudge failed", "peer", p, "err", err)
		}
	}()
}

// pullLater pulls cid from p after wait, once however often it is asked
// meanwhile.
func (n *Node) pullLater(p peer.ID, cid crdt.ID, wait time.Duration) {
	key := p.String() + "/" + cid.String()
	n.mu.Lock()
	if n.laterPulls[key] || n.ctx.Err() != nil {
		n.mu.Unlock()
		return
	}
	n.laterPulls[key] = true
	n.mu.Unlock()
	n.after(wait, func() {
		n.mu.Lock()
		delete(n.laterPulls, key)
		n.mu.Unlock()
		n.goPull(p, cid)
	})
}

// awaited returns the communities this node waits to hold (see
// peerBook.awaited) and pulls by itself: not those a Join call under way
// is pulling.
func (n *Node) awaited() []crdt.ID {
	return slices.DeleteFunc(n.peers.Awaited(n.now()), n.joiner.Running)
}

// finishPendingJoin completes a join that waited for approval, or one cut
// short after its admission, once a pull shows this node is a member.
func (n *Node) finishPendingJoin(cid crdt.ID) {
	if !slices.Contains(n.awaited(), cid) {
		return
	}
	if c, err := n.community(cid); err != nil || c.Role == crdt.RoleNone.String() {
		return
	}
	approved := slices.Contains(n.peers.Pending(), cid)
	n.peers.SetPending(cid, false)
	n.peers.SetJoining(cid, false, n.now())
	if err := n.joinTopics(cid); err != nil {
		n.log.Warn("join topics", "community", cid.Short(), "err", err)
	}
	if approved {
		n.log.Info("join approved", "community", cid.Short())
	} else {
		n.log.Info("join resumed and complete", "community", cid.Short())
	}
	n.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}
