package call

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// # Relays that host SFUs
//
// A relay started with --sfu answers the signalling protocol with a
// HostServer: it takes part in no call and holds no key, it only hosts
// the SFU of calls whose participants elected it (topology.go). It cannot
// read a community's roles or groups (its control log is sealed but for
// a few kinds), so it admits whom Admit allows — on a relay, an author it
// knows is or was a member of a community that registered it — and
// leaves the rest to the participants, who judge with crdt:
//
//   - Media (7): an SFU offer; the reply carries the answer. The first
//     offer for a call starts its SFU (or restarts one nobody is
//     connected to any more). Any later one is taken only from a member
//     that a participant connected to this SFU named in its roster: a
//     removed member the relay still knows gets no media of a call the
//     participants did not let it into. One not named yet (its offer
//     came before the roster) is refused and asks again (topology.go).
//   - Roster (6) with a roster: a connected participant names who takes
//     part in the call as its node judged it; its last roster replaces
//     the one before.
//   - Layers (9): a connected participant's layer request, for its SFU.
//   - Leave (3): the sender leaves the SFU.
//   - Remove (5): a participant tells the relay that Peer is out of the
//     call (it left the group or the community, or an admin removed it).
//     The relay cannot tell who may say so, so it takes the word of a
//     majority: Peer's media stops being forwarded once more than half
//     of the other participants on this SFU said so (every participant
//     judges a removal with crdt and tells the host), never on one
//     member's word in a call of three or more. One dropped so may not
//     connect to that call's SFU again (a removed member is still one
//     the relay knows).
//   - End (4): the sender leaves the SFU (as Leave). The relay cannot
//     tell the caller or an admin from anyone else; the others' media
//     stops when their own nodes end the call, and the SFU with the
//     last of them.
//
// Anything else is answered Absent. A call's SFU also stops when its last
// participant leaves. At most MaxCalls calls are hosted at once; when
// that many are, those whose SFU has no live connection left (their
// participants vanished without a leave) make room. One member takes
// part in at most MaxHostedPerMember of them at once (those whose
// connection failed not counted), so that no member fills the relay with
// calls of made-up ids.

// HostServerConfig configures a HostServer; every field but Log is
// required.
type HostServerConfig struct {
	// Admit reports whether k may use this node's SFUs for calls of
	// community cid.
	Admit func(cid crdt.ID, k crdt.PublicKey) bool
	// PeerID is a member's peer id as text.
	PeerID func(crdt.PublicKey) string
	// Host starts an SFU for one call.
	Host NewHost
	Log  *slog.Logger
}

// HostServer hosts the SFUs of calls for their participants (a relay
// started with --sfu). It is a Responder; its methods are safe for
// concurrent use.
type HostServer struct {
	cfg HostServerConfig

	mu     sync.Mutex
	closed bool                    // guarded by mu
	calls  map[callKey]*hostedCall // guarded by mu
}

// hostedCall is one call's SFU on a HostServer.
type hostedCall struct {
	h     Host
	parts map[crdt.PublicKey]bool // guarded by HostServer.mu
	// removes holds, by participant, the other participants who said it
	// is out of the call; guarded by HostServer.mu.
	removes map[crdt.PublicKey]map[crdt.PublicKey]bool
	// out holds those the others' word dropped: their offers to this
	// call are refused from then on; guarded by HostServer.mu.
	out map[crdt.PublicKey]bool
	// named holds, by participant, the roster it last sent; guarded by
	// HostServer.mu.
	named map[crdt.PublicKey]map[crdt.PublicKey]bool
}

var _ Responder = (*HostServer)(nil)

// NewHostServer returns a HostServer of cfg.
func NewHostServer(cfg HostServerConfig) (*HostServer, error) {
	if cfg.Admit == nil || cfg.PeerID == nil || cfg.Host == nil {
		return nil, errors.New("call host server: Admit, PeerID and Host are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Log = cfg.Log.With("component", "callhost")
	return &HostServer{cfg: cfg, calls: map[callKey]*hostedCall{}}, nil
}

// Answer answers a message from peer from (see Responder).
func (s *HostServer) Answer(_ context.Context, from crdt.PublicKey, msg *Message) *Reply {
	cid, id := crdt.ID(msg.Community), crdt.ID(msg.Call)
	if !s.cfg.Admit(cid, from) {
		return refuse("not a member of a community this relay serves")
	}
	key := callKey{cid, id}
	switch msg.Type {
	case TypeMedia:
		return s.offer(key, from, msg.Blob)
	case TypeLayers:
		s.mu.Lock()
		hc := s.calls[key]
		ok := hc != nil && hc.parts[from]
		s.mu.Unlock()
		if !ok {
			return refuse("not connected to this relay's SFU for the call")
		}
		if err := hc.h.Layers(s.cfg.PeerID(from), msg.Blob); err != nil {
			return sfuRefusal(err)
		}
		return &Reply{}
	case TypeRoster:
		s.mu.Lock()
		defer s.mu.Unlock()
		hc := s.calls[key]
		if hc == nil || !hc.parts[from] {
			return refuse("not connected to this relay's SFU for the call")
		}
		named := make(map[crdt.PublicKey]bool, len(msg.Roster))
		for _, b := range msg.Roster {
			named[crdt.PublicKey(b)] = true
		}
		if hc.named == nil {
			hc.named = map[crdt.PublicKey]map[crdt.PublicKey]bool{}
		}
		hc.named[from] = named
		return &Reply{}
	case TypeLeave, TypeRemove, TypeEnd:
		k := from
		if msg.Type == TypeRemove {
			k = crdt.PublicKey(msg.Peer)
		}
		s.mu.Lock()
		hc := s.calls[key]
		if hc == nil || !hc.parts[k] || k != from && !hc.outByMajority(k, from) {
			s.mu.Unlock()
			return &Reply{}
		}
		delete(hc.parts, k)
		if k != from {
			if hc.out == nil {
				hc.out = map[crdt.PublicKey]bool{}
			}
			hc.out[k] = true
		}
		delete(hc.removes, k)
		delete(hc.named, k)
		for _, by := range hc.removes {
			delete(by, k)
		}
		empty := len(hc.parts) == 0
		if empty {
			delete(s.calls, key)
		}
		s.mu.Unlock()
		hc.h.Drop(s.cfg.PeerID(k))
		if empty {
			s.stop(hc)
		}
		return &Reply{}
	}
	return &Reply{Error: "this relay only hosts SFUs", Absent: true}
}

// offer connects from to the SFU of call key, which it starts if need be.
func (s *HostServer) offer(key callKey, from crdt.PublicKey, blob []byte) *Reply {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return refuse("closing")
	}
	hc := s.calls[key]
	if hc != nil && hc.out[from] {
		s.mu.Unlock()
		return refuse("the call's participants dropped you from it")
	}
	if hc != nil && !hc.parts[from] && !hc.namedLocked(from) {
		s.mu.Unlock()
		return refuse("no participant of the call named you to this relay yet")
	}
	if (hc == nil || !hc.parts[from]) && s.hostedLocked(from) >= MaxHostedPerMember {
		s.mu.Unlock()
		return refuse("already in %d calls on this relay", MaxHostedPerMember)
	}
	if hc == nil {
		if len(s.calls) >= MaxCalls {
			s.evictLocked()
		}
		if len(s.calls) >= MaxCalls {
			s.mu.Unlock()
			return refuse("too many calls")
		}
		h, err := s.cfg.Host()
		if err != nil {
			s.mu.Unlock()
			s.cfg.Log.Warn("cannot host a call", "err", err)
			return refuse("cannot host: %v", err)
		}
		hc = &hostedCall{h: h, parts: map[crdt.PublicKey]bool{}}
		s.calls[key] = hc
	}
	if !hc.parts[from] && len(hc.parts) >= MaxParticipants {
		s.mu.Unlock()
		return refuse("the call is full")
	}
	s.mu.Unlock()
	answer, err := hc.h.Offer(s.cfg.PeerID(from), blob)
	if err != nil {
		return sfuRefusal(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.calls[key] != hc { // ended while it connected
		hc.h.Drop(s.cfg.PeerID(from))
		return refuse("the call ended")
	}
	hc.parts[from] = true
	return &Reply{Blob: answer}
}

// sfuRefusal refuses with the SFU's error, prefixed "sfu: " once: the
// errors of call/sfu carry the prefix already.
func sfuRefusal(err error) *Reply {
	if msg := err.Error(); strings.HasPrefix(msg, "sfu: ") {
		return refuse("%s", msg)
	}
	return refuse("sfu: %v", err)
}

// hostedLocked counts the calls k takes part in here whose SFU still
// connects it; it forgets k in those whose connection to k failed.
func (s *HostServer) hostedLocked(k crdt.PublicKey) int {
	n := 0
	peer := s.cfg.PeerID(k)
	for _, hc := range s.calls {
		switch {
		case !hc.parts[k]:
		case slices.Contains(hc.h.Participants(), peer):
			n++
		default:
			delete(hc.parts, k)
		}
	}
	return n
}

// evictLocked stops the hosted calls nobody is connected to any more
// (their participants crashed or lost the relay without leaving). s.mu
// is held.
func (s *HostServer) evictLocked() {
	for key, hc := range s.calls {
		if len(hc.h.Participants()) == 0 {
			delete(s.calls, key)
			s.stop(hc) // nobody is connected: it closes at once
		}
	}
}

func (s *HostServer) stop(hc *hostedCall) {
	if err := hc.h.Close(); err != nil {
		s.cfg.Log.Debug("close call host", "err", err)
	}
}

// Calls returns how many calls are hosted now.
func (s *HostServer) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.calls)
}

// Close stops every SFU. It is idempotent.
func (s *HostServer) Close() error {
	s.mu.Lock()
	s.closed = true
	calls := s.calls
	s.calls = map[callKey]*hostedCall{}
	s.mu.Unlock()
	for _, hc := range calls {
		s.stop(hc)
	}
	return nil
}

// namedLocked reports whether k may connect to the call's SFU: a
// participant connected to it named k, or nobody is connected to it any
// more (HostServer.mu held).
func (hc *hostedCall) namedLocked(k crdt.PublicKey) bool {
	if len(hc.parts) == 0 {
		return true
	}
	for p := range hc.parts {
		if hc.named[p][k] {
			return true
		}
	}
	return false
}

// outByMajority records that participant from says k is out of the call
// and reports whether more than half of k's fellow participants now said
// so (HostServer.mu held). Only participants' word counts.
func (hc *hostedCall) outByMajority(k, from crdt.PublicKey) bool {
	if !hc.parts[from] {
		return false
	}
	if hc.removes == nil {
		hc.removes = map[crdt.PublicKey]map[crdt.PublicKey]bool{}
	}
	by := hc.removes[k]
	if by == nil {
		by = map[crdt.PublicKey]bool{}
		hc.removes[k] = by
	}
	by[from] = true
	return 2*len(by) > len(hc.parts)-1
}
