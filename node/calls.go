package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/p2p"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// callID is the calls' signalling protocol as libp2p knows it.
const callID = protocol.ID(wire.CallProtocol)

// newCalls builds the node's calls (package call) over its state, streams
// and actions; media is Config.CallMedia.
func newCalls(n *Node) (*call.Manager, error) {
	h := callHooks{n}
	return call.New(call.Config{Self: n.selfKey(), PeerID: peerkey.Text, Members: h, Send: h, Recorder: h,
		Media: n.cfg.CallMedia, Host: n.cfg.CallHost, Reach: h.Reach, Now: n.now, Log: n.log, ICE: h.relayTURN,
		OnChange: func(cid crdt.ID) { n.events.Emit(api.Event{Kind: api.EventCalls, Community: cid}) }})
}

// callHooks is what the calls ask of the node: crdt's judgement, the
// connected members, streams and the call record.
type callHooks struct{ n *Node }

var (
	_ call.Members  = callHooks{}
	_ call.Sender   = callHooks{}
	_ call.Recorder = callHooks{}
)

func (h callHooks) MayCall(cid, gid crdt.ID, k crdt.PublicKey) bool {
	ok := false
	h.n.rep.View(cid, func(c *crdt.Community) error { ok = c.State().MayCall(k, gid); return nil })
	return ok
}

func (h callHooks) MayEndCall(cid, gid crdt.ID, k, caller crdt.PublicKey) bool {
	ok := false
	h.n.rep.View(cid, func(c *crdt.Community) error { ok = c.State().MayEndCall(k, caller, gid); return nil })
	return ok
}

func (h callHooks) Online(cid, gid crdt.ID) []crdt.PublicKey {
	var out []crdt.PublicKey
	for _, p := range h.n.host.Network().Peers() {
		if k, ok := peerkey.Key(p); ok && h.MayCall(cid, gid, k) {
			out = append(out, k)
		}
	}
	return out
}

func (h callHooks) Name(cid crdt.ID, k crdt.PublicKey) string {
	name := ""
	h.n.rep.View(cid, func(c *crdt.Community) error { name = nameOf(c.State(), k); return nil })
	return name
}

// Hosts lists the relays registered with community cid that host SFUs:
// connected now, and announcing the call protocol (a relay serves it only
// with --sfu).
func (h callHooks) Hosts(cid crdt.ID) []crdt.PublicKey {
	var relays []crdt.PublicKey
	h.n.rep.View(cid, func(c *crdt.Community) error {
		for k := range c.State().Relays {
			relays = append(relays, k)
		}
		return nil
	})
	var out []crdt.PublicKey
	for _, k := range relays {
		p := peerkey.Peer(k)
		if h.n.host.Network().Connectedness(p) != network.Connected {
			continue
		}
		if ps, err := h.n.host.Peerstore().SupportsProtocols(p, callID); err == nil && len(ps) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Reach is how well others reach this node: directly if it has an
// address that is not a relay circuit.
func (h callHooks) Reach() uint8 {
	for _, a := range h.n.host.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err != nil {
			return call.ReachDirect
		}
	}
	return call.ReachRelayed
}

// Send carries one call message to peer to on a new stream.
func (h callHooks) Send(ctx context.Context, to crdt.PublicKey, m *call.Message) (*call.Reply, error) {
	st, err := h.n.proto.svc.Open(ctx, peerkey.Peer(to), callID)
	if err != nil {
		return nil, err
	}
	r, err := call.Exchange(st, m)
	if err != nil {
		st.Reset()
		return nil, fmt.Errorf("call message to %s: %w", peerkey.Peer(to).ShortString(), err)
	}
	st.Close()
	return r, nil
}

func (h callHooks) RecordStart(ctx context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error) {
	return h.n.Actions.RecordCallStart(ctx, cid, gid, video)
}

func (h callHooks) RecordEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return h.n.Actions.RecordCallEnd(ctx, cid, gid, id, d, joined)
}

func (h callHooks) RecordLapsed(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return h.n.Actions.RecordCallLapsed(ctx, cid, gid, id, d, joined)
}

// Lookup reads call id's start record, and whether its end is recorded.
func (h callHooks) Lookup(cid, id crdt.ID) (call.Record, bool) {
	var r call.Record
	ok := false
	h.n.rep.View(cid, func(c *crdt.Community) error {
		if o, b := c.Op(id), c.Body(id); o != nil {
			if cb, _ := b.(*crdt.CallBody); cb != nil && cb.Action == crdt.CallStart {
				r, ok = call.Record{Group: o.Log, Caller: o.Author, Video: cb.Video, Started: time.UnixMilli(cb.Time)}, true
			}
		}
		return nil
	})
	if rec, found := h.n.views.CallRecord(cid, id); ok && found {
		r.Ended, r.Lapsed = !rec.Active, rec.Lapsed
	}
	return r, ok
}

// handleCall answers one signalling stream; a peer that sent a malformed
// message is penalised.
func (h callHooks) handleCall(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
	err := call.Handle(ctx, h.n.calls, rw, from)
	if errors.Is(err, call.ErrMalformed) {
		return fmt.Errorf("%w: %w", p2p.ErrBadPeer, err)
	}
	return err
}

// callFacade is the part of the API that carries calls, embedded in Node:
// call.Manager's actions under the API's names.
type callFacade struct {
	m *call.Manager
}

// StartCall starts a call in a group (see call.Manager.Start).
func (f *callFacade) StartCall(ctx context.Context, cid, gid crdt.ID, video, synthetic bool) (crdt.ID, error) {
	return f.m.Start(ctx, cid, gid, video, synthetic)
}

// JoinCall joins a call (see call.Manager.Join).
func (f *callFacade) JoinCall(ctx context.Context, cid, id crdt.ID, video, synthetic bool) error {
	return f.m.Join(ctx, cid, id, video, synthetic)
}

// LeaveCall leaves a call (see call.Manager.Leave).
func (f *callFacade) LeaveCall(ctx context.Context, cid, id crdt.ID) error {
	return f.m.Leave(ctx, cid, id)
}

// EndCall ends a call for everyone (see call.Manager.End).
func (f *callFacade) EndCall(ctx context.Context, cid, id crdt.ID) error {
	return f.m.End(ctx, cid, id)
}

// RemoveFromCall drops a participant from a call (see call.Manager.Remove).
func (f *callFacade) RemoveFromCall(ctx context.Context, cid, id crdt.ID, k crdt.PublicKey) error {
	return f.m.Remove(ctx, cid, id, k)
}

// RemoveCallPeer drops the participant with libp2p peer id peerID (as
// api.CallParticipant names it) from a call.
func (f *callFacade) RemoveCallPeer(ctx context.Context, cid, id crdt.ID, peerID string) error {
	p, err := peer.Decode(peerID)
	if err != nil {
		return fmt.Errorf("%w: participant %q: %w", crdt.ErrInvalid, peerID, err)
	}
	k, ok := peerkey.Key(p)
	if !ok {
		return fmt.Errorf("%w: participant %q has no Ed25519 key", crdt.ErrInvalid, peerID)
	}
	return f.m.Remove(ctx, cid, id, k)
}

// SetCallMuted mutes or unmutes this member in a call (see
// call.Manager.SetMuted).
func (f *callFacade) SetCallMuted(_ context.Context, cid, id crdt.ID, muted bool) error {
	return f.m.SetMuted(cid, id, muted)
}

// CallStatus says how a call runs (see call.Manager.Status).
func (f *callFacade) CallStatus(cid, id crdt.ID) (api.CallStatus, error) { return f.m.Status(cid, id) }

// Calls lists a community's calls: their records (view.Views.Calls) with
// what the signalling knows live (call.Manager.Fill). It is Node's own:
// the embedded views have a Calls too.
func (n *Node) Calls(cid crdt.ID) ([]api.Call, error) {
	calls, err := n.views.Calls(cid)
	return n.calls.Fill(cid, calls), err
}
