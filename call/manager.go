package call

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Members is what the Manager asks of the community state: crdt is the
// judge (State.MayCall, State.MayEndCall).
type Members interface {
	// MayCall reports whether k may take part in calls of group gid of
	// community cid: it may post there now.
	MayCall(cid, gid crdt.ID, k crdt.PublicKey) bool
	// MayEndCall reports whether k may end a call that caller started in
	// group gid, or remove its participants.
	MayEndCall(cid, gid crdt.ID, k, caller crdt.PublicKey) bool
	// Online lists members of group gid this node can reach now, to ring.
	Online(cid, gid crdt.ID) []crdt.PublicKey
	// Name is member k's display name.
	Name(cid crdt.ID, k crdt.PublicKey) string
	// Hosts lists the relays registered with community cid that host
	// SFUs (`umbrellad relay --sfu`) and that this node reaches now.
	Hosts(cid crdt.ID) []crdt.PublicKey
}

// Sender delivers one message to a peer over the authenticated stream
// protocol and returns its reply.
type Sender interface {
	Send(ctx context.Context, to crdt.PublicKey, m *Message) (*Reply, error)
}

// Record is a call as its start record in the group's log says.
type Record struct {
	Group   crdt.ID
	Caller  crdt.PublicKey
	Video   bool
	Started time.Time
	Ended   bool
	// Lapsed: the end recorded says the call was found with nobody in it
	// (crdt.CallBody.Lapsed); such a call can still be joined.
	Lapsed bool
}

// Recorder writes and reads the call records (crdt's call kind).
type Recorder interface {
	// RecordStart writes a call's start in group gid and returns its id.
	RecordStart(ctx context.Context, cid, gid crdt.ID, video bool) (crdt.ID, error)
	// RecordEnd writes the end of call id.
	RecordEnd(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error
	// RecordLapsed writes that call id lapsed: it was found with nobody
	// in it (any member who may take part in the group's calls).
	RecordLapsed(ctx context.Context, cid, gid, id crdt.ID, d time.Duration, joined []crdt.PublicKey) error
	// Lookup returns the record of call id, if this node holds it.
	Lookup(cid, id crdt.ID) (Record, bool)
}

// Config configures a Manager; every field but Media, Host, Reach, Rand, Log, OnChange and ICE
// is required.
type Config struct {
	Self     crdt.PublicKey
	PeerID   func(crdt.PublicKey) string // a member's peer id as text
	Members  Members
	Send     Sender
	Recorder Recorder
	// Media starts a call's media; nil: this program cannot take part in
	// calls, and Start and Join fail with api.ErrNoMedia.
	Media NewMedia
	// Host starts an SFU for a call this node hosts; nil: it never
	// hosts (it announces ReachNone).
	Host NewHost
	// Reach is how well others reach this node (ReachRelayed,
	// ReachDirect), read at each join; nil: ReachNone.
	Reach func() uint8
	Now   func() time.Time
	Rand  io.Reader // key material; nil: crypto/rand
	Log   *slog.Logger
	// OnChange, if set, is called (without locks held) when a call of
	// community cid rings, changes roster or ends.
	OnChange func(cid crdt.ID)
	// ICE, if set, gives the ICE servers of a community's calls (ice.go).
	ICE ICESource
}

// Manager holds a node's calls: those it was rung for and those it takes
// part in, with their rosters and keys, and carries the signalling
// protocol. It is safe for concurrent use; Close stops it.
//
// Keys: a participant's send key is fresh per call and renewed on every
// join and leave (and removal), so a newcomer cannot decrypt frames sent
// before it joined and a leaver nothing sent after. A new key is sent to
// each current participant, who is checked against the group's
// membership just before; once every participant was sent it, the sender
// encrypts with it; one who was not reached gets it again (keys.go). A
// receiver keeps a sender's earlier keys for
// KeyGrace after a newer one arrives. Nothing about keys is ever stored.
type Manager struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	out    chan outgoing
	once   sync.Once
	gmu    sync.Mutex // orders spawn before Close's wait
	done   bool       // Close began: spawn starts nothing; guarded by gmu

	mu    sync.Mutex
	calls map[callKey]*call // guarded by mu
	// born is when the Manager started: a call this node started before
	// and is not in was left by a previous run (stale.go).
	born time.Time
	// lapsed holds the calls this Manager recorded as lapsed, not to
	// record them twice; guarded by mu.
	lapsed map[callKey]bool
	// heard holds, for calls this node is not in, who a participant last
	// said takes part (ask.go); guarded by mu.
	heard map[callKey]*heard
	// rejoins holds, by call, the media whose rejoin runs (topology.go);
	// guarded by mu.
	rejoins map[*call]Media
	// kept holds, by call, the host confirmLoss last reconnected to, and
	// when (topology.go); guarded by mu.
	kept map[*call]keptHost
}

type callKey struct{ cid, id crdt.ID }

type outgoing struct {
	to crdt.PublicKey
	m  *Message
}

// New returns a Manager of cfg.
func New(cfg Config) (*Manager, error) {
	switch {
	case cfg.PeerID == nil, cfg.Members == nil, cfg.Send == nil, cfg.Recorder == nil, cfg.Now == nil:
		return nil, errors.New("call config: PeerID, Members, Send, Recorder and Now are required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	cfg.Log = cfg.Log.With("component", "call")
	m := &Manager{cfg: cfg, out: make(chan outgoing, MaxOutbox), calls: map[callKey]*call{}, born: cfg.Now(), lapsed: map[callKey]bool{}, heard: map[callKey]*heard{}, rejoins: map[*call]Media{}, kept: map[*call]keptHost{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.sendLoop()
	return m, nil
}

// Close leaves every call (without telling the others: the connections
// are going) and stops the Manager. It is idempotent.
func (m *Manager) Close() error {
	m.once.Do(func() {
		m.cancel()
		m.gmu.Lock() // no spawn after this
		m.done = true
		m.gmu.Unlock()
		m.mu.Lock()
		for _, c := range m.calls {
			m.stopMedia(c)
		}
		m.mu.Unlock()
		m.wg.Wait()
	})
	return nil
}

// sendLoop sends what waits in the outbox (rings and media messages), in
// order.
func (m *Manager) sendLoop() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case o := <-m.out:
			if _, err := m.send(o.to, o.m); err != nil {
				m.cfg.Log.Debug("call message not delivered", "type", o.m.Type, "err", err)
			}
		}
	}
}

// enqueue puts a message in the outbox, dropping it when the outbox is
// full.
func (m *Manager) enqueue(to crdt.PublicKey, msg *Message) {
	select {
	case m.out <- outgoing{to, msg}:
	default:
		m.cfg.Log.Debug("call outbox full; message dropped", "type", msg.Type)
	}
}

// send delivers msg to peer to within SendTimeout; a refusal is an error
// wrapping api.ErrCallRefused.
func (m *Manager) send(to crdt.PublicKey, msg *Message) (*Reply, error) {
	ctx, cancel := context.WithTimeout(m.ctx, SendTimeout)
	defer cancel()
	r, err := m.cfg.Send.Send(ctx, to, msg)
	if err != nil {
		return nil, err
	}
	if r.Absent {
		return r, fmt.Errorf("%w: %s", api.ErrNotInCall, r.Error)
	}
	if r.Error != "" {
		return r, fmt.Errorf("%w: %s", api.ErrCallRefused, r.Error)
	}
	return r, nil
}

func (m *Manager) changed(cid crdt.ID) {
	if m.cfg.OnChange != nil {
		m.cfg.OnChange(cid)
	}
}

// Start starts a call in group gid of community cid: it records the call
// in the group's log, starts this node's media and rings the members of
// the group it can reach. It returns the call's id.
func (m *Manager) Start(ctx context.Context, cid, gid crdt.ID, video, synthetic bool) (crdt.ID, error) {
	if m.cfg.Media == nil {
		return crdt.ID{}, api.ErrNoMedia
	}
	c := newCall(cid, gid, crdt.ID{}, m.cfg.Self, video, m.cfg.Now())
	c.ice = m.iceFor(ctx, cid)
	if err := m.startMedia(c, video, synthetic); err != nil {
		return crdt.ID{}, err
	}
	id, err := m.cfg.Recorder.RecordStart(ctx, cid, gid, video)
	if err != nil {
		c.media.Close()
		return crdt.ID{}, err
	}
	key, err := m.newKey()
	if err != nil {
		c.media.Close()
		return crdt.ID{}, err
	}
	c.id, c.joined, c.joinedAt, c.kid, c.key, c.sendVideo = id, true, c.started, 1, key, video
	c.took[m.cfg.Self] = true
	if err := c.media.SetSendKey(c.kid, key); err != nil {
		c.media.Close()
		return crdt.ID{}, fmt.Errorf("call send key: %w", err)
	}
	m.mu.Lock()
	m.prune()
	if len(m.calls) >= MaxCalls {
		m.mu.Unlock()
		c.media.Close()
		return crdt.ID{}, fmt.Errorf("already %d calls", MaxCalls)
	}
	m.calls[callKey{cid, id}] = c
	m.watchKeys(c)
	ring := c.message(TypeRing)
	ring.Roster = [][]byte{m.cfg.Self[:]}
	m.mu.Unlock()
	n := 0
	for _, k := range m.cfg.Members.Online(cid, gid) {
		if k != m.cfg.Self && n < MaxRing {
			m.enqueue(k, ring)
			n++
		}
	}
	m.changed(cid)
	return id, nil
}

// prune forgets the calls this node is not in that ended or rang long
// ago (mu held).
func (m *Manager) prune() {
	now := m.cfg.Now()
	for key, c := range m.calls {
		if !c.joined && (c.ended || now.Sub(c.started) > RingAge) {
			delete(m.calls, key)
			delete(m.kept, c)
		}
	}
}

// lookup returns call id of community cid, from what rang or from its
// record (mu held).
func (m *Manager) lookup(cid, id crdt.ID) (*call, error) {
	if c := m.calls[callKey{cid, id}]; c != nil {
		return c, nil
	}
	m.prune()
	r, ok := m.cfg.Recorder.Lookup(cid, id)
	if !ok {
		return nil, fmt.Errorf("call %s: %w", id.Short(), api.ErrUnknownCall)
	}
	if len(m.calls) >= MaxCalls {
		return nil, fmt.Errorf("already %d calls", MaxCalls)
	}
	c := newCall(cid, r.Group, id, r.Caller, r.Video, r.Started)
	c.ended = r.Ended && !r.Lapsed // a lapsed call may be live still: ask
	if r.Caller != m.cfg.Self {
		c.roster[r.Caller] = true // to ask
	}
	m.calls[callKey{cid, id}] = c
	return c, nil
}

// Join joins call id of community cid: it starts this node's media,
// sends a join to every participant it learns of (from the ring or the
// record, then from each participant's roster), and sends them its key.
// A participant's refusal (this node is not a member of the call's group)
// ends the join with an error wrapping api.ErrCallRefused.
func (m *Manager) Join(ctx context.Context, cid, id crdt.ID, video, synthetic bool) error {
	if m.cfg.Media == nil {
		return api.ErrNoMedia
	}
	ice := m.iceFor(ctx, cid)
	m.mu.Lock()
	c, err := m.lookup(cid, id)
	switch {
	case err != nil:
	case c.ended:
		err = fmt.Errorf("call %s: %w", id.Short(), api.ErrCallEnded)
	case c.joined:
		m.mu.Unlock()
		return nil
	case !m.cfg.Members.MayCall(cid, c.gid, m.cfg.Self):
		err = fmt.Errorf("%w: you may not take part in calls of this group", crdt.ErrUnauthorized)
	}
	if err == nil {
		c.ice = ice
		err = m.startMedia(c, video, synthetic)
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	ask := c.others()
	if len(ask) == 0 && c.caller != m.cfg.Self {
		ask = []crdt.PublicKey{c.caller} // who else takes part, the caller's answer says
	}
	c.joined, c.joinedAt, c.sendVideo = true, m.cfg.Now(), video
	m.watchKeys(c)
	c.roster = map[crdt.PublicKey]bool{}
	c.reach = map[crdt.PublicKey]uint8{}
	c.took = map[crdt.PublicKey]bool{m.cfg.Self: true}
	join := c.message(TypeJoin)
	join.Video, join.Reach = video, m.reach()
	m.mu.Unlock()
	named := map[crdt.PublicKey]int{} // the hosts the participants name

	asked := map[crdt.PublicKey]bool{m.cfg.Self: true}
	accepted := 0
	var refused error
	polled := false
	for len(asked) <= MaxParticipants {
		if len(ask) == 0 && accepted == 0 && refused == nil && !polled {
			// Those this node knew of are not in the call (the caller
			// left): ask members it reaches who takes part.
			polled = true
			ask = m.poll(c, asked)
		}
		if len(ask) == 0 {
			break
		}
		k := ask[0]
		ask = ask[1:]
		if asked[k] {
			continue
		}
		asked[k] = true
		// k is in the roster before it answers: its key may come before
		// its reply.
		m.mu.Lock()
		if !c.joined {
			m.mu.Unlock()
			return fmt.Errorf("call %s: %w", id.Short(), api.ErrNotInCall)
		}
		m.addPeer(c, k)
		m.mu.Unlock()
		r, err := m.send(k, join)
		m.mu.Lock()
		if err != nil {
			m.dropPeer(c, k)
			delete(c.took, k)
			m.mu.Unlock()
			if errors.Is(err, api.ErrCallRefused) && refused == nil {
				refused = err
			}
			m.cfg.Log.Debug("join not answered", "err", err)
			continue
		}
		accepted++
		c.reach[k] = r.Reach
		if len(r.Host) > 0 {
			named[crdt.PublicKey(r.Host)]++
		}
		m.mu.Unlock()
		for _, b := range r.Roster {
			if p := crdt.PublicKey(b); !asked[p] && m.cfg.Members.MayCall(cid, c.gid, p) {
				ask = append(ask, p)
			}
		}
	}
	if accepted == 0 && (refused != nil || len(asked) > 1) {
		m.mu.Lock()
		m.stopMedia(c)
		m.mu.Unlock()
		if refused != nil {
			return refused
		}
		if err := m.lapseUnanswered(ctx, c); err != nil {
			return err
		}
		return fmt.Errorf("call %s: no participant answered: %w", id.Short(), api.ErrNoPeer)
	}
	// The media starts now that the roster is known: through the host
	// the participants name, else as the rule says (topology.go).
	m.mu.Lock()
	if c.joined && c.media != nil && !m.adopt(c, named) {
		m.settle(c)
		if !c.sfu {
			for _, k := range c.others() {
				if err := c.media.Connect(m.cfg.PeerID(k)); err != nil {
					m.cfg.Log.Debug("connect call media", "err", err)
				}
			}
		}
	}
	m.mu.Unlock()
	m.rekey(c)
	m.changed(cid)
	return nil
}

// poll asks up to MaxPoll members of c's group this node reaches, other
// than those in skip, who takes part in c, and returns who they name.
func (m *Manager) poll(c *call, skip map[crdt.PublicKey]bool) []crdt.PublicKey {
	var out []crdt.PublicKey
	seen := maps.Clone(skip)
	n := 0
	for _, k := range m.cfg.Members.Online(c.cid, c.gid) {
		if skip[k] || n >= MaxPoll {
			continue
		}
		n++
		r, err := m.send(k, c.message(TypeRoster))
		if err != nil {
			continue
		}
		for _, b := range r.Roster {
			if p := crdt.PublicKey(b); !seen[p] && m.cfg.Members.MayCall(c.cid, c.gid, p) {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// joinedCall returns call id of cid, which this node takes part in (mu
// held). A call whose record says it ended, which this node had not
// heard of (the end message did not reach it), ends here now.
func (m *Manager) joinedCall(cid, id crdt.ID) (*call, error) {
	c := m.calls[callKey{cid, id}]
	if c == nil {
		// A call known only from its record (this node restarted, or
		// was never rung) is one this node is not in, as elsewhere.
		if _, ok := m.cfg.Recorder.Lookup(cid, id); ok {
			return nil, fmt.Errorf("call %s: %w", id.Short(), api.ErrNotInCall)
		}
		return nil, fmt.Errorf("call %s: %w", id.Short(), api.ErrUnknownCall)
	}
	if c.joined && !c.ended && m.recordEnded(c) {
		m.endHere(c)
		m.spawn(func() { m.changed(cid) })
	}
	switch {
	case c.ended && !c.joined:
		return nil, fmt.Errorf("call %s: %w", id.Short(), api.ErrCallEnded)
	case !c.joined:
		return nil, fmt.Errorf("call %s: %w", id.Short(), api.ErrNotInCall)
	}
	return c, nil
}

// recordEnded reports whether c's record says the caller or an admin
// ended it (mu held). A lapsed end does not count: it can be wrong.
func (m *Manager) recordEnded(c *call) bool {
	r, ok := m.cfg.Recorder.Lookup(c.cid, c.id)
	return ok && r.Ended && !r.Lapsed
}

// endHere ends c on this node, which learnt that the caller or an admin
// ended it (their End message or the end's record): its media stops, and
// the relay hosting the call's SFU, which takes an End only from whom
// sent it, drops this node (mu held).
func (m *Manager) endHere(c *call) {
	if relay, ok := c.relayHost(m.cfg.Self); ok && c.joined {
		m.enqueue(relay, c.message(TypeLeave))
	}
	m.stopMedia(c)
	c.ended = true
}

// tell sends msg to each of to and waits for them.
func (m *Manager) tell(to []crdt.PublicKey, msg *Message) {
	var wg sync.WaitGroup
	for _, k := range to {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.send(k, msg); err != nil {
				m.cfg.Log.Debug("call message not delivered", "type", msg.Type, "err", err)
			}
		}()
	}
	wg.Wait()
}

// Leave leaves call id of community cid, telling the other participants.
// The last to leave records the call's end: a full end when it may (the
// caller or an admin), else that the call lapsed.
func (m *Manager) Leave(ctx context.Context, cid, id crdt.ID) error {
	m.mu.Lock()
	c, err := m.joinedCall(cid, id)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	to := c.others()
	took := slices.Collect(maps.Keys(c.took))
	last := len(to) == 0 && m.cfg.Members.MayCall(cid, c.gid, m.cfg.Self)
	full := last && m.cfg.Members.MayEndCall(cid, c.gid, m.cfg.Self, c.caller)
	if relay, ok := c.relayHost(m.cfg.Self); ok {
		to = append(to, relay) // the relay hosting the call drops this node at once
	}
	m.stopMedia(c)
	if last {
		c.ended = true
	}
	m.mu.Unlock()
	m.tell(to, c.message(TypeLeave))
	m.changed(cid)
	switch {
	case full:
		return m.cfg.Recorder.RecordEnd(ctx, cid, c.gid, id, m.cfg.Now().Sub(c.started), took)
	case last:
		return m.cfg.Recorder.RecordLapsed(ctx, cid, c.gid, id, m.cfg.Now().Sub(c.started), took)
	}
	return nil
}

// End ends call id of community cid for everyone (the caller or an
// admin) and records its end.
func (m *Manager) End(ctx context.Context, cid, id crdt.ID) error {
	m.mu.Lock()
	c, err := m.lookup(cid, id)
	if err == nil && !m.cfg.Members.MayEndCall(cid, c.gid, m.cfg.Self, c.caller) {
		err = fmt.Errorf("%w: only the caller or an admin ends a call", crdt.ErrUnauthorized)
	}
	if err == nil && c.ended {
		err = fmt.Errorf("call %s: %w", id.Short(), api.ErrCallEnded)
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	to := c.others()
	took := slices.Collect(maps.Keys(c.took))
	if relay, ok := c.relayHost(m.cfg.Self); ok {
		to = append(to, relay) // the relay hosting the call closes its SFU
	}
	m.stopMedia(c)
	c.ended = true
	m.mu.Unlock()
	m.tell(to, c.message(TypeEnd))
	m.changed(cid)
	return m.cfg.Recorder.RecordEnd(ctx, cid, c.gid, id, m.cfg.Now().Sub(c.started), took)
}

// Remove drops participant k from call id of community cid (the caller
// or an admin): every participant drops it and renews its key.
func (m *Manager) Remove(ctx context.Context, cid, id crdt.ID, k crdt.PublicKey) error {
	m.mu.Lock()
	c, err := m.joinedCall(cid, id)
	if err == nil && !m.cfg.Members.MayEndCall(cid, c.gid, m.cfg.Self, c.caller) {
		err = fmt.Errorf("%w: only the caller or an admin removes participants", crdt.ErrUnauthorized)
	}
	if err == nil && !c.roster[k] {
		err = fmt.Errorf("%x is not in the call: %w", k[:4], api.ErrUnknownMember)
	}
	if err != nil {
		m.mu.Unlock()
		return err
	}
	to := c.others()
	m.dropPeer(c, k)
	m.settle(c)
	msg := c.message(TypeRemove)
	msg.Peer = k[:]
	m.mu.Unlock()
	m.tell(to, msg)
	m.rekey(c)
	m.changed(cid)
	return nil
}

// SetMuted mutes or unmutes this node in call id, and tells the others.
func (m *Manager) SetMuted(cid, id crdt.ID, muted bool) error {
	return m.setState(cid, id, func(c *call) bool {
		if c.muted == muted {
			return false
		}
		c.muted = muted
		c.media.SetMuted(muted)
		return true
	})
}

// SetVideo tells the other participants of call id that this node's
// camera turned on or off. The camera itself is its owner's (the app's
// picture pipeline): the media is not told.
func (m *Manager) SetVideo(cid, id crdt.ID, on bool) error {
	return m.setState(cid, id, func(c *call) bool {
		changed := c.sendVideo != on
		c.sendVideo = on
		return changed
	})
}

// setState applies set to call id, which this node is in, and sends the
// others this node's state when set says it changed.
func (m *Manager) setState(cid, id crdt.ID, set func(*call) bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.joinedCall(cid, id)
	if err != nil || !set(c) {
		return err
	}
	// In the outbox's order, so the last state sent is the last taken.
	for _, k := range c.others() {
		m.enqueue(k, c.state())
	}
	return nil
}

// Recheck drops from the calls of community cid every participant no
// longer allowed in the call's group (removed from the community or the
// group), and renews this node's key for the others; if this node is no
// longer allowed, it leaves. It also reports to a relay hosting a call's
// SFU whom the relay said is connected and may no longer take part
// (connected.go). A call whose record now says the caller or an admin
// ended it ends here, whatever its topology, even if their End message
// never came. The node calls it when the community's state changes and
// when a call record arrives.
func (m *Manager) Recheck(cid crdt.ID) {
	var again []*call
	reported, ended := false, false
	m.mu.Lock()
	for key, c := range m.calls {
		if key.cid != cid || c.ended {
			continue
		}
		if m.recordEnded(c) {
			m.cfg.Log.Info("call ended by the caller or an admin (its record)", "call", c.id.Short(), "joined", c.joined)
			m.endHere(c)
			ended = true
			continue
		}
		if !c.joined {
			continue
		}
		if !m.cfg.Members.MayCall(cid, c.gid, m.cfg.Self) {
			m.stopMedia(c)
			continue
		}
		dropped := false
		for _, k := range c.others() {
			if !m.cfg.Members.MayCall(cid, c.gid, k) {
				dropped = m.dropPeer(c, k) || dropped
			}
		}
		reported = m.judgeConnected(c) || reported // connected.go
		if dropped {
			m.settle(c)
			again = append(again, c)
		}
	}
	m.mu.Unlock()
	for _, c := range again {
		m.rekeyLater(c)
	}
	if len(again) > 0 || reported || ended {
		m.changed(cid)
	}
}

// Answer answers a message from peer from (see Responder).
func (m *Manager) Answer(_ context.Context, from crdt.PublicKey, msg *Message) *Reply {
	if r := m.answerHosted(from, msg); r != nil {
		return r
	}
	r, change, rekey := m.answer(from, msg)
	if rekey != nil {
		m.rekeyLater(rekey)
	}
	if change {
		m.changed(crdt.ID(msg.Community))
	}
	return r
}

func refuse(format string, a ...any) *Reply { return &Reply{Error: fmt.Sprintf(format, a...)} }

// answer judges msg from peer from and applies it; it returns the reply,
// whether the calls changed and a call whose key to renew.
func (m *Manager) answer(from crdt.PublicKey, msg *Message) (*Reply, bool, *call) {
	cid, id := crdt.ID(msg.Community), crdt.ID(msg.Call)
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[callKey{cid, id}]
	if msg.Type == TypeRing {
		gid, caller := crdt.ID(msg.Group), crdt.PublicKey(msg.Caller)
		switch {
		case from != caller:
			return refuse("only the caller rings"), false, nil
		case !m.cfg.Members.MayCall(cid, gid, from):
			return refuse("not a member of the call's group"), false, nil
		case !m.cfg.Members.MayCall(cid, gid, m.cfg.Self):
			return refuse("not in the call's group"), false, nil
		case c != nil:
			return &Reply{}, false, nil
		}
		m.prune()
		rung := 0
		for _, o := range m.calls {
			if o.caller == from && !o.ended {
				rung++
			}
		}
		switch {
		case rung >= MaxRingsPerCaller:
			return refuse("too many calls from you"), false, nil
		case len(m.calls) >= MaxCalls:
			return refuse("too many calls"), false, nil
		}
		// A start in the future would keep the call ringing past
		// RingAge (prune); the roster names only who may be in the call.
		started := time.UnixMilli(msg.Started)
		if now := m.cfg.Now(); started.After(now) {
			started = now
		}
		c = newCall(cid, gid, id, caller, msg.Video, started)
		for _, b := range msg.Roster {
			if k := crdt.PublicKey(b); k != m.cfg.Self && m.cfg.Members.MayCall(cid, gid, k) {
				c.roster[k] = true
			}
		}
		m.calls[callKey{cid, id}] = c
		return &Reply{}, true, nil
	}
	if c == nil {
		return refuse("no such call"), false, nil
	}
	if m.fromRelayHost(c, from, msg) { // a relay, not a member (connected.go)
		r, fresh := m.connectedToHost(c, msg.Roster)
		return r, fresh, nil
	}
	if !m.cfg.Members.MayCall(cid, c.gid, from) {
		if c.joined && m.dropPeer(c, from) {
			m.settle(c)
			return refuse("not a member of the call's group"), true, c
		}
		return refuse("not a member of the call's group"), false, nil
	}
	switch msg.Type {
	case TypeRoster:
		return m.describe(c), false, nil
	case TypeEnd:
		if !m.cfg.Members.MayEndCall(cid, c.gid, from, c.caller) {
			return refuse("only the caller or an admin ends a call"), false, nil
		}
		m.endHere(c)
		return &Reply{}, true, nil
	}
	if !c.joined {
		return &Reply{Error: "not in this call", Absent: true}, false, nil
	}
	switch msg.Type {
	case TypeJoin:
		if crdt.ID(msg.Group) != c.gid || crdt.PublicKey(msg.Caller) != c.caller {
			return refuse("the join describes another call"), false, nil
		}
		if !c.roster[from] && len(c.roster)+1 >= MaxParticipants {
			return refuse("the call is full"), false, nil
		}
		m.addPeer(c, from)
		if c.reach == nil {
			c.reach = map[crdt.PublicKey]uint8{}
		}
		c.reach[from] = msg.Reach
		m.settle(c)
		m.tellRoster(c) // a relay host lets from in on this word
		c.states[from] = peerState{video: msg.Video}
		m.enqueue(from, c.state()) // the newcomer shows who is muted
		if !c.sfu {
			if err := c.media.Connect(m.cfg.PeerID(from)); err != nil {
				m.cfg.Log.Debug("connect call media", "err", err)
			}
		}
		return m.describe(c), true, c
	case TypeLeave:
		if m.dropPeer(c, from) {
			m.settle(c)
			return &Reply{}, true, c
		}
		return &Reply{}, false, nil
	case TypeRemove:
		if !m.cfg.Members.MayEndCall(cid, c.gid, from, c.caller) {
			return refuse("only the caller or an admin removes participants"), false, nil
		}
		k := crdt.PublicKey(msg.Peer)
		if k == m.cfg.Self {
			m.stopMedia(c)
			return &Reply{}, true, nil
		}
		if m.dropPeer(c, k) {
			m.settle(c)
			return &Reply{}, true, c
		}
		return &Reply{}, false, nil
	}
	if !c.roster[from] {
		return refuse("not in this call"), false, nil
	}
	peer := m.cfg.PeerID(from)
	switch msg.Type {
	case TypeMedia:
		if c.sfu && c.hosting == nil {
			// An SFU offer to a participant that does not host (one who
			// lost the host elected it alone): not a mesh message.
			return refuse("not this call's SFU host: the call runs through %s", m.cfg.PeerID(c.host)), false, nil
		}
		if err := c.media.HandleSignal(peer, msg.Blob); err != nil {
			return refuse("media: %v", err), false, nil
		}
	case TypeKey:
		if r := m.takeKey(c, from, peer, msg); r != nil {
			return r, false, nil
		}
	case TypeLayers:
		return refuse("not this call's SFU host"), false, nil
	case TypeKeyAsk:
		return m.askedKey(c, from), false, nil
	case TypeState:
		st := peerState{muted: msg.Muted, video: msg.Video}
		old, ok := c.states[from]
		c.states[from] = st
		return &Reply{}, !ok || old != st, nil
	}
	return &Reply{}, false, nil
}
