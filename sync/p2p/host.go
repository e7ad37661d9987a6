package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// The protocols' ids as libp2p knows them (see package sync/wire).
const (
	SyncID      = protocol.ID(wire.SyncProtocol)
	ReconcileID = protocol.ID(wire.ReconcileProtocol)
	JoinID      = protocol.ID(wire.JoinProtocol)
)

// ServiceName is the resource manager service the protocols' streams are
// accounted to.
const ServiceName = "umbrella.sync"

// Handler answers one stream of a protocol from peer from. It does not
// close rw; a non-nil error resets the stream instead of closing it.
type Handler func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error

// Service carries the protocols over a libp2p host: it registers
// handlers and opens streams to peers.
type Service struct {
	h     host.Host
	ctx   context.Context
	log   *slog.Logger
	onBad func(peer.ID)
}

// NewService returns a Service on h. ctx bounds what handlers do (the
// owner's lifetime); onBad, if not nil, is called for a peer whose stream
// failed with ErrBadPeer (to penalise it and drop its connection).
func NewService(ctx context.Context, h host.Host, log *slog.Logger, onBad func(peer.ID)) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{h: h, ctx: ctx, log: log.With("component", "p2p"), onBad: onBad}
}

// Handle registers fn for protocol id. A stream from a peer whose key is
// not an Ed25519 identity is reset unread.
func (s *Service) Handle(id protocol.ID, fn Handler) {
	s.h.SetStreamHandler(id, func(st network.Stream) {
		p := st.Conn().RemotePeer()
		k, ok := peerkey.Key(p)
		if !ok {
			st.Reset()
			return
		}
		if err := st.Scope().SetService(ServiceName); err != nil {
			s.log.Debug("attach stream to service", "protocol", id, "err", err)
			st.Reset()
			return
		}
		if err := fn(s.ctx, scoped{st}, k); err != nil {
			s.log.Debug("stream failed; resetting", "protocol", id, "peer", p, "err", err)
			st.Reset()
			if errors.Is(err, ErrBadPeer) && s.onBad != nil {
				s.onBad(p)
			}
			return
		}
		st.Close()
	})
}

// scoped is a stream whose frame reads reserve memory in its resource
// scope, as go-libp2p's own protocols do.
type scoped struct{ network.Stream }

func (s scoped) reserve(n int) error {
	return s.Scope().ReserveMemory(n, network.ReservationPriorityAlways)
}

func (s scoped) release(n int) {
	if n > 0 {
		s.Scope().ReleaseMemory(n)
	}
}

// Open opens a stream of protocol id to p, with its deadline at ctx's. It
// may use a relay's limited connection: the protocols' messages are small.
func (s *Service) Open(ctx context.Context, p peer.ID, id protocol.ID) (network.Stream, error) {
	st, err := s.h.NewStream(network.WithAllowLimitedConn(ctx, "umbrella sync"), p, id)
	if err != nil {
		return nil, fmt.Errorf("open %s stream to %s: %w", id, p.ShortString(), err)
	}
	if err := st.Scope().SetService(ServiceName); err != nil {
		st.Reset()
		return nil, fmt.Errorf("open %s stream to %s: %w", id, p.ShortString(), err)
	}
	if dl, ok := ctx.Deadline(); ok {
		st.SetDeadline(dl)
	}
	return st, nil
}

// Call sends req to p on a new stream of protocol id and reads its
// response into resp, within StreamTimeout.
func (s *Service) Call(ctx context.Context, p peer.ID, id protocol.ID, req, resp any) error {
	return s.with(ctx, p, id, func(rw io.ReadWriteCloser) error { return Call(rw, req, resp) })
}

// with runs fn on a new stream of protocol id to p, within StreamTimeout,
// and closes the stream, or resets it if fn failed.
func (s *Service) with(ctx context.Context, p peer.ID, id protocol.ID, fn func(io.ReadWriteCloser) error) error {
	ctx, cancel := context.WithTimeout(ctx, StreamTimeout)
	defer cancel()
	st, err := s.Open(ctx, p, id)
	if err != nil {
		return err
	}
	if err := fn(scoped{st}); err != nil {
		st.Reset()
		if errors.Is(err, ErrBadPeer) && s.onBad != nil {
			s.onBad(p)
		}
		return fmt.Errorf("%s with %s: %w", id, p.ShortString(), err)
	}
	// What was asked is answered; a close the remote already cut short
	// (it reset its end once its reply was out) changes nothing.
	_ = st.Close()
	return nil
}

// Peer returns the requesters of the protocols towards p.
func (s *Service) Peer(p peer.ID) Remote { return Remote{s: s, ID: p} }

// Remote is a peer as the requesters reach it. It implements
// sync/exchange's Remote.
type Remote struct {
	s  *Service
	ID peer.ID
}

// String returns the short form of the peer's id.
func (r Remote) String() string { return r.ID.ShortString() }

// Request sends one pull request and returns the response; a response
// with Error set is returned as an error.
func (r Remote) Request(ctx context.Context, req *wire.Request) (*wire.Response, error) {
	var resp wire.Response
	if err := r.s.Call(ctx, r.ID, SyncID, req, &resp); err != nil {
		return nil, err
	}
	if resp.Error != "" {
		return nil, fmt.Errorf("peer %s: %w", r, &RefusedError{Text: resp.Error})
	}
	return &resp, nil
}

// Fetch asks for ops ids of community cid and returns their encodings,
// unchecked.
func (r Remote) Fetch(ctx context.Context, cid crdt.ID, ids []crdt.ID) ([][]byte, error) {
	resp, err := r.Request(ctx, &wire.Request{Kind: wire.KindFetch, Community: cid[:], IDs: wire.FromIDs(ids)})
	if err != nil {
		return nil, err
	}
	return resp.Ops, nil
}

// Reconcile runs one reconciliation of community cid over set with the
// peer, as the initiator (see Reconcile).
func (r Remote) Reconcile(ctx context.Context, cid crdt.ID, set *reconcile.Set) (need []reconcile.Item, sent int, err error) {
	err = r.s.with(ctx, r.ID, ReconcileID, func(rw io.ReadWriteCloser) error {
		var err error
		need, sent, err = Reconcile(rw, cid, set)
		var refused *RefusedError
		if errors.As(err, &refused) {
			return fmt.Errorf("peer %s: %w", r, err)
		}
		return err
	})
	return need, sent, err
}

// Join presents a join request to the peer and returns its answer.
func (r Remote) Join(ctx context.Context, req *wire.JoinRequest) (*wire.JoinResponse, error) {
	var resp wire.JoinResponse
	if err := r.s.Call(ctx, r.ID, JoinID, req, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}
