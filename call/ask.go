package call

import (
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// A node not in a call knows who takes part only from its ring, which
// ages as people join and leave, or not at all (it started after the
// ring). So when it lists an active call it is not in, it asks a
// participant (TypeRoster) in the background, at most every AskEvery per
// call, and shows the answer as the call's participants.

// heard is what a node not in a call last heard of its participants.
type heard struct {
	asked  time.Time        // when this node last asked
	asking bool             // an ask runs
	ok     bool             // a participant answered: roster holds
	roster []crdt.PublicKey // its answer, itself included
}

// hear shows in a what a participant said of call a of cid (c: as this
// node knows it, nil if it does not) when this node is not in it, and
// asks again if the answer is older than AskEvery (mu held).
func (m *Manager) hear(cid crdt.ID, c *call, a *api.Call) {
	if !a.Active || a.Joined || c != nil && (c.joined || c.ended) || !m.cfg.Members.MayCall(cid, a.Group, m.cfg.Self) {
		return
	}
	key := callKey{cid, a.ID}
	h := m.heard[key]
	if h == nil {
		if len(m.heard) >= MaxCalls {
			return
		}
		h = &heard{}
		m.heard[key] = h
	}
	if h.ok {
		a.Participants = []string{}
		for _, k := range h.roster {
			a.Participants = append(a.Participants, m.cfg.PeerID(k))
		}
	}
	now := m.cfg.Now()
	if h.asking || !h.asked.IsZero() && now.Sub(h.asked) < AskEvery {
		return
	}
	h.asked, h.asking = now, true
	// Those most likely in the call first: who a participant named, the
	// ring's roster, the caller (its record).
	var first []crdt.PublicKey
	first = append(first, h.roster...)
	if c != nil {
		first = append(first, c.caller)
		first = append(first, c.others()...)
	}
	gid, id := a.Group, a.ID
	m.spawn(func() { m.ask(cid, gid, id, first) })
}

// ask asks up to MaxPoll members, those of first then the group's members
// this node reaches, who takes part in call id, until one that takes
// part answers; it keeps that answer for hear. It runs without locks.
func (m *Manager) ask(cid, gid, id crdt.ID, first []crdt.PublicKey) {
	if r, ok := m.cfg.Recorder.Lookup(cid, id); ok {
		first = append(first, r.Caller)
	}
	first = append(first, m.cfg.Members.Online(cid, gid)...)
	msg := &Message{Type: TypeRoster, Community: cid[:], Call: id[:]}
	var roster []crdt.PublicKey
	found := false
	tried := map[crdt.PublicKey]bool{m.cfg.Self: true}
	for _, k := range first {
		if tried[k] || len(tried) > MaxPoll || m.ctx.Err() != nil {
			continue
		}
		tried[k] = true
		r, err := m.send(k, msg)
		if err != nil || !slices.ContainsFunc(r.Roster, func(b []byte) bool { return crdt.PublicKey(b) == k }) {
			continue // k is not in the call
		}
		found = true
		seen := map[crdt.PublicKey]bool{}
		for _, b := range r.Roster {
			if p := crdt.PublicKey(b); p != m.cfg.Self && !seen[p] && m.cfg.Members.MayCall(cid, gid, p) {
				seen[p] = true
				roster = append(roster, p)
			}
		}
		break
	}
	m.mu.Lock()
	changed := false
	if h := m.heard[callKey{cid, id}]; h != nil {
		h.asking = false
		if found && (!h.ok || !slices.Equal(h.roster, roster)) {
			h.ok, h.roster, changed = true, roster, true
		}
	}
	m.mu.Unlock()
	if changed {
		m.changed(cid)
	}
}

// forget drops what was heard of community cid's calls that are no
// longer listed active, or that this node is in (mu held).
func (m *Manager) forget(cid crdt.ID, calls []api.Call) {
	live := map[crdt.ID]bool{}
	for _, a := range calls {
		if a.Active && !a.Joined {
			live[a.ID] = true
		}
	}
	for key := range m.heard {
		if key.cid == cid && !live[key.id] {
			delete(m.heard, key)
		}
	}
}
