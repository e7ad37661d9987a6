package call

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// # Topology and the SFU host
//
// A call is a full mesh while it is small: up to MeshVideo participants
// in a video call, MeshVoice in a voice call. Beyond that, or as soon as
// a relay that hosts SFUs (`umbrellad relay --sfu`) serves the community,
// it runs through a selective forwarding unit (call/sfu) on one host, to
// which every participant keeps one connection. Elect is the rule, and
// every participant applies it to the same inputs, so all choose the same
// host without a vote:
//
//  1. the relays registered with the community that announce SFU hosting
//     and this node reaches, not yet lost in this call: the one with the
//     smallest key;
//  2. else, when the call is too large for a mesh or already runs
//     through an SFU (whose host is gone), the participant with the best
//     reach (ReachDirect over ReachRelayed; ReachNone cannot
//     host), not yet lost in this call, ties broken by the smallest key;
//  3. else a mesh.
//
// Each participant announces its reach in its join and in its answers to
// joins, so everyone knows everyone's. The roster's replies carry the
// host in use (Reply.Host), and a host stays while it is there: a joiner
// adopts the host the participants name (the most named, ties to the
// smallest key) rather than electing anew, so a newcomer with a better
// reach does not move the call. Once in an SFU a call stays in one, even
// if it shrinks, so that it does not switch back and forth.
//
// Failover: when the host leaves (its leave) or is dropped (removed from
// the community or the call), each participant marks it lost for this
// call and elects again on its roster; the same rule gives the same next
// host, to which everyone reconnects. When it stops answering (the media
// reports nothing from it for call/media's HostSilence, or its answers
// fail for HostRetry), that may be this participant's own link alone:
// electing on its own would split the call. So it first asks the other
// participants (confirmLoss), naming no host in its own replies
// meanwhile; if at least half of those who answer still name the host,
// the host is there and this participant reconnects to it; otherwise
// (they lost it too, or moved on) it is lost, and this participant takes
// the host the others name or elects as they do. Keys do not change with
// the host: the SFU never holds one.

// Elect applies the rule above: participants maps everyone in the call
// (this node included) to its reach, video says the call is a video call,
// stay that it runs through an SFU already (whose host is gone: it stays
// on one if anyone can host, whatever its size), relays are the SFU
// relays this node reaches, and lost the hosts lost in this call. It
// returns the host and whether the call runs through an SFU.
func Elect(participants map[crdt.PublicKey]uint8, video, stay bool, relays []crdt.PublicKey, lost map[crdt.PublicKey]bool) (crdt.PublicKey, bool) {
	less := func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) }
	var best crdt.PublicKey
	found := false
	for _, r := range relays {
		if !lost[r] && (!found || less(r, best) < 0) {
			best, found = r, true
		}
	}
	if found {
		return best, true
	}
	limit := MeshVoice
	if video {
		limit = MeshVideo
	}
	if len(participants) <= limit && !stay {
		return crdt.PublicKey{}, false
	}
	var reach uint8
	for k, r := range participants {
		if r == ReachNone || lost[k] {
			continue
		}
		if !found || r > reach || r == reach && less(k, best) < 0 {
			best, reach, found = k, r, true
		}
	}
	return best, found
}

// errNotHosting: the host asked for an SFU answer does not host the call
// (yet).
var errNotHosting = errors.New("the host does not host the call")

// reach is this node's reach: none unless it can host.
func (m *Manager) reach() uint8 {
	if m.cfg.Host == nil || m.cfg.Reach == nil {
		return ReachNone
	}
	return min(m.cfg.Reach(), ReachDirect)
}

// settle applies the rule to c: it keeps c's host while it stands, else
// elects one, and moves the media (mu held).
func (m *Manager) settle(c *call) {
	if !c.joined || c.media == nil {
		return
	}
	relays := m.cfg.Members.Hosts(c.cid)
	if c.sfu && !c.lost[c.host] && (c.roster[c.host] || c.host == m.cfg.Self || slices.Contains(relays, c.host)) {
		return
	}
	parts := map[crdt.PublicKey]uint8{m.cfg.Self: m.reach()}
	for k := range c.roster {
		parts[k] = c.reach[k]
	}
	host, sfu := Elect(parts, c.video, c.sfu, relays, c.lost)
	if sfu == c.sfu && host == c.host {
		return
	}
	m.setHost(c, host, sfu)
}

// adopt takes the host that the most of the participants' replies name
// (ties to the smallest key), if it stands (mu held); it reports whether
// it did.
func (m *Manager) adopt(c *call, named map[crdt.PublicKey]int) bool {
	var best crdt.PublicKey
	n := 0
	relays := m.cfg.Members.Hosts(c.cid)
	for k, v := range named {
		ok := c.roster[k] || k == m.cfg.Self || slices.Contains(relays, k)
		if ok && !c.lost[k] && (v > n || v == n && slices.Compare(k[:], best[:]) < 0) {
			best, n = k, v
		}
	}
	if n == 0 {
		return false
	}
	if !c.sfu || c.host != best {
		m.setHost(c, best, true)
	}
	return true
}

// setHost moves c to host's SFU, or to a mesh (mu held).
func (m *Manager) setHost(c *call, host crdt.PublicKey, sfu bool) {
	if c.hosting != nil && (!sfu || host != m.cfg.Self) {
		if err := c.hosting.Close(); err != nil {
			m.cfg.Log.Debug("close call host", "err", err)
		}
		c.hosting = nil
	}
	if sfu && host == m.cfg.Self && c.hosting == nil {
		h, err := m.cfg.Host()
		if err != nil {
			m.cfg.Log.Warn("cannot host the call's SFU", "err", err)
		} else {
			c.hosting = h
		}
	}
	c.sfu, c.host = sfu, host
	peer := ""
	if sfu {
		peer = m.cfg.PeerID(host)
	} else {
		c.host = crdt.PublicKey{}
	}
	c.pmu.Lock()
	c.hostPeer, c.hostKey = peer, c.host
	c.pmu.Unlock()
	m.cfg.Log.Debug("call topology", "sfu", sfu, "host", peer)
	if err := c.media.SetHost(peer); err != nil {
		m.cfg.Log.Warn("move call media", "host", peer, "err", err)
	}
	if !sfu {
		for _, k := range c.others() {
			if err := c.media.Connect(m.cfg.PeerID(k)); err != nil {
				m.cfg.Log.Debug("connect call media", "err", err)
			}
		}
	}
}

// offer carries this node's SFU offer to c's host (peer id hostPeer, key
// host) and the answer back to med, in the background: to its own Host
// when it hosts, else in a media message whose reply is the answer. A
// host that refuses is asked again every HostRetry/10 up to HostRetry
// (it may not have learnt yet that it hosts, or, a relay, that this node
// takes part: tellRoster); one that never answers is lost.
func (m *Manager) offer(c *call, med Media, host crdt.PublicKey, hostPeer string, blob []byte) {
	m.spawn(func() {
		deadline := time.Now().Add(HostRetry)
		for {
			answer, err := m.askHost(c, host, blob)
			m.mu.Lock()
			current := c.media == med && c.sfu && c.host == host
			m.mu.Unlock()
			if !current {
				return
			}
			if err == nil {
				m.mu.Lock()
				if c.media == med && c.host == host {
					c.doubt = false // it answers: this node's replies name it again
					m.tellRoster(c)
				}
				m.mu.Unlock()
				if err := med.HandleSignal(hostPeer, answer); err != nil {
					m.cfg.Log.Debug("SFU answer", "host", hostPeer, "err", err)
				}
				return
			}
			m.cfg.Log.Debug("SFU offer not answered", "host", hostPeer, "err", err)
			if time.Now().After(deadline) {
				m.hostLost(c, med, hostPeer)
				return
			}
			select {
			case <-m.ctx.Done():
				return
			case <-time.After(HostRetry / 10):
			}
		}
	})
}

// askHost has host answer blob, this node's SFU offer in c.
func (m *Manager) askHost(c *call, host crdt.PublicKey, blob []byte) ([]byte, error) {
	if host == m.cfg.Self {
		m.mu.Lock()
		h := c.hosting
		m.mu.Unlock()
		if h == nil {
			return nil, errNotHosting
		}
		return h.Offer(m.cfg.PeerID(m.cfg.Self), blob)
	}
	msg := c.message(TypeMedia)
	msg.Blob = blob
	r, err := m.send(host, msg)
	if err != nil {
		return nil, err
	}
	if len(r.Blob) == 0 {
		return nil, errNotHosting
	}
	return r.Blob, nil
}

// hostLost is med's report that c's host hostPeer stopped answering: the
// other participants are asked whether they lost it too (confirmLoss).
func (m *Manager) hostLost(c *call, med Media, hostPeer string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.media != med || !c.sfu || m.cfg.PeerID(c.host) != hostPeer || c.asking {
		return
	}
	c.doubt, c.asking = true, true
	host := c.host
	var others []crdt.PublicKey
	for _, k := range c.others() {
		if k != host {
			others = append(others, k)
		}
	}
	m.spawn(func() { m.confirmLoss(c, med, host, hostPeer, others) })
}

// confirmLoss asks the other participants which host they use, and
// the host itself whether it is there: when more than half of those who
// answer name host, this node's link to it failed, and it reconnects to
// host (doubting it until it answers); otherwise host is lost (gone).
// With no other participant it is lost; when none answers, this node is
// the one cut off, and it reconnects. While the others still name a host
// that does not answer, they may not have noticed yet: they are asked
// again, up to confirmRounds times, HostRetry/4 apart.
func (m *Manager) confirmLoss(c *call, med Media, host crdt.PublicKey, hostPeer string, others []crdt.PublicKey) {
	var answered, still int
	var named map[crdt.PublicKey]int
	for round := 1; ; round++ {
		probe := make(chan bool, 1)
		go func() { probe <- m.askHost1(c, host) }()
		answered, still, named = m.askHosts(c, host, others)
		if answered == 0 || 2*still <= answered {
			break
		}
		if <-probe || round == confirmRounds { // the host answers: this node's link alone failed
			break
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(HostRetry / 4):
		}
	}
	m.mu.Lock()
	c.asking = false
	if c.media != med || !c.sfu || c.host != host {
		m.mu.Unlock()
		return
	}
	if len(others) > 0 && (answered == 0 || 2*still > answered) {
		m.mu.Unlock()
		m.cfg.Log.Info("call host lost by this node alone; reconnecting", "host", hostPeer, "others", answered, "still", still)
		if err := med.SetHost(hostPeer); err != nil {
			m.cfg.Log.Warn("reconnect to the call host", "host", hostPeer, "err", err)
		}
		return
	}
	if c.lost == nil {
		c.lost = map[crdt.PublicKey]bool{}
	}
	c.lost[host] = true
	c.doubt = false
	dropped := host != m.cfg.Self && m.dropPeer(c, host)
	if !m.adopt(c, named) {
		m.settle(c)
	}
	m.mu.Unlock()
	m.cfg.Log.Info("call host lost; moved on", "host", hostPeer)
	if dropped {
		m.rekeyLater(c)
	}
	m.changed(c.cid)
}

// confirmRounds bounds how many times confirmLoss asks the others.
const confirmRounds = 4

// askHosts asks others which host they use: how many answered, how
// many named host, and the other hosts named.
func (m *Manager) askHosts(c *call, host crdt.PublicKey, others []crdt.PublicKey) (answered, still int, named map[crdt.PublicKey]int) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	named = map[crdt.PublicKey]int{}
	for _, k := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, ok := m.askRoster(c, k, HostRetry)
			if !ok {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			answered++
			if len(r.Host) == 0 {
				return
			}
			if h := crdt.PublicKey(r.Host); h == host {
				still++
			} else {
				named[h]++
			}
		}()
	}
	wg.Wait()
	return answered, still, named
}

// askHost1 reports whether host answers that it takes part in c (as a
// participant or as the relay hosting it).
func (m *Manager) askHost1(c *call, host crdt.PublicKey) bool {
	r, ok := m.askRoster(c, host, HostRetry/2)
	return ok && len(r.Roster) > 0
}

// askRoster asks k who takes part in c, waiting at most wait: a host
// that is gone must not hold the failover up.
func (m *Manager) askRoster(c *call, k crdt.PublicKey, wait time.Duration) (*Reply, bool) {
	ctx, cancel := context.WithTimeout(m.ctx, wait)
	defer cancel()
	r, err := m.cfg.Send.Send(ctx, k, c.message(TypeRoster))
	if err != nil || r.Absent || r.Error != "" {
		return nil, false
	}
	return r, true
}

// spawn runs f in a goroutine that Close waits for, unless the Manager is
// closing.
func (m *Manager) spawn(f func()) {
	m.gmu.Lock()
	defer m.gmu.Unlock()
	if m.done {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		f()
	}()
}

// relayHost returns c's host if it is a relay: neither this node (self)
// nor a participant (mu held).
func (c *call) relayHost(self crdt.PublicKey) (crdt.PublicKey, bool) {
	return c.host, c.sfu && c.host != self && !c.roster[c.host]
}

// tellRoster sends c's roster to its host if that is a relay, which lets
// into the call's SFU only whom a connected participant named (mu held).
func (m *Manager) tellRoster(c *call) {
	host, ok := c.relayHost(m.cfg.Self)
	if !ok || !c.joined {
		return
	}
	msg := c.message(TypeRoster)
	msg.Roster = m.describe(c).Roster
	m.enqueue(host, msg)
}

// ErrNoHost: a layer request in a call that runs as a mesh.
var ErrNoHost = errors.New("the call has no SFU host")

// sendLayers hands this node's layer request in c to the goroutine that
// carries them to c's SFU host, starting it if none runs: only the
// latest request goes out, in order, and the media never waits.
func (m *Manager) sendLayers(c *call, blob []byte) error {
	if len(blob) == 0 || len(blob) > MaxLayersBlob {
		return bad("layer request of %d bytes, 1 to %d", len(blob), MaxLayersBlob)
	}
	c.pmu.Lock()
	if c.hostPeer == "" {
		c.pmu.Unlock()
		return ErrNoHost
	}
	c.layers = blob
	start := !c.flushing
	c.flushing = true
	c.pmu.Unlock()
	if start {
		m.spawn(func() { m.flushLayers(c) })
	}
	return nil
}

// flushLayers sends c's latest layer request to its host until none is
// left: to its own Host when this node hosts, else in a TypeLayers
// message.
func (m *Manager) flushLayers(c *call) {
	for {
		c.pmu.Lock()
		blob, hostPeer, host := c.layers, c.hostPeer, c.hostKey
		c.layers = nil
		if blob == nil || hostPeer == "" {
			c.flushing = false
			c.pmu.Unlock()
			return
		}
		c.pmu.Unlock()
		var err error
		if host == m.cfg.Self {
			m.mu.Lock()
			h := c.hosting
			m.mu.Unlock()
			err = errNotHosting
			if h != nil {
				err = h.Layers(hostPeer, blob)
			}
		} else {
			msg := c.message(TypeLayers)
			msg.Blob = blob
			_, err = m.send(host, msg)
		}
		if err != nil {
			m.cfg.Log.Debug("layer request not taken", "host", hostPeer, "err", err)
		}
	}
}

// answerHosted answers an SFU offer or a layer request from a participant
// of a call this node hosts, outside the Manager's lock (the SFU gathers
// its ICE candidates before it answers); nil: msg is not one (answer
// takes it). Only a current participant whom crdt lets call is
// connected, and one dropped while it connected is dropped again.
func (m *Manager) answerHosted(from crdt.PublicKey, msg *Message) *Reply {
	if msg.Type != TypeMedia && msg.Type != TypeLayers {
		return nil
	}
	cid, id := crdt.ID(msg.Community), crdt.ID(msg.Call)
	m.mu.Lock()
	c := m.calls[callKey{cid, id}]
	if c == nil || !c.joined || c.hosting == nil || !c.roster[from] || !m.cfg.Members.MayCall(cid, c.gid, from) {
		m.mu.Unlock()
		return nil
	}
	h := c.hosting
	m.mu.Unlock()
	peer := m.cfg.PeerID(from)
	if msg.Type == TypeLayers {
		if err := h.Layers(peer, msg.Blob); err != nil {
			return refuse("sfu: %v", err)
		}
		return &Reply{}
	}
	answer, err := h.Offer(peer, msg.Blob)
	if err != nil {
		return refuse("sfu: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if c.hosting != h || !c.roster[from] {
		h.Drop(peer)
		return refuse("not in this call")
	}
	return &Reply{Blob: answer}
}
