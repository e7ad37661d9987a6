package api

import "github.com/umbrella-p2p/umbrella/crdt"

// The capability flags are crdt's verdicts, never rules of their own: each
// is one permission query (crdt.State.Permits) on the community's current
// control state. The node fills them with these methods, and so does any
// fake backend, so what the app offers cannot drift from what the
// community accepts.

// FillPermits sets what self may do in the community whose control state
// is st: CanInvite, CanEditSettings, CanDecideJoins, CanCreateGroups,
// CreateSuggests, CanEditGroups, CanOrderGroups, CanSetIcon, CanSeeAudit,
// CanMessagePrivately, CanManageRelays and CanAddMembers.
func (c *Community) FillPermits(st *crdt.State, self crdt.PublicKey) {
	may := func(a crdt.Action) bool { return st.Permits(self, a) }
	c.CanInvite = may(crdt.Action{Kind: crdt.KindInvite})
	c.CanEditSettings = may(crdt.Action{Kind: crdt.KindSettings})
	c.CanDecideJoins = may(crdt.Action{Kind: crdt.KindDecide})
	c.CanCreateGroups = may(crdt.Action{Kind: crdt.KindGroupCreate})
	c.CreateSuggests = c.CanCreateGroups && st.Suggests(self)
	// Any group will do; the announcement group is always there.
	c.CanEditGroups = may(crdt.Action{Kind: crdt.KindGroupUpdate, Group: st.Community})
	c.CanOrderGroups = may(crdt.Action{Kind: crdt.KindGroupOrder})
	c.CanSetIcon = may(crdt.Action{Kind: crdt.KindIcon})
	c.CanSeeAudit = c.CanEditSettings
	c.CanMessagePrivately = may(crdt.Action{Kind: crdt.KindGroupCreate, Policy: crdt.PolicyPrivate})
	c.CanManageRelays = may(crdt.Action{Kind: crdt.KindRelay})
	c.TeamPermits.fill(st, self)
	c.CanAddMembers = may(crdt.Action{Kind: crdt.KindAdd})
}

// FillPermits sets what self may do in group g.ID of the community whose
// control state is st: CanPost, CanCall, CanReact, CanPin, CanModerate, CanEdit,
// CanApprove, CanDecideJoins, CanJoinDirectly, CanAskToJoin and
// CanAddMembers.
func (g *Group) FillPermits(st *crdt.State, self crdt.PublicKey) {
	may := func(k crdt.Kind, others bool) bool {
		return st.Permits(self, crdt.Action{Kind: k, Group: g.ID, Others: others})
	}
	g.CanPost = may(crdt.KindMessage, false)
	g.CanCall = st.MayCall(self, g.ID)
	g.CanReact = may(crdt.KindReaction, true)
	g.CanPin = may(crdt.KindPin, true)
	g.CanModerate = may(crdt.KindDelete, true) && may(crdt.KindPollClose, true)
	g.CanEdit = may(crdt.KindGroupUpdate, false)
	g.CanApprove = st.Permits(self, crdt.Action{Kind: crdt.KindGroupUpdate, Group: g.ID, Approve: true})
	g.CanDecideJoins = may(crdt.KindGroupDecide, false)
	canJoin := may(crdt.KindGroupJoin, false)
	direct := st.JoinsDirectly(self, g.ID)
	g.CanJoinDirectly = canJoin && direct
	g.CanAskToJoin = canJoin && !direct
	g.GroupTeamPermits.fill(st, self, g.ID)
	g.CanAddMembers = st.Permits(self, crdt.Action{Kind: crdt.KindGroupAdd, Group: g.ID})
}

// grantable are the roles that may be given, lowest first.
var grantable = []crdt.Role{crdt.RoleMember, crdt.RoleAdmin, crdt.RoleOwner}

// FillPermits sets what self may do to member m, whose key is k, in the
// community whose control state is st: CanRemove, Grantable and
// CanMessage.
func (m *Member) FillPermits(st *crdt.State, self, k crdt.PublicKey) {
	m.CanRemove = st.Permits(self, crdt.Action{Kind: crdt.KindRemove, Member: k})
	m.CanMessage = st.Permits(self, crdt.Action{Kind: crdt.KindGroupCreate, Policy: crdt.PolicyPrivate, With: []crdt.PublicKey{k}})
	m.Grantable = nil
	for _, r := range grantable {
		if st.Permits(self, crdt.Action{Kind: crdt.KindRole, Member: k, Role: r}) {
			m.Grantable = append(m.Grantable, r.String())
		}
	}
}
