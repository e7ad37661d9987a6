package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

const reconcileProtocol protocol.ID = "/umbrella/reconcile/1"

// readableSet is the reconciliation set of the ops of community cid that
// member k may read; for a former member, the control ops in the causal
// past of its departure (mayServe). It is empty for a community this node
// does not hold.
func (n *Node) readableSet(cid crdt.ID, k crdt.PublicKey) *reconcile.Set {
	var items []reconcile.Item
	_ = n.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		add := func(log crdt.ID) {
			c.EachOp(log, func(o *crdt.Op) {
				items = append(items, reconcile.Item{Key: reconcile.Rank(!log.IsZero(), o.Height), ID: o.ID()})
			})
		}
		if d := st.Departed[k]; d != nil {
			c.EachOp(crdt.ZeroID, func(o *crdt.Op) {
				if c.InPastOf(d.Op, o.ID()) {
					items = append(items, reconcile.Item{Key: reconcile.Rank(false, o.Height), ID: o.ID()})
				}
			})
			return nil
		}
		add(crdt.ZeroID)
		for gid := range st.Groups {
			if st.MayRead(k, gid) {
				add(gid)
			}
		}
		return nil
	})
	return reconcile.NewSet(items)
}

// reconcileWith runs one reconciliation with p as the initiator and
// returns the items this node lacks.
func (n *Node) reconcileWith(ctx context.Context, p peer.ID, cid crdt.ID, stats *api.SyncStats) (need []reconcile.Item, err error) {
	self, _ := keyOf(n.host.ID())
	set := n.readableSet(cid, self)
	ctx, cancel := context.WithTimeout(ctx, streamTimeout)
	defer cancel()
	s, err := n.host.NewStream(network.WithAllowLimitedConn(ctx, "umbrella reconcile"), p, reconcileProtocol)
	if err != nil {
		return nil, fmt.Errorf("open reconcile stream to %s: %w", p.ShortString(), err)
	}
	defer s.Close()
	if dl, ok := ctx.Deadline(); ok {
		s.SetDeadline(dl)
	}
	turns, sent := 0, 0
	frames := wire.NewReader(s)
	out := &wire.Reconcile{Community: cid[:], Msg: set.Initiate().Encode()}
	for {
		if err := wire.Write(s, out); err != nil {
			s.Reset()
			return nil, err
		}
		turns++
		sent++
		var in wire.Reconcile
		if err := frames.Read(&in, 0); err != nil {
			s.Reset()
			return nil, fmt.Errorf("reconcile with %s: %w", p.ShortString(), err)
		}
		turns++
		if in.Error != "" {
			return nil, fmt.Errorf("peer %s: %s", p.ShortString(), in.Error)
		}
		reply, res, err := n.processTurn(p, set, in.Msg)
		if err != nil {
			return nil, err
		}
		need = append(need, res.Need...)
		if reply.Done() {
			stats.Sessions++
			stats.RoundTrips = max(stats.RoundTrips, sent)
			stats.Missing += len(need)
			return need, nil
		}
		if turns >= 2*wire.MaxTurns {
			s.Reset()
			return nil, fmt.Errorf("reconcile with %s did not end in %d turns", p.ShortString(), turns)
		}
		out = &wire.Reconcile{Msg: reply.Encode()}
	}
}

// processTurn decodes and answers one reconciliation message from p; a
// message that is not valid drops the connection to p.
func (n *Node) processTurn(p peer.ID, set *reconcile.Set, raw []byte) (*reconcile.Message, reconcile.Result, error) {
	msg, err := reconcile.Decode(raw)
	if err == nil {
		var reply *reconcile.Message
		var res reconcile.Result
		if reply, res, err = set.Process(msg); err == nil {
			return reply, res, nil
		}
	}
	n.log.Debug("reconcile: bad message; disconnecting", "peer", p, "err", err)
	n.penalise(p)
	n.host.Network().ClosePeer(p)
	return nil, reconcile.Result{}, fmt.Errorf("peer %s: %w", p.ShortString(), err)
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

var errBusy = errors.New("busy: too many reconciliations at once; try again later")

// Bounds on the reconciliations a node answers. A session holds a set of
// (rank, id) items, 40 bytes an op, for as long as the initiator takes its
// turns, so slots are scarce: they go only to members, one member holds at
// most maxSessionsPerPeer of them, and an initiator that goes quiet for
// reconcileIdle loses its slot.
const (
	maxServedSessions  = 8
	maxSessionsPerPeer = 2
	// reconcileIdle is the longest a responder waits for the initiator's
	// next frame (the first one included) or for its own reply to be read.
	reconcileIdle = 10 * time.Second
)

// sessionSlots counts the reconciliations a node answers, in all and per
// peer. Its zero value is not usable; see newSessionSlots.
type sessionSlots struct {
	mu     sync.Mutex
	total  int             // guarded by mu
	byPeer map[peer.ID]int // guarded by mu; no zero entries
	max    int
	per    int
}

func newSessionSlots(max, perPeer int) *sessionSlots {
	return &sessionSlots{byPeer: map[peer.ID]int{}, max: max, per: perPeer}
}

// take gives p a slot, or reports false when every slot, or p's share of
// them, is taken. release must be called once when the session ends.
func (s *sessionSlots) take(p peer.ID) (release func(), ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.total >= s.max || s.byPeer[p] >= s.per {
		return nil, false
	}
	s.total++
	s.byPeer[p]++
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.total--
			if s.byPeer[p]--; s.byPeer[p] == 0 {
				delete(s.byPeer, p)
			}
		})
	}, true
}

// inUse returns the slots taken, in all and by p.
func (s *sessionSlots) inUse(p peer.ID) (total, byPeer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.byPeer[p]
}

// handleReconcile answers one reconciliation. Nothing is held for the
// initiator until it has shown it may reconcile: its first frame names the
// community and must arrive within reconcileIdle, and only then, for a
// member, is a session slot taken and the set built. Every later frame must
// also come within reconcileIdle, and the whole session within
// streamTimeout.
func (n *Node) handleReconcile(s network.Stream) {
	defer s.Close()
	start := time.Now()
	idle := func() {
		dl := time.Now().Add(reconcileIdle)
		if end := start.Add(streamTimeout); end.Before(dl) {
			dl = end
		}
		s.SetDeadline(dl)
	}
	from := s.Conn().RemotePeer()
	idle()
	frames := wire.NewReader(s)
	var in wire.Reconcile
	if err := frames.Read(&in, wire.MaxFirstReconcileFrame); err != nil {
		s.Reset()
		return
	}
	var cid crdt.ID
	if len(in.Community) != len(cid) {
		wire.Write(s, &wire.Reconcile{Error: "malformed community id"})
		return
	}
	copy(cid[:], in.Community)
	k, ok := keyOf(from)
	if !ok || !n.mayReconcile(cid, from) {
		wire.Write(s, &wire.Reconcile{Error: errNotMember.Error()})
		return
	}
	release, ok := n.sessions.take(from)
	if !ok {
		wire.Write(s, &wire.Reconcile{Error: errBusy.Error()})
		return
	}
	defer release()
	set := n.readableSet(cid, k)
	for turn := 0; turn < wire.MaxTurns; turn++ {
		reply, _, err := n.processTurn(from, set, in.Msg)
		if err != nil {
			s.Reset()
			return
		}
		idle()
		if err := wire.Write(s, &wire.Reconcile{Msg: reply.Encode()}); err != nil || reply.Done() {
			return
		}
		in = wire.Reconcile{}
		if err := frames.Read(&in, 0); err != nil {
			return // the initiator closes the stream when it has nothing more to say
		}
	}
}
