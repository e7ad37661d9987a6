package call

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// call is one call as this node knows it; guarded by Manager.mu except
// where said.
type call struct {
	cid, gid, id crdt.ID
	caller       crdt.PublicKey
	video        bool
	ice          []ICEServer // the ICE servers this node's media uses
	started      time.Time
	ended        bool
	// joined: this node takes part; media is its media then.
	joined   bool
	joinedAt time.Time
	media    Media
	muted    bool
	// sendVideo: this node sends video in the call.
	sendVideo bool
	// roster is who else takes part, as this node knows it.
	roster map[crdt.PublicKey]bool
	// states: each participant's state as it last told it (its join,
	// its state messages); absent: it told none (an older node).
	states map[crdt.PublicKey]peerState
	// took lists everyone who took part while this node did (for the end
	// record), this node included.
	took map[crdt.PublicKey]bool
	kid  uint64                    // this node's newest send key id
	key  []byte                    // and that key (never stored)
	recv map[crdt.PublicKey]uint64 // each sender's newest key id
	// resending: a goroutine sends key to the participant (keyAgain),
	// at once when its channel gets a value;
	// keyAsks: when each participant last asked for it (askedKey).
	resending map[crdt.PublicKey]chan struct{}
	keyAsks   map[crdt.PublicKey]time.Time
	// watching: watchKeys runs for this call.
	watching bool
	// timers drop a sender's keys but its newest KeyGrace after a new
	// one came: at most one pending per sender.
	timers map[crdt.PublicKey]*time.Timer
	recvAt map[crdt.PublicKey]time.Time // when each sender's newest key came

	// The SFU (topology.go): sfu says the call runs through host's;
	// hosting is this node's SFU when it is the host; reach is each
	// participant's announced reach; lost the hosts lost in this call.
	sfu     bool
	host    crdt.PublicKey
	hosting Host
	reach   map[crdt.PublicKey]uint8
	lost    map[crdt.PublicKey]bool
	// doubt: this node's media lost the host and the host has not
	// answered an offer since; its replies name no host meanwhile.
	// asking: it asks the others whether they lost it too (confirmLoss).
	doubt, asking bool
	// connected is who the relay hosting the call's SFU last said is
	// connected to it; reported those of them this node reported to it
	// as not allowed in the call, at most MaxParticipants (connected.go).
	connected []crdt.PublicKey
	reported  map[crdt.PublicKey]bool

	pmu   sync.Mutex                // guards what follows, read by the media's Signal
	peers map[string]crdt.PublicKey // roster by peer id
	// hostPeer and hostKey are the SFU host's peer id and key ("": a
	// mesh); med is the media they belong to.
	hostPeer string
	hostKey  crdt.PublicKey
	med      Media
	// layers is the latest layer request not yet sent to the host (nil:
	// none); flushing: a goroutine sends it (sendLayers).
	layers   []byte
	flushing bool
}

func newCall(cid, gid, id crdt.ID, caller crdt.PublicKey, video bool, started time.Time) *call {
	return &call{cid: cid, gid: gid, id: id, caller: caller, video: video, started: started,
		roster: map[crdt.PublicKey]bool{}, states: map[crdt.PublicKey]peerState{}, took: map[crdt.PublicKey]bool{}, peers: map[string]crdt.PublicKey{}}
}

// message returns a message of type t about c.
func (c *call) message(t uint8) *Message {
	msg := &Message{Type: t, Community: c.cid[:], Call: c.id[:]}
	if t == TypeRing || t == TypeJoin {
		msg.Group, msg.Caller, msg.Video, msg.Started = c.gid[:], c.caller[:], c.video, c.started.UnixMilli()
	}
	return msg
}

// others returns c's roster, sorted.
func (c *call) others() []crdt.PublicKey {
	out := slices.Collect(maps.Keys(c.roster))
	slices.SortFunc(out, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
	return out
}

// addPeer puts k in c's roster (mu held).
func (m *Manager) addPeer(c *call, k crdt.PublicKey) {
	c.roster[k] = true
	c.took[k] = true
	c.pmu.Lock()
	c.peers[m.cfg.PeerID(k)] = k
	c.pmu.Unlock()
}

// dropPeer takes k out of c's roster, stops media with it and forgets its
// keys (mu held); it reports whether k was there.
func (m *Manager) dropPeer(c *call, k crdt.PublicKey) bool {
	if !c.roster[k] {
		return false
	}
	delete(c.roster, k)
	delete(c.states, k)
	delete(c.recv, k)
	delete(c.keyAsks, k)
	id := m.cfg.PeerID(k)
	c.pmu.Lock()
	delete(c.peers, id)
	c.pmu.Unlock()
	if c.media != nil {
		c.media.Disconnect(id)
		c.media.DropRecvKeys(id, 0)
	}
	// Its media stops being forwarded at once: by this node's SFU, or by
	// the relay that hosts the call, which cannot judge members itself.
	if c.hosting != nil {
		c.hosting.Drop(id)
	}
	if c.sfu && c.host != k && c.host != m.cfg.Self && !c.roster[c.host] {
		msg := c.message(TypeRemove)
		msg.Peer = k[:]
		m.enqueue(c.host, msg)
	}
	return true
}

// peerState is a participant's state as it tells the others.
type peerState struct{ muted, video bool }

// state is a state message telling this node's own state in c (mu held).
func (c *call) state() *Message {
	msg := c.message(TypeState)
	msg.Muted, msg.Video = c.muted, c.sendVideo
	return msg
}

// describe is a reply describing c, its roster with this node (mu held).
func (m *Manager) describe(c *call) *Reply {
	r := &Reply{Group: c.gid[:], Caller: c.caller[:], Video: c.video, Started: c.started.UnixMilli()}
	if c.joined {
		r.Roster = append(r.Roster, m.cfg.Self[:])
		r.Reach = m.reach()
		if c.sfu && m.vouches(c) {
			h := c.host
			r.Host = h[:]
		}
	}
	for _, k := range c.others() {
		r.Roster = append(r.Roster, k[:])
	}
	return r
}

// Fill brings the calls of community cid that the view lists from their
// records up to date with what this node knows live: who takes part now,
// whether it ended, whether this node is in it; and adds calls that rang
// before their record arrived. For an active call this node is not in it
// shows who a participant last said takes part, and asks again in the
// background when that is older than AskEvery (ask.go). It also records, in the background, that
// the calls this node started in an earlier run and is not in lapsed
// (stale.go).
func (m *Manager) Fill(cid crdt.ID, calls []api.Call) []api.Call {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.endStale(cid, calls)
	listed := map[crdt.ID]bool{}
	for i := range calls {
		listed[calls[i].ID] = true
		c := m.calls[callKey{cid, calls[i].ID}]
		if c != nil {
			m.fill(c, &calls[i])
		}
		m.hear(cid, c, &calls[i])
	}
	for key, c := range m.calls {
		// A ring stays listed while this node may still take part.
		if key.cid == cid && !listed[key.id] && !c.ended && m.cfg.Members.MayCall(cid, c.gid, m.cfg.Self) {
			a := api.Call{ID: c.id, Group: c.gid, StartedBy: m.cfg.PeerID(c.caller), StartedByName: m.cfg.Members.Name(cid, c.caller),
				Started: c.started, Video: c.video, Active: true, CanEnd: m.cfg.Members.MayEndCall(cid, c.gid, m.cfg.Self, c.caller)}
			m.fill(c, &a)
			m.hear(cid, c, &a)
			calls = append(calls, a)
		}
	}
	m.forget(cid, calls)
	return calls
}

// fill sets a's live fields from c (mu held).
func (m *Manager) fill(c *call, a *api.Call) {
	if c.joined && !c.ended && !a.Active && !a.Lapsed { // its record says it ended
		m.endHere(c)
		cid := c.cid
		m.spawn(func() { m.changed(cid) })
	}
	a.Joined = c.joined
	if c.ended {
		a.Active = false
	} else if c.joined && a.Lapsed {
		a.Active = true // recorded as lapsed while this node is in it
	}
	if !a.Active || !c.joined && len(c.roster) == 0 {
		return
	}
	a.Participants = []string{}
	if c.joined {
		a.Participants = append(a.Participants, m.cfg.PeerID(m.cfg.Self))
	}
	for _, k := range c.others() {
		a.Participants = append(a.Participants, m.cfg.PeerID(k))
	}
}

// Status returns how call id of community cid runs, which this node
// takes part in: the topology (a mesh, or an SFU and its host) and, for each participant, what
// this node's media measured of its frames.
func (m *Manager) Status(cid, id crdt.ID) (api.CallStatus, error) {
	m.mu.Lock()
	c, err := m.joinedCall(cid, id)
	if err != nil {
		m.mu.Unlock()
		return api.CallStatus{}, err
	}
	others, med, muted, video := c.others(), c.media, c.muted, c.sendVideo
	states := maps.Clone(c.states)
	topology, host := api.TopologyMesh, ""
	if c.sfu {
		topology, host = api.TopologySFU, m.cfg.PeerID(c.host)
	}
	reported := m.reportedOf(c)
	m.mu.Unlock()
	stats := map[string]PeerStats{}
	for _, s := range med.Stats() {
		stats[s.Peer] = s
	}
	self := m.cfg.PeerID(m.cfg.Self)
	out := api.CallStatus{Call: id, Topology: topology, SFU: host, Reported: reported, Participants: []api.CallParticipant{{
		PeerID: self, Name: m.cfg.Members.Name(cid, m.cfg.Self), Self: true, Audio: true, Video: video, Muted: muted}}}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	for _, k := range others {
		p := m.cfg.PeerID(k)
		s := stats[p]
		if st, ok := states[k]; ok {
			s.Video = st.video // as it says, not whether a video track ever came
		}
		out.Participants = append(out.Participants, api.CallParticipant{PeerID: p, Name: m.cfg.Members.Name(cid, k),
			Audio: s.Audio, Video: s.Video, Muted: states[k].muted, FramesReceived: s.FramesReceived, FramesDecrypted: s.FramesDecrypted,
			DecryptFailures: s.DecryptFailures, LatencyP50: ms(s.LatencyP50), LatencyP99: ms(s.LatencyP99),
			Layer: s.Layer})
	}
	return out, nil
}
