// Package calls carries a member node's calls (package call) over its
// libp2p host: who may call and who is online (from crdt's state), the
// signalling streams, the call records (act, view), the relays' TURN
// credentials, and the API's call methods that node.Node embeds.
//
// It knows nothing of Node: what it needs is passed in its Config.
package calls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/libp2p/go-libp2p/core/host"
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

// ID is the calls' signalling protocol as libp2p knows it.
const ID = protocol.ID(wire.CallProtocol)

// Open opens a stream of a protocol to a peer (p2p.Service.Open).
type Open func(ctx context.Context, p peer.ID, id protocol.ID) (network.Stream, error)

// Replica is what the calls read of the communities (sync/replica).
type Replica interface {
	// Snapshot returns community cid's control state, read-only.
	Snapshot(cid crdt.ID) (*crdt.State, error)
	// Accepted returns op id of community cid and its body, or a nil op.
	Accepted(cid, id crdt.ID) (*crdt.Op, any)
}

// Records are the calls recorded in the conversations (view.Views).
type Records interface {
	Calls(cid crdt.ID) ([]api.Call, error)
	CallRecord(cid, id crdt.ID) (api.Call, bool)
}

// Recorder writes the call records (act.Actions).
type Recorder interface {
	RecordCallStart(ctx context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error)
	RecordCallEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error
	RecordCallLapsed(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error
}

// Config is what the calls need of the node.
type Config struct {
	Self crdt.PublicKey
	// Host is the node's libp2p host: its peers, their protocols, its
	// addresses.
	Host     host.Host
	Open     Open
	Replica  Replica
	Records  Records
	Recorder Recorder
	// Name is member k's name as the node shows it.
	Name func(st *crdt.State, k crdt.PublicKey) string
	// Relays returns the relays registered with community cid, ready to
	// dial (their TURN servers serve its calls).
	Relays func(cid crdt.ID) []peer.ID
	// Media and SFU start a call's media and a hosted SFU (call.Config's
	// Media and Host).
	Media call.NewMedia
	SFU   call.NewHost
	Now   func() time.Time
	Log   *slog.Logger
	// OnChange is called when a call of community cid changes.
	OnChange func(cid crdt.ID)
}

// New builds the node's calls: the signalling (call.Manager) over cfg,
// and the API's call methods over it.
func New(cfg Config) (*call.Manager, *API, error) {
	h := hooks{cfg}
	m, err := call.New(call.Config{Self: cfg.Self, PeerID: peerkey.Text, Members: h, Send: h, Recorder: h,
		Media: cfg.Media, Host: cfg.SFU, Reach: h.Reach, Now: cfg.Now, Log: cfg.Log, ICE: h.relayTURN, OnChange: cfg.OnChange})
	if err != nil {
		return nil, nil, err
	}
	return m, &API{m: m, records: cfg.Records}, nil
}

// Handler answers the signalling streams of m; a peer that sent a
// malformed message is penalised (p2p.ErrBadPeer).
func Handler(m *call.Manager) p2p.Handler {
	return func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		err := call.Handle(ctx, m, rw, from)
		if errors.Is(err, call.ErrMalformed) {
			return fmt.Errorf("%w: %w", p2p.ErrBadPeer, err)
		}
		return err
	}
}

// Send carries one call message to member to on a new stream.
func Send(ctx context.Context, open Open, to crdt.PublicKey, m *call.Message) (*call.Reply, error) {
	st, err := open(ctx, peerkey.Peer(to), ID)
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

// hooks is what the calls ask of the node: crdt's judgement, the
// connected members, streams and the call record.
type hooks struct{ cfg Config }

var (
	_ call.Members  = hooks{}
	_ call.Sender   = hooks{}
	_ call.Recorder = hooks{}
)

// state is community cid's control state, nil if the node holds none.
func (h hooks) state(cid crdt.ID) *crdt.State {
	st, _ := h.cfg.Replica.Snapshot(cid)
	return st
}

func (h hooks) MayCall(cid, gid crdt.ID, k crdt.PublicKey) bool {
	st := h.state(cid)
	return st != nil && st.MayCall(k, gid)
}

func (h hooks) MayEndCall(cid, gid crdt.ID, k, caller crdt.PublicKey) bool {
	st := h.state(cid)
	return st != nil && st.MayEndCall(k, caller, gid)
}

func (h hooks) Online(cid, gid crdt.ID) []crdt.PublicKey {
	st := h.state(cid)
	if st == nil {
		return nil
	}
	var out []crdt.PublicKey
	for _, p := range h.cfg.Host.Network().Peers() {
		if k, ok := peerkey.Key(p); ok && st.MayCall(k, gid) {
			out = append(out, k)
		}
	}
	return out
}

func (h hooks) Name(cid crdt.ID, k crdt.PublicKey) string {
	if st := h.state(cid); st != nil {
		return h.cfg.Name(st, k)
	}
	return ""
}

// Hosts lists the relays registered with community cid that host SFUs:
// connected now, and announcing the call protocol (a relay serves it only
// with --sfu).
func (h hooks) Hosts(cid crdt.ID) []crdt.PublicKey {
	st := h.state(cid)
	if st == nil {
		return nil
	}
	var out []crdt.PublicKey
	for k := range st.Relays {
		p := peerkey.Peer(k)
		if h.cfg.Host.Network().Connectedness(p) != network.Connected {
			continue
		}
		if ps, err := h.cfg.Host.Peerstore().SupportsProtocols(p, ID); err == nil && len(ps) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// Reach is how well others reach this node: directly if it has an
// address that is not a relay circuit.
func (h hooks) Reach() uint8 {
	for _, a := range h.cfg.Host.Addrs() {
		if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err != nil {
			return call.ReachDirect
		}
	}
	return call.ReachRelayed
}

// Send carries one call message to peer to on a new stream.
func (h hooks) Send(ctx context.Context, to crdt.PublicKey, m *call.Message) (*call.Reply, error) {
	return Send(ctx, h.cfg.Open, to, m)
}

func (h hooks) RecordStart(ctx context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error) {
	return h.cfg.Recorder.RecordCallStart(ctx, cid, gid, video)
}

func (h hooks) RecordEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return h.cfg.Recorder.RecordCallEnd(ctx, cid, gid, id, d, joined)
}

func (h hooks) RecordLapsed(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error {
	return h.cfg.Recorder.RecordCallLapsed(ctx, cid, gid, id, d, joined)
}

// Lookup reads call id's start record, and whether its end is recorded.
func (h hooks) Lookup(cid, id crdt.ID) (call.Record, bool) {
	o, b := h.cfg.Replica.Accepted(cid, id)
	cb, _ := b.(*crdt.CallBody)
	if o == nil || cb == nil || cb.Action != crdt.CallStart {
		return call.Record{}, false
	}
	r := call.Record{Group: o.Log, Caller: o.Author, Video: cb.Video, Started: time.UnixMilli(cb.Time)}
	if rec, found := h.cfg.Records.CallRecord(cid, id); found {
		r.Ended, r.Lapsed = !rec.Active, rec.Lapsed
	}
	return r, true
}
