package call

import (
	"context"
	"errors"
	"maps"
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
// participants (confirmLoss), each for up to HostAsk, naming no host in
// its own replies meanwhile; if more than half of those who answer still
// name the host, the host is there and this participant reconnects to
// it; otherwise (they lost it too, or moved on) it is lost, and this
// participant takes the host the others name (even one it lost before)
// or elects as they do. But when no other host has more than half, the
// others may only doubt the host too (a stall seen by several at once):
// if the host itself answers that it hosts, it is not lost and this
// participant reconnects, unless it reconnected to it less than keptFor
// ago (media that goes on losing a host says it is gone). A lost
// participant host that still takes part and hosts nothing stays in the
// roster.
//
// A lost host is never a resting state: a participant whose own links
// failed may have moved alone (to a mesh of one, or a host of its own).
// So once it lost a host it keeps checking (rejoin), with backoff from
// HostRetry up to RejoinMax: it moves back to the preferred SFU relay as
// soon as that answers, and to the host more than half of the others
// name (even a host it lost and dropped from its roster, if that answers
// that it takes part), and takes back into its roster the participants
// it dropped that answer, until it is with the others. Keys do not change
// with the host: the SFU never holds one.

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
// it did. A host this node lost earlier is taken too: that others use it
// says it is there, and staying away would split the call.
func (m *Manager) adopt(c *call, named map[crdt.PublicKey]int) bool {
	best, n := m.mostNamed(c, named)
	if n == 0 {
		return false
	}
	delete(c.lost, best)
	if !c.sfu || c.host != best {
		m.setHost(c, best, true)
	}
	return true
}

// mostNamed returns the host of named (hosts by how many participants
// name them) that the most name, ties to the smallest key, among those
// that can host c: a participant, this node, or an SFU relay it reaches;
// and how many name it (0: none can) (mu held).
func (m *Manager) mostNamed(c *call, named map[crdt.PublicKey]int) (crdt.PublicKey, int) {
	relays := m.cfg.Members.Hosts(c.cid)
	can := map[crdt.PublicKey]int{}
	for k, v := range named {
		if c.roster[k] || k == m.cfg.Self || slices.Contains(relays, k) {
			can[k] = v
		}
	}
	return mostOf(can)
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
// again, up to confirmRounds times, HostRetry/4 apart. When too few name
// host but no other host has more than half, the others may be in doubt
// too: host is lost only if it does not answer that it hosts either (a
// relay stall seen by several at once split the trial's call for good),
// unless this node reconnected to it less than keptFor ago.
//
// Each participant has HostAsk to answer: on a loaded machine the others
// answer slowly, and counting only the quick answers let two
// participants that lost the host together (each naming no host while it
// doubts) outvote three that still had it, and split the call. A
// participant host that is lost but still answers that it takes part
// (it only does not host) stays in the roster; one that does not answer
// is dropped. Once it moved away from a lost host, this node keeps
// checking that it is with the others (rejoin).
func (m *Manager) confirmLoss(c *call, med Media, host crdt.PublicKey, hostPeer string, others []crdt.PublicKey) {
	type probed struct{ alive, hosting bool }
	var v hostVotes
	var probe chan probed
	var got probed
	read := false
	for round := 1; ; round++ {
		p := make(chan probed, 1)
		go func() {
			alive, hosting := m.probeHost2(c, host, HostRetry/2)
			p <- probed{alive, hosting}
		}()
		probe, read = p, false
		v = m.askHosts(c, host, others, lossSettled)
		if v.answered == 0 || 2*v.still <= v.answered {
			break
		}
		got, read = <-probe, true
		if got.alive || round == confirmRounds { // the host answers: this node's link alone failed
			break
		}
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(HostRetry / 4):
		}
	}
	m.mu.Lock()
	k, at := m.kept[c], m.cfg.Now()
	m.mu.Unlock()
	// Too few name the host, but no other host has more than half: the
	// others may doubt it too (a stall seen by several at once). It is
	// lost only if it does not answer that it hosts either, unless this
	// node reconnected to it less than keptFor ago: media that goes on
	// losing it says it is gone.
	_, n := mostOf(v.named)
	rescue := len(others) > 0 && v.answered > 0 && 2*v.still <= v.answered && 2*n <= v.answered &&
		(k.host != host || at.Sub(k.at) > keptFor)
	if rescue {
		if !read {
			got, read = <-probe, true
		}
		rescue = got.alive && got.hosting
	}
	m.mu.Lock()
	c.asking = false
	if c.media != med || !c.sfu || c.host != host {
		m.mu.Unlock()
		return
	}
	if len(others) > 0 && (v.answered == 0 || 2*v.still > v.answered || rescue) {
		m.kept[c] = keptHost{host, at, rescue}
		m.mu.Unlock()
		m.cfg.Log.Info("call host lost by this node alone; reconnecting", "host", hostPeer, "others", v.answered, "still", v.still, "answers", rescue)
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
	if !read {
		select { // not waited for: a participant dropped wrongly comes back (rejoin)
		case got = <-probe:
		default:
		}
	}
	// A participant host that answers that it takes part and hosts
	// nothing stays.
	dropped := host != m.cfg.Self && !(got.alive && !got.hosting) && m.dropPeer(c, host)
	if !m.adopt(c, v.named) {
		m.settle(c)
	}
	m.startRejoin(c, med)
	m.mu.Unlock()
	m.cfg.Log.Info("call host lost; moved on", "host", hostPeer, "others", v.answered, "still", v.still)
	if dropped {
		m.rekeyLater(c)
	}
	m.changed(c.cid)
}

// confirmRounds bounds how many times confirmLoss asks the others.
const confirmRounds = 4

// keptFor is how long after confirmLoss reconnected to a host it does not
// keep that host only because it answers.
const keptFor = SendTimeout

// keptHost is the host confirmLoss last reconnected to, when, and whether
// only because it answered.
type keptHost struct {
	host     crdt.PublicKey
	at       time.Time
	answered bool
}

// vouches says whether this node's replies may name c's host (mu held):
// not while it doubts it, nor for keptFor after it kept it only because
// the host answered, as its media has not shown yet that the host is
// there (others that lost the host too must not count this node as
// still on it).
func (m *Manager) vouches(c *call) bool {
	k := m.kept[c]
	return !c.doubt && !(k.answered && k.host == c.host && m.cfg.Now().Sub(k.at) < keptFor)
}

// hostVotes is what the other participants said of the host they use.
type hostVotes struct {
	answered int                     // answered that they take part
	still    int                     // named the host asked about
	none     int                     // named no host: a mesh, or in doubt
	named    map[crdt.PublicKey]int  // the other hosts named, by how many
	took     []crdt.PublicKey        // who answered
	listed   map[crdt.PublicKey]bool // who their rosters name
	hosting  map[crdt.PublicKey]bool // who named itself as the host
}

// add counts o's votes in v.
func (v *hostVotes) add(o hostVotes) {
	v.answered += o.answered
	v.still += o.still
	v.none += o.none
	for k, n := range o.named {
		v.named[k] += n
	}
	v.took = append(v.took, o.took...)
	maps.Copy(v.listed, o.listed)
	maps.Copy(v.hosting, o.hosting)
}

// askHosts asks others which host they use, each for at most HostAsk.
// If settled is set, it returns as soon as settled says that the answers
// so far, whatever the pending ones will be, decide (a participant whose
// node crashed without a leave must not hold a failover up for HostAsk).
func (m *Manager) askHosts(c *call, host crdt.PublicKey, others []crdt.PublicKey, settled func(v hostVotes, pending int) bool) hostVotes {
	var mu sync.Mutex
	v := hostVotes{named: map[crdt.PublicKey]int{}, listed: map[crdt.PublicKey]bool{}, hosting: map[crdt.PublicKey]bool{}}
	pending, done := len(others), false
	decided := make(chan struct{})
	for _, k := range others {
		go func() {
			r, ok := m.askRoster(c, k, HostAsk)
			mu.Lock()
			defer mu.Unlock()
			if done {
				return
			}
			pending--
			if ok && slices.ContainsFunc(r.Roster, func(b []byte) bool { return crdt.PublicKey(b) == k }) { // k takes part
				v.count(k, host, r)
			}
			if pending == 0 || settled != nil && settled(v, pending) {
				done = true
				close(decided)
			}
		}()
	}
	if len(others) == 0 {
		return v
	}
	<-decided
	mu.Lock() // the answers after done leave v alone
	defer mu.Unlock()
	return v
}

// count counts participant k's reply r in v, asked about host.
func (v *hostVotes) count(k, host crdt.PublicKey, r *Reply) {
	v.answered++
	v.took = append(v.took, k)
	for _, b := range r.Roster {
		v.listed[crdt.PublicKey(b)] = true
	}
	if len(r.Host) > 0 && crdt.PublicKey(r.Host) == k {
		v.hosting[k] = true
	}
	switch {
	case len(r.Host) == 0:
		v.none++
	case crdt.PublicKey(r.Host) == host:
		v.still++
	default:
		v.named[crdt.PublicKey(r.Host)]++
	}
}

// lossSettled says whether confirmLoss's verdict is decided by v with
// pending answers still to come: the host is lost (at most half name it
// even if all pending do) or is there (more than half name it even if
// none of the pending do).
func lossSettled(v hostVotes, pending int) bool {
	return v.answered > 0 && 2*v.still+pending <= v.answered || 2*v.still > v.answered+pending
}

// probeHost reports whether host answers, within wait, that it takes part
// in c: a participant lists itself in its roster; a relay takes this
// node's roster from a participant connected to its SFU for c (the
// roster it names, as tellRoster sends: an empty one would tell the relay
// that this node names nobody).
func (m *Manager) probeHost(c *call, host crdt.PublicKey, wait time.Duration) bool {
	alive, _ := m.probeHost2(c, host, wait)
	return alive
}

// probeHost2 is probeHost, and also whether a participant host says it
// hosts c.
func (m *Manager) probeHost2(c *call, host crdt.PublicKey, wait time.Duration) (alive, hosting bool) {
	m.mu.Lock()
	msg := c.message(TypeRoster)
	relay := host != m.cfg.Self && !c.roster[host]
	if relay {
		msg.Roster = m.describe(c).Roster
	}
	m.mu.Unlock()
	r, ok := m.ask1(host, msg, wait)
	switch {
	case !ok:
		return false, false
	case relay:
		return true, true
	}
	return slices.ContainsFunc(r.Roster, func(b []byte) bool { return crdt.PublicKey(b) == host }), len(r.Host) > 0 && crdt.PublicKey(r.Host) == host
}

// askRoster asks k who takes part in c, waiting at most wait: a host
// that is gone must not hold the failover up.
func (m *Manager) askRoster(c *call, k crdt.PublicKey, wait time.Duration) (*Reply, bool) {
	return m.ask1(k, c.message(TypeRoster), wait)
}

// ask1 sends msg to k, waiting at most wait, and returns its reply
// unless it failed or was a refusal.
func (m *Manager) ask1(k crdt.PublicKey, msg *Message, wait time.Duration) (*Reply, bool) {
	ctx, cancel := context.WithTimeout(m.ctx, wait)
	defer cancel()
	r, err := m.cfg.Send.Send(ctx, k, msg)
	if err != nil || r.Absent || r.Error != "" {
		return nil, false
	}
	return r, true
}

// startRejoin starts rejoin for c's media med unless it runs (mu held).
func (m *Manager) startRejoin(c *call, med Media) {
	if m.rejoins[c] == med {
		return
	}
	m.rejoins[c] = med
	m.spawn(func() { m.rejoin(c, med) })
}

// rejoin runs while this node, having lost a host of c (confirmLoss), may
// be away from the host the others use: a minority that lost a host only
// through its own links, or slowly, may have moved alone to a mesh or a
// host of its own. Every wait (HostRetry, doubling up to RejoinMax) it
//
//   - probes the preferred SFU relay (the smallest of those it reaches),
//     if it lost it and is not on it, and moves back to it as soon as it
//     answers;
//   - else, until more than half of the participants say they are on its
//     own host (or in its mesh), asks them which host they use: it moves
//     to a host that more than half of those who answer name (reaching it
//     first if it is a relay it is not connected to), and takes back into
//     its roster the participants that answer that they take part (a
//     participant host it dropped while its links were down, even one it
//     lost that still hosts, when more than half name it). Counting
//     all participants, not only those who answer, keeps two that are
//     cut off together from taking each other for the call.
//
// It ends when this node is with the others and no SFU relay it reaches
// is lost, or when c's media changes.
func (m *Manager) rejoin(c *call, med Media) {
	wait := HostRetry
	aligned := false
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, RejoinMax)
		m.mu.Lock()
		if c.media != med || !c.joined {
			if m.rejoins[c] == med {
				delete(m.rejoins, c)
			}
			m.mu.Unlock()
			return
		}
		relay, lostRelay := m.lostRelay(c)
		host, sfu, others := c.host, c.sfu, c.others()
		// The relay first; then, in the same round, whether the others
		// are on the host this node is on now.
		m.mu.Unlock()
		if lostRelay && (!sfu || host != relay) && m.probeHost(c, relay, HostAsk) {
			m.mu.Lock()
			moved := c.media == med && c.joined
			if moved {
				m.cfg.Log.Info("call host answers again; back to it", "host", m.cfg.PeerID(relay))
				delete(c.lost, relay)
				m.setHost(c, relay, true)
			}
			m.mu.Unlock()
			if moved {
				aligned, host = false, relay
				m.changed(c.cid)
			}
		}
		if !aligned {
			v := m.askHosts(c, host, others, nil)
			// Those the others name and this node lacks (it dropped them
			// while its links were down) are asked too.
			var missing []crdt.PublicKey
			for k := range v.listed {
				if k != m.cfg.Self && !slices.Contains(others, k) && len(missing) < MaxParticipants {
					missing = append(missing, k)
				}
			}
			if len(missing) > 0 {
				v.add(m.askHosts(c, host, missing, nil))
			}
			if k, n := mostOf(v.named); n > 0 && 2*n > v.answered && k != m.cfg.Self && !slices.Contains(others, k) {
				// A relay more than half of them use, which this node
				// may not be connected to now: reach it.
				m.probeHost(c, k, HostAsk)
			}
			m.mu.Lock()
			var healed []crdt.PublicKey
			join := c.message(TypeJoin)
			join.Video, join.Reach = c.sendVideo, m.reach()
			if c.media == med && c.joined {
				if k, n := mostOf(v.named); c.lost[k] && slices.Contains(v.took, k) {
					// A host this node lost (and dropped) that answers
					// that it takes part, and that more than half of
					// the others, itself aside, still use: it is not
					// one everyone left, so heal takes it back and
					// this node returns to it.
					if v.hosting[k] {
						n--
					}
					if n > 0 && 2*n > v.answered-1 {
						delete(c.lost, k)
					}
				}
				healed = m.heal(c, v)
				best, n := m.mostNamed(c, v.named)
				switch {
				case n > 0 && 2*n > v.answered:
					m.cfg.Log.Info("call runs through another host; moving to it", "host", m.cfg.PeerID(best), "others", v.answered, "naming it", n)
					m.adopt(c, map[crdt.PublicKey]int{best: n})
				case c.sfu && 2*v.still > len(others), !c.sfu && 2*v.none > len(others):
					// More than half of the participants, not only of
					// those that answered: two cut off together must
					// not take each other for the call.
					aligned = true
				}
			}
			m.mu.Unlock()
			if len(healed) > 0 {
				// A join has each renew its key, which this node dropped
				// with it, and this node's new key reaches it.
				m.tell(healed, join)
				m.rekey(c)
				m.changed(c.cid)
			}
		}
		m.mu.Lock()
		_, lostRelay = m.lostRelay(c)
		if aligned && !lostRelay && m.rejoins[c] == med {
			delete(m.rejoins, c)
			m.mu.Unlock()
			return
		}
		m.mu.Unlock()
	}
}

// mostOf returns the key of named with the largest count, ties to the
// smallest key, and its count.
func mostOf(named map[crdt.PublicKey]int) (crdt.PublicKey, int) {
	var best crdt.PublicKey
	n := 0
	for k, v := range named {
		if v > n || v == n && slices.Compare(k[:], best[:]) < 0 {
			best, n = k, v
		}
	}
	return best, n
}

// lostRelay returns the smallest SFU relay this node reaches, if c lost
// it (mu held).
func (m *Manager) lostRelay(c *call) (crdt.PublicKey, bool) {
	relays := m.cfg.Members.Hosts(c.cid)
	if len(relays) == 0 {
		return crdt.PublicKey{}, false
	}
	r := slices.MinFunc(relays, func(a, b crdt.PublicKey) int { return slices.Compare(a[:], b[:]) })
	return r, c.lost[r]
}

// heal takes back into c's roster the participants that answered v that
// they take part, that it lacks and whom crdt lets call (but a lost host
// that still says it hosts: everyone who lost it dropped it; rejoin
// unmarks one that more than half still use), and starts
// media with them in a mesh; it returns those it took (mu held).
func (m *Manager) heal(c *call, v hostVotes) []crdt.PublicKey {
	var healed []crdt.PublicKey
	for _, k := range v.took {
		if c.roster[k] || k == m.cfg.Self || c.lost[k] && v.hosting[k] || !m.cfg.Members.MayCall(c.cid, c.gid, k) {
			continue // a lost host that still hosts stays out, as everyone who lost it left it
		}
		m.cfg.Log.Info("call participant answers again; back in the roster", "peer", m.cfg.PeerID(k))
		m.addPeer(c, k)
		healed = append(healed, k)
		if !c.sfu {
			if err := c.media.Connect(m.cfg.PeerID(k)); err != nil {
				m.cfg.Log.Debug("connect call media", "err", err)
			}
		}
	}
	if len(healed) > 0 {
		m.tellRoster(c)
	}
	return healed
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
