package call

import (
	"context"
	"errors"
	"log/slog"
	"maps"
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
//     that a participant connected to this SFU named in its roster,
//     unless no two of those connected named each other (a lone first
//     offerer, who may be a removed member, must not keep the members
//     out). One not named yet (its offer came before the roster) is
//     refused and asks again (topology.go).
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
// calls of made-up ids: its offer to one more takes it out of the call
// here it connected to first (it has moved on from that one: the call
// moved to another host, or ended, while its connection here lives on),
// and that call's SFU stops if nobody is left in it.
//
// Media flows only between two participants who named each other
// (Host.Allow, set before a participant's offer is answered and whenever
// a roster changes): one nobody named (a removed member who offered
// first, before any participant) receives nothing and its media goes to
// no one, whatever it names itself. So that the participants learn it is
// there, the relay tells each of them who is connected to the call's SFU
// (a Roster message with a roster, from the relay to a participant) when
// that changes; each participant's node judges every key with crdt and
// reports, with a Remove, those that may not take part, and its reply
// is its roster. The Remove drops one on the word of more than half of
// the others, as above. A participant of the previous version names
// whom it takes part with but does not answer that message, so it
// reports no one; one older still names no one and receives nothing
// through this relay.

// HostServerConfig configures a HostServer; every field but Send and Log
// is required.
type HostServerConfig struct {
	// Admit reports whether k may use this node's SFUs for calls of
	// community cid.
	Admit func(cid crdt.ID, k crdt.PublicKey) bool
	// PeerID is a member's peer id as text.
	PeerID func(crdt.PublicKey) string
	// Host starts an SFU for one call.
	Host NewHost
	// Send carries the relay's word on who is connected to a call's SFU
	// to a participant (nil: nobody is told).
	Send Sender
	Log  *slog.Logger
}

// HostServer hosts the SFUs of calls for their participants (a relay
// started with --sfu). It is a Responder; its methods are safe for
// concurrent use.
type HostServer struct {
	cfg HostServerConfig

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup // the goroutines that tell participants who is connected

	mu     sync.Mutex
	closed bool                    // guarded by mu
	calls  map[callKey]*hostedCall // guarded by mu
	joins  uint64                  // participants connected so far; guarded by mu
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
	// allowed holds, by participant, whom its SFU lets it exchange media
	// with (peer ids, sorted): those who named it and whom it named;
	// guarded by HostServer.mu.
	allowed map[crdt.PublicKey][]string
	// telling: a goroutine tells the participants who is connected
	// (tell); again: who is connected changed since it last looked.
	// Guarded by HostServer.mu.
	telling, again bool
	// since holds, by participant, when it connected (HostServer.joins
	// then), so that its oldest call here is known; guarded by
	// HostServer.mu.
	since map[crdt.PublicKey]uint64
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
	ctx, cancel := context.WithCancel(context.Background())
	return &HostServer{cfg: cfg, ctx: ctx, cancel: cancel, calls: map[callKey]*hostedCall{}}, nil
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
		hc.name(from, msg.Roster)
		s.allowLocked(hc)
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
		if k != from {
			if hc.out == nil {
				hc.out = map[crdt.PublicKey]bool{}
			}
			hc.out[k] = true
		}
		empty := s.leaveLocked(key, hc, k)
		s.mu.Unlock()
		hc.h.Drop(s.cfg.PeerID(k))
		if empty {
			s.stop(hc)
		}
		return &Reply{}
	}
	return &Reply{Error: "this relay only hosts SFUs", Absent: true}
}

// leaveLocked takes k out of call key (hosted as hc) and reports whether
// nobody is left, in which case the call is no longer hosted and the
// caller stops hc; the caller drops k from hc's SFU. s.mu is held.
func (s *HostServer) leaveLocked(key callKey, hc *hostedCall, k crdt.PublicKey) (empty bool) {
	delete(hc.parts, k)
	delete(hc.since, k)
	delete(hc.removes, k)
	delete(hc.named, k)
	delete(hc.allowed, k)
	for _, by := range hc.removes {
		delete(by, k)
	}
	if len(hc.parts) == 0 {
		delete(s.calls, key)
		return true
	}
	s.allowLocked(hc)
	s.tellLocked(key, hc)
	return false
}

// leaveOldest takes from out of the call here it connected to first, so
// that its offer to another call finds room: a member at
// MaxHostedPerMember who offers to a new call has moved on from one (a
// call that moved to another host, or ended elsewhere, while its
// connection here still lives), and the bound still holds. It reports
// whether it took it out of one. s.mu is held, and released.
func (s *HostServer) leaveOldest(from crdt.PublicKey) bool {
	var oldKey callKey
	var old *hostedCall
	for key, hc := range s.calls {
		if hc.parts[from] && (old == nil || hc.since[from] < old.since[from]) {
			oldKey, old = key, hc
		}
	}
	if old == nil {
		s.mu.Unlock()
		return false
	}
	empty := s.leaveLocked(oldKey, old, from)
	s.mu.Unlock()
	s.cfg.Log.Info("a member offered to another call: took it out of its oldest call here", "peer", s.cfg.PeerID(from), "calls", MaxHostedPerMember)
	old.h.Drop(s.cfg.PeerID(from))
	if empty {
		s.stop(old)
	}
	return true
}

// offer connects from to the SFU of call key, which it starts if need be.
func (s *HostServer) offer(key callKey, from crdt.PublicKey, blob []byte) *Reply {
	return s.offerTry(key, from, blob, true)
}

// offerTry is offer; mayMove: once, it may take from out of its oldest
// call here to make room (leaveOldest).
func (s *HostServer) offerTry(key callKey, from crdt.PublicKey, blob []byte, mayMove bool) *Reply {
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
	if hc != nil && !hc.parts[from] && !hc.mayConnectLocked(from) {
		s.mu.Unlock()
		return refuse("no participant of the call named you to this relay yet")
	}
	if (hc == nil || !hc.parts[from]) && s.hostedLocked(from) >= MaxHostedPerMember {
		if !mayMove {
			s.mu.Unlock()
			return refuse("already in %d calls on this relay", MaxHostedPerMember)
		}
		if s.leaveOldest(from) { // it unlocks s.mu
			return s.offerTry(key, from, blob, false)
		}
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
	// Its media flows to no one, nor anyone's to it, before the rosters
	// say so.
	if err := s.allowOneLocked(hc, from); err != nil {
		s.mu.Unlock()
		return sfuRefusal(err)
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
	if !hc.parts[from] { // a reconnection changes nothing of who is connected
		hc.parts[from] = true
		if hc.since == nil {
			hc.since = map[crdt.PublicKey]uint64{}
		}
		s.joins++
		hc.since[from] = s.joins
		s.allowLocked(hc)
		s.tellLocked(key, hc)
	}
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
// connects it; it forgets k in those whose connection to k failed (s.mu
// held).
func (s *HostServer) hostedLocked(k crdt.PublicKey) int {
	n := 0
	peer := s.cfg.PeerID(k)
	for _, hc := range s.calls {
		switch {
		case !hc.parts[k]:
		case slices.Contains(hc.h.Participants(), peer):
			n++
		default: // its connection failed: forget it, and what it may receive
			delete(hc.parts, k)
			delete(hc.allowed, k)
			hc.h.Drop(peer)
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
	s.cancel()
	s.wg.Wait()
	for _, hc := range calls {
		s.stop(hc)
	}
	return nil
}

// mayConnectLocked reports whether k may connect to the call's SFU: a
// participant connected to it named k, or no two of those connected
// named each other (nobody there the relay can vouch for: nobody, or a
// lone first offerer, perhaps a removed member) (HostServer.mu held).
func (hc *hostedCall) mayConnectLocked(k crdt.PublicKey) bool {
	vouched := false
	for p := range hc.parts {
		if hc.named[p][k] {
			return true
		}
		vouched = vouched || len(hc.mutualLocked(p)) > 0
	}
	return !vouched
}

// name records the roster participant p sent (HostServer.mu held).
func (hc *hostedCall) name(p crdt.PublicKey, roster [][]byte) {
	named := make(map[crdt.PublicKey]bool, len(roster))
	for _, b := range roster {
		named[crdt.PublicKey(b)] = true
	}
	if hc.named == nil {
		hc.named = map[crdt.PublicKey]map[crdt.PublicKey]bool{}
	}
	hc.named[p] = named
}

// mutualLocked lists the connected participants that p named and that
// named p: those it exchanges media with (HostServer.mu held).
func (hc *hostedCall) mutualLocked(p crdt.PublicKey) []crdt.PublicKey {
	var out []crdt.PublicKey
	for q := range hc.parts {
		if q != p && hc.named[p][q] && hc.named[q][p] {
			out = append(out, q)
		}
	}
	return out
}

// allowOneLocked has hc's SFU let p exchange media only with those it
// named and that named it, unless it does so already (HostServer.mu
// held).
func (s *HostServer) allowOneLocked(hc *hostedCall, p crdt.PublicKey) error {
	var peers []string
	for _, q := range hc.mutualLocked(p) {
		peers = append(peers, s.cfg.PeerID(q))
	}
	slices.Sort(peers)
	if old, ok := hc.allowed[p]; ok && slices.Equal(old, peers) {
		return nil
	}
	if err := hc.h.Allow(s.cfg.PeerID(p), peers); err != nil {
		return err
	}
	if hc.allowed == nil {
		hc.allowed = map[crdt.PublicKey][]string{}
	}
	hc.allowed[p] = peers
	return nil
}

// allowLocked brings what hc's SFU lets each connected participant
// receive up to date with the rosters (HostServer.mu held). One the SFU
// cannot restrict is dropped: it must not receive what it may not.
func (s *HostServer) allowLocked(hc *hostedCall) {
	for p := range hc.parts {
		if err := s.allowOneLocked(hc, p); err != nil {
			s.cfg.Log.Warn("cannot restrict a participant's media; dropping it", "peer", s.cfg.PeerID(p), "err", err)
			delete(hc.parts, p)
			hc.h.Drop(s.cfg.PeerID(p))
		}
	}
}

// tellLocked has the participants of call key told who is connected to
// its SFU now, in the background: one goroutine per call, which tells
// the latest set until it no longer changes (HostServer.mu held).
func (s *HostServer) tellLocked(key callKey, hc *hostedCall) {
	if s.cfg.Send == nil || s.closed {
		return
	}
	hc.again = true
	if hc.telling {
		return
	}
	hc.telling = true
	s.wg.Go(func() { s.tell(key, hc) })
}

// tell tells each participant of call key who is connected to its SFU
// (a Roster message with a roster), until that no longer changes; each
// participant's reply is its roster (taken as from a Roster message).
func (s *HostServer) tell(key callKey, hc *hostedCall) {
	for {
		s.mu.Lock()
		if !hc.again || s.calls[key] != hc || s.closed {
			hc.telling = false
			s.mu.Unlock()
			return
		}
		hc.again = false
		parts := slices.Collect(maps.Keys(hc.parts))
		s.mu.Unlock()
		slices.SortFunc(parts, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
		msg := &Message{Type: TypeRoster, Community: key.cid[:], Call: key.id[:]}
		for _, p := range parts {
			msg.Roster = append(msg.Roster, p[:])
		}
		var wg sync.WaitGroup
		for _, p := range parts {
			wg.Go(func() {
				ctx, cancel := context.WithTimeout(s.ctx, TellTimeout)
				defer cancel()
				r, err := s.cfg.Send.Send(ctx, p, msg)
				if err != nil || r.Error != "" || len(r.Roster) == 0 {
					why := "it named no one"
					switch {
					case err != nil:
						why = err.Error()
					case r.Error != "":
						why = r.Error
					}
					s.cfg.Log.Debug("participant not told who is connected", "peer", s.cfg.PeerID(p), "why", why)
					return
				}
				s.mu.Lock()
				defer s.mu.Unlock()
				if s.calls[key] == hc && hc.parts[p] {
					hc.name(p, r.Roster)
					s.allowLocked(hc)
				}
			})
		}
		wg.Wait()
	}
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
