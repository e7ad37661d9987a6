package node

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Stream protocols; see package sync/wire for their messages.
const (
	syncProtocol protocol.ID = "/umbrella/sync/1"
	joinProtocol protocol.ID = "/umbrella/join/1"

	streamTimeout = 30 * time.Second
	// nudgeInterval is the least time between two pulls a member's nudges
	// cause.
	nudgeInterval = 2 * time.Second
)

var errNotMember = errors.New("not a member")

// isMember reports whether peer p is a member of community cid.
func (n *Node) isMember(cid crdt.ID, p peer.ID) bool {
	k, ok := keyOf(p)
	if !ok {
		return false
	}
	member := false
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		member = c.State().Role(k) != crdt.RoleNone
		return nil
	})
	return member
}

func (n *Node) handleSync(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(reconcileIdle)) // a request is small: it comes at once or not at all
	var req wire.Request
	if err := wire.Read(s, &req, wire.MaxRequestFrame); err != nil {
		n.log.Debug("sync: bad request; resetting", "peer", s.Conn().RemotePeer(), "err", err)
		s.Reset()
		return
	}
	s.SetDeadline(time.Now().Add(streamTimeout))
	resp := n.answerSync(s.Conn().RemotePeer(), &req)
	if err := wire.Write(s, resp); err != nil {
		n.log.Debug("sync: write response", "err", err)
	}
}

func (n *Node) answerSync(from peer.ID, req *wire.Request) *wire.Response {
	var cid crdt.ID
	if len(req.Community) != len(cid) {
		return &wire.Response{Error: "malformed community id"}
	}
	copy(cid[:], req.Community)
	if req.Kind == wire.KindNudge {
		// A member's nudges are heeded at most once per nudgeInterval, so
		// nudging cannot keep this node reconciling; one that comes sooner
		// is heeded when the interval ends (what it announces must not
		// wait for the next periodic sync).
		last, _ := n.LastSync(cid)
		recent := last.Peer == from.String() && n.now().Sub(last.At) < nudgeInterval
		member := n.isMember(cid, from) && n.isMember(cid, n.host.ID())
		switch {
		case slices.Contains(n.awaited(), cid) || !recent && member:
			n.goPull(from, cid)
		case member:
			n.pullLater(from, cid, last.At.Add(nudgeInterval).Sub(n.now()))
		case n.isFormer(cid, from):
			n.pullFormer(from, cid) // what it wrote before it went counts
		}
		return &wire.Response{}
	}
	if !n.isMember(cid, from) && (req.Kind != wire.KindFetch || !n.isFormer(cid, from)) {
		return &wire.Response{Error: errNotMember.Error()}
	}
	switch req.Kind {
	case wire.KindPeers:
		resp := &wire.Response{}
		for _, ai := range n.sharedPeers(cid, from) {
			pa := wire.PeerAddrs{ID: []byte(ai.ID)}
			for _, a := range ai.Addrs {
				pa.Addrs = append(pa.Addrs, a.Bytes())
			}
			resp.Peers = append(resp.Peers, pa)
		}
		return resp
	case wire.KindKeys:
		k, _ := keyOf(from)
		return n.keys.AnswerKeys(cid, k, req)
	case wire.KindSecret:
		return n.keys.AnswerSecret(cid)
	case wire.KindFetch:
		ids, err := wire.IDs(req.IDs)
		if err != nil || len(ids) > wire.MaxFetch {
			return &wire.Response{Error: "malformed fetch"}
		}
		// Served from the ops the community holds in memory: no disk reads.
		// A former member gets only the past of its departure (mayServe).
		resp := &wire.Response{}
		k, _ := keyOf(from)
		_ = n.rep.View(cid, func(c *crdt.Community) error {
			size := 0
			for _, id := range ids {
				op := c.Op(id)
				if op == nil || !mayServe(c, k, op) {
					continue
				}
				if size += len(op.Bytes()); size > wire.MaxResponseBytes {
					break
				}
				resp.Ops = append(resp.Ops, op.Bytes())
			}
			return nil
		})
		return resp
	default:
		return &wire.Response{Error: fmt.Sprintf("unknown request kind %d", req.Kind)}
	}
}

// request sends one request on a new stream and reads the response.
func (n *Node) request(ctx context.Context, p peer.ID, proto protocol.ID, req, resp any) error {
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	// Small requests may use a relay's limited connection too.
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "umbrella sync"), p, proto)
	if err != nil {
		return fmt.Errorf("open %s stream to %s: %w", proto, p.ShortString(), err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	if err := wire.Write(s, req); err != nil {
		s.Reset()
		return err
	}
	if err := s.CloseWrite(); err != nil {
		s.Reset()
		return err
	}
	if err := wire.Read(s, resp, 0); err != nil {
		s.Reset()
		return fmt.Errorf("read response from %s: %w", p.ShortString(), err)
	}
	return nil
}

// pull brings community cid up to date with peer p: it reconciles the two
// sets of ops, then fetches what it lacks, parents first, and the parents
// that parked ops still wait for.
func (n *Node) pull(ctx context.Context, p peer.ID, cid crdt.ID) error {
	return n.pullCounting(ctx, p, cid, nil)
}

// received counts the ops a pull fetched and reports the count after each
// batch; a nil *received counts nothing.
type received struct {
	n      int
	report func(int)
}

func (r *received) add(k int) {
	if r != nil && k > 0 {
		r.n += k
		r.report(r.n)
	}
}

// pullCounting is pull, counting the ops it receives into rc.
func (n *Node) pullCounting(ctx context.Context, p peer.ID, cid crdt.ID, rc *received) error {
	stats := api.SyncStats{Peer: p.String(), At: n.now()}
	for session := 0; session < maxSessionsPerPull; session++ {
		need, err := n.reconcileWith(ctx, p, cid, &stats)
		if err != nil {
			return err
		}
		reconcile.Sort(need)
		ids := make([]crdt.ID, len(need))
		for i, it := range need {
			ids[i] = it.ID
		}
		if err := n.fetch(ctx, p, cid, ids, rc); err != nil {
			return err
		}
		// A Diff is cut at reconcile.MaxIDs ids, and only the side that cut
		// it knows: go again until a session finds nothing new.
		if len(need) == 0 {
			break
		}
	}
	// A joiner parks its own invite and join before it holds anything;
	// ops can also wait for parents of logs this node may not read yet.
	missing, err := n.rep.Missing(ctx, cid, wire.MaxFetch)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		if err := n.fetch(ctx, p, cid, missing, rc); err != nil {
			return err
		}
	}
	n.noteSync(cid, stats)
	return nil
}

// maxSessionsPerPull bounds the reconciliations of one pull; each finds up
// to reconcile.MaxIDs missing ops.
const maxSessionsPerPull = 64

// fetch asks p for ops ids in batches, in order, and ingests them; then
// it asks for what the fetched ops turn out to wait for, until nothing is
// left or maxFetchPasses passes ran.
func (n *Node) fetch(ctx context.Context, p peer.ID, cid crdt.ID, ids []crdt.ID, rc *received) error {
	asked := make(map[crdt.ID]bool, len(ids))
	for _, id := range ids {
		asked[id] = true
	}
	for pass := 0; len(ids) > 0 && pass < maxFetchPasses; pass++ {
		more, err := n.fetchPass(ctx, p, cid, ids, asked, rc)
		if err != nil {
			return err
		}
		ids = more
	}
	return nil
}

// maxFetchPasses bounds the rounds of "fetch what the fetched ops wait for".
const maxFetchPasses = 64

// fetchPass fetches ids from p as a pipeline: one goroutine requests
// batches, one verifies them on every core, and this one ingests each
// batch in a single store write, so the network, the cores and the disk
// work at once. It returns the parents and deps that fetched ops wait for
// and that were not asked for before.
func (n *Node) fetchPass(ctx context.Context, p peer.ID, cid crdt.ID, ids []crdt.ID, asked map[crdt.ID]bool, rc *received) (more []crdt.ID, err error) {
	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		raws [][]byte
		ops  []*crdt.Op
		errs []error
		err  error
	}
	send := func(ch chan<- batch, b batch) bool {
		select {
		case ch <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	fetched, verified := make(chan batch, 2), make(chan batch, 1)
	wg.Go(func() {
		defer close(fetched)
		for start := 0; start < len(ids); start += wire.MaxFetch {
			var resp wire.Response
			err := n.request(ctx, p, syncProtocol, &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs(ids[start:min(start+wire.MaxFetch, len(ids))])}, &resp)
			if err == nil && resp.Error != "" {
				err = fmt.Errorf("peer %s: %s", p.ShortString(), resp.Error)
			}
			if !send(fetched, batch{raws: resp.Ops, err: err}) {
				return
			}
		}
	})
	wg.Go(func() {
		defer close(verified)
		for b := range fetched {
			if b.err == nil {
				b.ops, b.errs = replica.DecodeOps(b.raws)
			}
			if !send(verified, b) {
				return
			}
		}
	})
	for b := range verified {
		if b.err != nil {
			return nil, b.err
		}
		for i, op := range b.ops {
			if err := b.errs[i]; err != nil {
				n.penalise(p) // a peer that sends garbage is dropped
				n.host.Network().ClosePeer(p)
				return nil, fmt.Errorf("peer %s sent a bad op: %w", p.ShortString(), err)
			}
			if op.CommunityID() != cid {
				n.penalise(p)
				n.host.Network().ClosePeer(p)
				return nil, fmt.Errorf("peer %s sent an op of another community", p.ShortString())
			}
		}
		results, errs, err := n.rep.IngestBatch(ctx, b.ops)
		if err != nil {
			return nil, err
		}
		rc.add(len(b.ops))
		for i, res := range results {
			if errs[i] != nil {
				n.log.Debug("pull: op refused", "peer", p, "op", b.ops[i].ID().Short(), "err", errs[i])
				continue
			}
			n.afterIngest(res)
			for _, m := range res.Missing {
				if has, _ := n.rep.Has(ctx, m); !has && !asked[m] {
					asked[m] = true
					more = append(more, m)
				}
			}
		}
	}
	return more, ctx.Err()
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
	ids := n.peers.Awaited(n.now())
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.DeleteFunc(ids, func(id crdt.ID) bool { return n.joinsNow[id] > 0 })
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

func (n *Node) handleJoin(s network.Stream) {
	defer s.Close()
	s.SetDeadline(time.Now().Add(reconcileIdle)) // the request comes at once or not at all
	var req wire.JoinRequest
	if err := wire.Read(s, &req, wire.MaxJoinRequestFrame); err != nil {
		s.Reset()
		return
	}
	s.SetDeadline(time.Now().Add(streamTimeout))
	resp := wire.JoinResponse{}
	pending, err := n.admit(s.Conn().RemotePeer(), &req)
	resp.Pending = pending
	if err != nil {
		resp.Error = err.Error()
		var r *refusal
		if errors.As(err, &r) {
			resp.Reason = r.reason
		}
		n.log.Info("join refused", "peer", s.Conn().RemotePeer(), "err", err)
	}
	wire.Write(s, &resp)
}

// refusal is a join refused because of its invite, with the reason the
// joiner is told (a wire.JoinReason constant).
type refusal struct {
	reason uint8
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

// inviteRefusal says why invite i, as the community's state has it, admits
// no one more, or returns nil.
func inviteRefusal(i *crdt.Invite) *refusal {
	switch {
	case i == nil:
		return &refusal{wire.JoinReasonRevoked, errors.New("the invite is no longer valid")}
	case i.Revoked:
		return &refusal{wire.JoinReasonRevoked, errors.New("the invite was revoked")}
	case i.Lapsed:
		return &refusal{wire.JoinReasonLapsed, errors.New("the admin who made this invite is no longer an admin")}
	case i.Body.MaxUses != 0 && i.Uses >= i.Body.MaxUses:
		return &refusal{wire.JoinReasonUsedUp, fmt.Errorf("the invite was used %d of %d times", i.Uses, i.Body.MaxUses)}
	}
	return nil
}

// admit accepts a join op presented over the join protocol. pending
// reports that the community admits by approval and the join became a
// request.
func (n *Node) admit(from peer.ID, req *wire.JoinRequest) (pending bool, err error) {
	inv, err := crdt.DecodeOp(req.Invite)
	if err != nil {
		return false, fmt.Errorf("invite: %w", err)
	}
	join, err := crdt.DecodeOp(req.Join)
	if err != nil {
		return false, fmt.Errorf("join: %w", err)
	}
	if k, ok := keyOf(from); !ok || k != join.Author {
		return false, errors.New("join op is not signed by the connecting peer")
	}
	if join.Kind != crdt.KindJoin || inv.Kind != crdt.KindInvite || join.CommunityID() != inv.CommunityID() {
		return false, errors.New("not an invite and a join of one community")
	}
	// A member, or one who asked already, whose own node lost the
	// community (a join cut short after it was admitted) is answered as
	// admitted, whatever the state of the invite, and nothing is recorded:
	// it is a member already, and the pull that follows is what it needs.
	// The connection proved who it is.
	member, asked := false, false
	_ = n.rep.View(join.CommunityID(), func(c *crdt.Community) error {
		st := c.State()
		member, asked = st.Role(join.Author) != crdt.RoleNone, st.Requests[join.Author] != nil
		return nil
	})
	if member || asked {
		n.log.Info("join from a member; answered as admitted", "peer", from, "community", join.CommunityID().Short(), "requested", asked)
		n.peers.Remember(n.host.Peerstore().PeerInfo(from))
		return asked, nil
	}
	if has, _ := n.rep.Has(n.ctx, inv.ID()); !has {
		return false, errors.New("this node does not know that invite (it may have been revoked or belong to another community)")
	}
	body, err := crdt.DecodeBody(inv)
	if err != nil {
		return false, err
	}
	exp := body.(*crdt.InviteBody).Expires
	expired := func(err error) *refusal {
		return &refusal{wire.JoinReasonExpired, err}
	}
	if exp != 0 && n.now().Unix() > exp {
		return false, expired(fmt.Errorf("the invite expired on %s", time.Unix(exp, 0).UTC().Format(time.RFC1123)))
	}
	// Refuse, before recording it, a join that could only win by undoing
	// someone else's: concurrent joins past an invite's limit are settled
	// deterministically, not first come, first served.
	err = n.rep.View(inv.CommunityID(), func(c *crdt.Community) error {
		if r := inviteRefusal(c.State().Invites[inv.ID()]); r != nil {
			return r
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	res, err := n.rep.Ingest(n.ctx, join)
	if err != nil {
		// The joiner's clock may be past the expiry when this node's is not.
		if jb, derr := crdt.DecodeBody(join); derr == nil && exp != 0 && jb.(*crdt.JoinBody).Time/1000 > exp {
			return false, expired(err)
		}
		return false, err
	}
	if res.Outcome == replica.Parked {
		return false, errors.New("join op cites ops this node lacks")
	}
	n.afterIngest(res)
	// A join valid in its causal past can still lose in the community's
	// order (an invite used up or revoked concurrently): say why.
	err = n.rep.View(inv.CommunityID(), func(c *crdt.Community) error {
		st := c.State()
		switch {
		case st.Requests[join.Author] != nil:
			pending = true
		case st.Role(join.Author) != crdt.RoleNone:
		case st.Rejected[join.ID()] != nil:
			if r := inviteRefusal(st.Invites[inv.ID()]); r != nil {
				return &refusal{r.reason, st.Rejected[join.ID()]}
			}
			return st.Rejected[join.ID()]
		default:
			return errors.New("the join did not take effect")
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	n.peers.Remember(n.host.Peerstore().PeerInfo(from))
	n.publish(join)
	return pending, nil
}
