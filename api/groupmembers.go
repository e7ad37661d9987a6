package api

import "github.com/umbrella-p2p/umbrella/crdt"

// FillGroupPermits sets what self may do to member m, whose key is k, in
// group gid of the community whose control state is st, at self's clock
// now (unix milliseconds): CanRemoveFromGroup and CanAddToGroup.
func (m *Member) FillGroupPermits(st *crdt.State, self, k crdt.PublicKey, gid crdt.ID, now int64) {
	m.CanRemoveFromGroup = st.Permits(self, crdt.Action{Kind: crdt.KindGroupRemove, Group: gid, Member: k})
	m.CanAddToGroup = st.Permits(self, crdt.Action{Kind: crdt.KindGroupAdd, Group: gid, Member: k, Time: now})
}
