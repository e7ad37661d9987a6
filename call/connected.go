package call

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// # Who is connected to a relay's SFU
//
// A relay hosting a call's SFU cannot read roles, so it lets media flow
// only between participants who named each other, and tells each
// participant who is connected (a Roster message with a roster, from the
// relay: hostserver.go). This node judges every key of that list with
// crdt: one that may not take part in the call (a member removed, or one
// who left the group) is reported to the relay with a Remove, as a
// removal is, logged and listed in Status; the reply is this node's
// roster, which the relay takes as from a Roster message. The list is
// judged again when the community's state changes (Recheck).

// fromRelayHost reports whether msg is c's relay host's word on who is
// connected to c's SFU (mu held).
func (m *Manager) fromRelayHost(c *call, from crdt.PublicKey, msg *Message) bool {
	host, relay := c.relayHost(m.cfg.Self)
	return msg.Type == TypeRoster && len(msg.Roster) > 0 && c.joined && relay && host == from
}

// connectedToHost takes the relay host's list of who is connected to c's
// SFU, reports whom crdt does not let take part and answers with this
// node's roster (mu held); it reports whether it reported someone new.
func (m *Manager) connectedToHost(c *call, keys [][]byte) (*Reply, bool) {
	c.connected = c.connected[:0]
	for _, b := range keys {
		c.connected = append(c.connected, crdt.PublicKey(b))
	}
	return m.describe(c), m.judgeConnected(c)
}

// judgeConnected reports to c's relay host each key it said is connected
// to c's SFU that may not take part in c (mu held); it reports whether
// one of them was not reported before.
func (m *Manager) judgeConnected(c *call) bool {
	host, relay := c.relayHost(m.cfg.Self)
	if !relay || !c.joined {
		return false
	}
	fresh := false
	for _, k := range c.connected {
		if k == m.cfg.Self || m.cfg.Members.MayCall(c.cid, c.gid, k) {
			continue
		}
		if !c.reported[k] && len(c.reported) < MaxParticipants {
			if c.reported == nil {
				c.reported = map[crdt.PublicKey]bool{}
			}
			c.reported[k] = true
			fresh = true
			m.cfg.Log.Warn("someone who may not take part in the call is connected to its SFU on the relay; reported to the relay",
				"peer", m.cfg.PeerID(k), "relay", m.cfg.PeerID(host), "call", fmt.Sprintf("%x", c.id[:8]))
		}
		msg := c.message(TypeRemove)
		msg.Peer = k[:]
		m.enqueue(host, msg)
	}
	return fresh
}

// reportedOf lists whom this node reported to c's relay host, by peer id
// (mu held).
func (m *Manager) reportedOf(c *call) []api.CallReport {
	var out []api.CallReport
	for k := range c.reported {
		p := m.cfg.PeerID(k)
		out = append(out, api.CallReport{PeerID: p, Name: m.cfg.Members.Name(c.cid, k),
			Reason: fmt.Sprintf("%s is connected to the call's SFU on the relay %s but may not take part in the call (not a member of its group); reported to the relay, which drops it when more than half of the participants did",
				p, m.cfg.PeerID(c.host))})
	}
	slices.SortFunc(out, func(a, b api.CallReport) int { return cmp.Compare(a.PeerID, b.PeerID) })
	return out
}
