package p2p

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/reconcile"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// ReconcileResponder gives the set a peer reconciles a community over
// (package sync/exchange's Server). An error refuses the session; its
// text is what the initiator is told.
type ReconcileResponder interface {
	ReconcileSet(cid crdt.ID, from crdt.PublicKey) (*reconcile.Set, error)
}

// ErrBusy: every session slot, or the peer's share of them, is taken.
var ErrBusy = errors.New("busy: too many reconciliations at once; try again later")

// SessionSlots counts the reconciliations a node answers, in all and per
// peer. Its zero value is not usable; see NewSessionSlots.
type SessionSlots struct {
	mu     sync.Mutex
	total  int                    // guarded by mu
	byPeer map[crdt.PublicKey]int // guarded by mu; no zero entries
	max    int
	per    int
}

// NewSessionSlots returns slots for max sessions at once, perPeer of them
// for any one peer.
func NewSessionSlots(max, perPeer int) *SessionSlots {
	return &SessionSlots{byPeer: map[crdt.PublicKey]int{}, max: max, per: perPeer}
}

// Take gives p a slot, or reports false when every slot, or p's share of
// them, is taken. release must be called once when the session ends.
func (s *SessionSlots) Take(p crdt.PublicKey) (release func(), ok bool) {
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

// InUse returns the slots taken, in all and by p.
func (s *SessionSlots) InUse(p crdt.PublicKey) (total, byPeer int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total, s.byPeer[p]
}

// process decodes and answers one reconciliation message; one that does
// not decode or does not fit the set fails with ErrBadPeer.
func process(set *reconcile.Set, raw []byte) (*reconcile.Message, reconcile.Result, error) {
	msg, err := reconcile.Decode(raw)
	if err == nil {
		var reply *reconcile.Message
		var res reconcile.Result
		if reply, res, err = set.Process(msg); err == nil {
			return reply, res, nil
		}
	}
	return nil, reconcile.Result{}, fmt.Errorf("%w: %w", ErrBadPeer, err)
}

// HandleReconcile answers one reconciliation from peer from on rw.
// Nothing is held for the initiator until it has shown it may reconcile:
// its first frame names the community and must arrive within Idle (and
// is read only up to MaxFirstReconcileFrame bytes), and only then, if r
// gives a set, is a slot taken from slots. Every later frame must also
// come within Idle, and the whole session within StreamTimeout. A message
// that does not decode fails with ErrBadPeer.
func HandleReconcile(rw io.ReadWriteCloser, from crdt.PublicKey, r ReconcileResponder, slots *SessionSlots) error {
	start := time.Now()
	idle := func() {
		dl := time.Now().Add(Idle)
		if end := start.Add(StreamTimeout); end.Before(dl) {
			dl = end
		}
		setDeadline(rw, dl)
	}
	idle()
	var in wire.Reconcile
	if err := readFrame(rw, &in, MaxFirstReconcileFrame); err != nil {
		return err
	}
	var cid crdt.ID
	if len(in.Community) != len(cid) {
		_ = wire.Write(rw, &wire.Reconcile{Error: "malformed community id"})
		return nil
	}
	copy(cid[:], in.Community)
	set, err := r.ReconcileSet(cid, from)
	if err != nil {
		_ = wire.Write(rw, &wire.Reconcile{Error: err.Error()})
		return nil
	}
	release, ok := slots.Take(from)
	if !ok {
		_ = wire.Write(rw, &wire.Reconcile{Error: ErrBusy.Error()})
		return nil
	}
	defer release()
	for turn := 0; turn < wire.MaxTurns; turn++ {
		reply, _, err := process(set, in.Msg)
		if err != nil {
			return err
		}
		idle()
		if err := wire.Write(rw, &wire.Reconcile{Msg: reply.Encode()}); err != nil || reply.Done() {
			return nil
		}
		in = wire.Reconcile{}
		if err := readFrame(rw, &in, 0); err != nil {
			return nil // the initiator closes the stream when it has nothing more to say
		}
	}
	return nil
}

// ReconcileHandler is HandleReconcile as a Handler, for Service.Handle.
func ReconcileHandler(r ReconcileResponder, slots *SessionSlots) Handler {
	return func(_ context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
		return HandleReconcile(rw, from, r, slots)
	}
}

// Reconcile runs one reconciliation of community cid over set on rw, as
// the initiator, and returns the items the responder holds that set lacks
// and the frames it sent. A refusal is an error with the responder's
// words; a message that does not decode fails with ErrBadPeer.
func Reconcile(rw io.ReadWriteCloser, cid crdt.ID, set *reconcile.Set) (need []reconcile.Item, sent int, err error) {
	turns := 0
	out := &wire.Reconcile{Community: cid[:], Msg: set.Initiate().Encode()}
	for {
		if err := wire.Write(rw, out); err != nil {
			return nil, sent, err
		}
		turns++
		sent++
		var in wire.Reconcile
		if err := readFrame(rw, &in, 0); err != nil {
			return nil, sent, err
		}
		turns++
		if in.Error != "" {
			return nil, sent, &RefusedError{Text: in.Error}
		}
		reply, res, err := process(set, in.Msg)
		if err != nil {
			return nil, sent, err
		}
		need = append(need, res.Need...)
		if reply.Done() {
			return need, sent, nil
		}
		if turns >= 2*wire.MaxTurns {
			return nil, sent, fmt.Errorf("reconciliation did not end in %d turns", turns)
		}
		out = &wire.Reconcile{Msg: reply.Encode()}
	}
}

// RefusedError is a refusal a responder sent, in its words.
type RefusedError struct{ Text string }

func (e *RefusedError) Error() string { return e.Text }
