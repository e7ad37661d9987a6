// Package exchange is the transport-free half of Umbrella's stream
// protocols (Syncthing's "model" beside its "protocol"): what a replica
// answers a peer and how it takes what a peer sends. It decides who may
// reconcile and fetch which ops (members the logs they may read, former
// members the control ops in the causal past of their departure), answers
// pull requests, admits joins, and runs the pull pipeline — reconcile,
// fetch, decode, check, ingest — against any Remote.
//
// Peers are named by their identity keys (crdt.PublicKey), never by
// network addresses: the adapter that carries the protocols (package
// sync/p2p over libp2p streams) maps one to the other. This package must
// never import libp2p or open a connection; its tests run replicas over
// the in-memory store with no network. The wire messages it answers are
// documented in package sync/wire.
package exchange

import (
	"errors"
	"log/slog"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/replica"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Errors callers branch on.
var (
	// ErrNotMember: the peer may not do what it asked in that community.
	ErrNotMember = errors.New("not a member")
	// ErrBadPeer: the peer sent something no honest peer sends (an op
	// that does not verify, one of another community, a message that does
	// not decode). The caller should penalise it and drop the connection.
	ErrBadPeer = errors.New("peer misbehaved")
)

// KeyServer answers Keys requests: the epoch secrets member k may read,
// wrapped to the prekey in req (the key manager).
type KeyServer interface {
	AnswerKeys(cid crdt.ID, k crdt.PublicKey, req *wire.Request) *wire.Response
}

// SecretSource holds the communities' topic secrets.
type SecretSource interface {
	Secret(cid crdt.ID) ([]byte, bool)
}

// PeerSource lists the other members of a community whose addresses this
// node knows, for member k (the peer book).
type PeerSource interface {
	SharedPeers(cid crdt.ID, k crdt.PublicKey) []wire.PeerAddrs
}

// NudgeHandler is told that peer from nudged this node to pull community
// cid; it decides whether and when to pull (see wire's Nudge).
type NudgeHandler interface {
	Nudged(cid crdt.ID, from crdt.PublicKey)
}

// Observer hears what the exchange took into the replica.
type Observer interface {
	// Ingested is called for each op a pull or an admission ingested
	// without error (accepted, parked, or a duplicate).
	Ingested(res replica.Result)
	// Admitted is called when peer from is answered as admitted by join:
	// recorded reports that join was accepted now (and should be
	// forwarded), false when from was a member or had asked already.
	Admitted(from crdt.PublicKey, join *crdt.Op, recorded bool)
}

// ParkObserver, when the Observer implements it, is also handed each op a
// pull parked (it waits for parents or a key): a node that holds nothing
// of a community yet reads the clear keys ops among them (keys'
// NoteParked) before it can replay the control log.
type ParkObserver interface {
	Parked(op *crdt.Op)
}

// Config configures a Server. Replica is required; a nil hook refuses
// what it would answer (Keys, Secret, Peers) or ignores it (Nudge,
// Observer).
type Config struct {
	Replica *replica.Replica
	// Self is the local member's key.
	Self crdt.PublicKey
	// Now is the wall clock; invite expiry uses it. Nil means time.Now.
	Now      func() time.Time
	Log      *slog.Logger
	Keys     KeyServer
	Secrets  SecretSource
	Peers    PeerSource
	Nudges   NudgeHandler
	Observer Observer
}

// Server answers peers from one replica and takes what they send into it.
// It is safe for concurrent use and holds no state of its own beyond its
// configuration: every decision is read from the replica when it is made.
type Server struct {
	cfg Config
	log *slog.Logger
}

// New returns a Server over cfg.Replica.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{cfg: cfg, log: log.With("component", "exchange")}
}

// IsMember reports whether k is a member of community cid.
func (s *Server) IsMember(cid crdt.ID, k crdt.PublicKey) bool {
	return s.cfg.Replica.Role(cid, k) != crdt.RoleNone
}

// IsFormer reports whether k was a member of community cid and, in this
// replica's view, no longer is (removed, left, or its join undone).
func (s *Server) IsFormer(cid crdt.ID, k crdt.PublicKey) bool {
	return s.cfg.Replica.Departure(cid, k) != nil
}

// IsRelay reports whether k is a relay registered with community cid
// (crdt's relay op): it may reconcile and fetch every log this replica
// holds, sealed, to keep them for members who are offline.
func (s *Server) IsRelay(cid crdt.ID, k crdt.PublicKey) bool {
	relay := false
	_ = s.cfg.Replica.View(cid, func(c *crdt.Community) error {
		relay = c.State().IsRelay(k)
		return nil
	})
	return relay
}

// MayReconcile reports whether k may reconcile community cid with this
// replica: members, former members (who are offered only what mayServe
// lets them have), and registered relays.
func (s *Server) MayReconcile(cid crdt.ID, k crdt.PublicKey) bool {
	return s.IsMember(cid, k) || s.IsFormer(cid, k) || s.IsRelay(cid, k)
}

// ReadableSet is the reconciliation set of the ops of community cid that
// member k may read; for a former member, the control ops in the causal
// past of its departure (mayServe); for a registered relay, every op. It is empty for a community this
// replica does not hold.
func (s *Server) ReadableSet(cid crdt.ID, k crdt.PublicKey) *reconcile.Set {
	var items []reconcile.Item
	// A View: the set is built from every op of the readable logs, under
	// one lock, so it is one consistent snapshot.
	_ = s.cfg.Replica.View(cid, func(c *crdt.Community) error {
		st := c.State()
		add := func(log crdt.ID) {
			c.EachOp(log, func(o *crdt.Op) {
				items = append(items, reconcile.Item{Key: reconcile.Rank(!log.IsZero(), o.Height), ID: o.ID()})
			})
		}
		if st.IsRelay(k) && st.Role(k) == crdt.RoleNone {
			add(crdt.ZeroID)
			for gid := range st.Groups {
				add(gid)
			}
			return nil
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

// ReconcileSet returns the set peer k reconciles community cid over, or
// ErrNotMember when k may not reconcile it.
func (s *Server) ReconcileSet(cid crdt.ID, k crdt.PublicKey) (*reconcile.Set, error) {
	if !s.MayReconcile(cid, k) {
		return nil, ErrNotMember
	}
	return s.ReadableSet(cid, k), nil
}

// mayServe reports whether op o of community c may be sent to peer k: to
// a member, the ops of the logs it may read; to a former member, the
// control ops in the causal past of the op by which it went; to anyone
// else, nothing; to a registered relay, every op (it keeps them sealed).
// It runs inside a replica View.
func mayServe(c *crdt.Community, k crdt.PublicKey, o *crdt.Op) bool {
	st := c.State()
	if st.IsRelay(k) && st.Role(k) == crdt.RoleNone {
		return true
	}
	if st.Role(k) != crdt.RoleNone {
		return st.MayRead(k, o.Log)
	}
	d := st.Departed[k]
	return d != nil && o.Log.IsZero() && c.InPastOf(d.Op, o.ID())
}
