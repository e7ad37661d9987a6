package crdt

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// Member is one member of a community as the control log says.
type Member struct {
	Key    PublicKey
	Name   string
	Role   Role
	Since  ID       // the op that admitted them (genesis, join, approval or add)
	RoleBy ID       // the op that gave them their current role
	Joined int64    // the admitting op's clock, unix milliseconds; shown only
	Photo  *Picture // the profile photo of their last photo op; nil: none

	own *owner // the state that may change it in place (cow.go)
}

// Request is a pending request to join the community (join policy
// "approval") or a group (policy PolicyApproval).
type Request struct {
	Key  PublicKey
	Name string
	Op   ID
	Time int64
}

// Group is a group of a community. The announcement group's id is the
// community id; other groups are named by the op that created them.
type Group struct {
	ID           ID
	Name         string
	Description  string
	Announcement bool
	Policy       GroupPolicy
	Archived     bool
	Suggested    bool // created by a member where only admins create groups; an admin approves it
	Creator      PublicKey
	// Members holds the explicit members of open and approval groups, each
	// with the op that let them in. Announcement and PolicyEveryone groups
	// contain every community member and keep this empty.
	Members  map[PublicKey]ID
	Requests map[PublicKey]*Request
	// Participants, for a private conversation (PolicyPrivate), are
	// everyone its creator put in it, the creator included, sorted; it
	// never changes. Members holds those of them still in it.
	Participants []PublicKey
	// QA: the group is a Q&A group (qa.go).
	QA bool
	// Left holds, for those who left the group, the clock of their last
	// group.leave (unix milliseconds), which the no-add-loop rule reads
	// (groupmembers.go). Copied on write: states share it.
	Left map[PublicKey]int64

	own *owner // the state that may change it in place (cow.go)
}

// Private reports whether the group is a private conversation.
func (g *Group) Private() bool { return g.Policy == PolicyPrivate }

// Closed reports whether g is a private conversation that takes no new
// content: fewer than two of its participants are still in it (in a
// one-to-one, the other side was removed, left the community or left the
// conversation). What was said stays readable.
func (g *Group) Closed() bool { return g.Private() && len(g.Members) < 2 }

// Everyone reports whether every community member is in the group.
func (g *Group) Everyone() bool { return g.Announcement || g.Policy == PolicyEveryone }

// Has reports whether community member k is in the group. A progress
// log's readers follow the roles and are not in Members: ask
// State.MayRead.
func (g *Group) Has(k PublicKey) bool {
	if g.Everyone() {
		return true
	}
	_, ok := g.Members[k]
	return ok
}

// Invite is an invite capability recorded in the control log.
type Invite struct {
	ID      ID
	By      PublicKey
	Body    InviteBody
	Uses    uint32
	Revoked bool
	// Lapsed: its maker lost the rank that made it (was removed, demoted
	// below Need, or left). A lapsed invite admits no one, for good, even
	// if its maker regains the rank; joins through it that its maker's
	// loss did not see fall (strong removal, see resolve.go).
	Lapsed bool
	// Ended is the op that revoked the invite or made it lapse (the first
	// one replayed), and EndedBy its author; zero while it stands.
	Ended   ID
	EndedBy PublicKey
	// WrapKEM and WrapKey are the key its joiners' epoch secrets are
	// wrapped to (the first invite-keys op's; nil without one), and
	// Approval whether its keys op says the community admits by approval
	// (invitekeys.go). WrapKey is never mutated.
	WrapKEM  uint16
	WrapKey  []byte
	Approval bool

	own *owner // the state that may change it in place (cow.go)
}

// end records that op o revoked inv or made it lapse.
func (inv *Invite) end(o *Op) {
	if inv.Ended.IsZero() {
		inv.Ended, inv.EndedBy = o.ID(), o.Author
	}
}

// Need is the rank an invite's maker must hold for the invite to admit:
// an admin's, or the rank it grants if that is higher.
func (i *Invite) Need() Role { return max(RoleAdmin, i.Body.Role) }

// lapse marks the invites made by k lapsed when k is left with role.
func (s *State) lapse(k PublicKey, role Role, by *Op) {
	for id, inv := range s.Invites {
		if inv.By == k && role < inv.Need() {
			inv = s.ownInvite(id)
			inv.Lapsed = true
			inv.end(by)
		}
	}
}

// noteUndone records, when join op o could not take effect because its
// invite was revoked or lapsed concurrently, or the invite itself fell
// (its maker lost the rank to invite while making it), that o's author —
// admitted by a member who had not seen that yet — went (Departure.Join),
// so a member serves it what undid its join.
func (s *State) noteUndone(o *Op, body any, get func(ID) *Op) {
	b, ok := body.(*JoinBody)
	if !ok || s.Role(o.Author) != RoleNone {
		return
	}
	invID := idOf(b.Invite)
	inv := s.Invites[invID]
	var by *Op
	var u *undoneError
	switch invOp := get(invID); {
	case inv != nil && !inv.Ended.IsZero():
		by = get(inv.Ended)
	case inv != nil || invOp == nil || s.Rejected[invID] == nil:
	case errors.As(s.Rejected[invID], &u):
		by = u.by // the invite was struck by its maker's loss
	case s.Departed[invOp.Author] != nil:
		by = get(s.Departed[invOp.Author].Op) // its maker went first in the order
	case s.Members[invOp.Author] != nil && s.Members[invOp.Author].Role < RoleAdmin:
		by = get(s.Members[invOp.Author].RoleBy) // its maker was demoted first in the order
	}
	if by != nil {
		s.undo(o, by)
	}
}

// undo records that join op o, which took effect on the replica of the
// member who admitted it, was undone by op by: its author went
// (Departure.Join). It was handed the current epochs of what a member
// reads — the control log and the every-member groups — while it counted
// as admitted, so those epochs are exposed and the logs renewed.
func (s *State) undo(o, by *Op) {
	s.Departed[o.Author] = &Departure{Op: by.ID(), By: by.Author, Join: o.ID()}
	for log, e := range s.Current {
		if g := s.Groups[log]; log.IsZero() || g != nil && g.Everyone() {
			s.Exposed[e.ID] = true
		}
	}
}

// AuditEntry is one admin action, for the audit view.
type AuditEntry struct {
	Op     ID
	Kind   Kind
	Actor  PublicKey
	Target PublicKey // the member acted on, if any
	Object ID        // the group, invite or message acted on, if any
	Detail string    // the details below in words, e.g. the new role or group name
	Time   int64     // the actor's clock, unix milliseconds; shown only

	// The details, typed; which are set depends on Kind.
	Role       Role       // member.role, member.add: the role given
	Approved   bool       // join.decide, group.decide: approved (else denied)
	Name       string     // group.create, group.update: the group's name; settings: the community's
	JoinPolicy JoinPolicy // settings
	Expires    int64      // invite: when it stops working, unix seconds; 0 never
	MaxUses    uint32     // invite: how many it admits; 0 no limit
	Pinned     bool       // pin: pinned (else unpinned)
	FileLimit  int64      // settings: the largest file members share, bytes; 0 the protocol's MaxFileSize
	Addrs      []string   // relay: where to dial the relay (Target) added; none when it is taken off
}

// Departure records how a former member left the community: removed by
// an admin or owner, or of its own accord.
//
// A join that took effect and was undone later — its invite was revoked,
// or its maker lost the rank to invite, concurrently — also leaves a
// Departure: Join is the join undone, and Op and By the op that undid it
// and its author. The joiner learns of it as a removed member does.
type Departure struct {
	Op   ID        // the removal or leave op that took effect, or the op that undid Join
	By   PublicKey // who removed them; their own key when they left
	Time int64     // the op's clock, unix milliseconds; a leave's also bounds a direct re-add (ErrLeftCommunityRecently)
	Join ID        // for a join undone, that join; zero otherwise
}

// State is a community's control state after replaying some set of control
// ops. It is a value: Apply mutates it, Clone copies it. A clone shares
// its members, groups and invites with the original until either changes
// one (cow.go): change them only through ownMember, ownGroup and
// ownInvite.
type State struct {
	Community           ID
	Name                string
	Description         string
	JoinPolicy          JoinPolicy
	MembersCreateGroups bool
	HideHistory         bool // new members are not shown earlier messages (SettingsBody.HideHistory)
	PrivateToAdminsOnly bool // members start private conversations only with admins (SettingsBody.PrivateToAdminsOnly)

	// FileSizeLimit is the admins' bound on shared files, 0 for none but
	// MaxFileSize (SettingsBody.MaxFileSize; see FileLimit).
	FileSizeLimit int64

	// Privates counts the private conversations in Groups.
	Privates    int
	Deactivated bool
	Icon        *Picture // the icon of the last icon op; nil: none
	Members     map[PublicKey]*Member
	Requests    map[PublicKey]*Request
	Groups      map[ID]*Group
	Invites     map[ID]*Invite
	// GroupOrder is the order of the last group.order replayed (see
	// SortedGroups); it may name groups that no longer matter.
	GroupOrder []ID
	// Steps is the community's first steps, nil until set; Progress names
	// each member's progress log; Invited says who brought each member in
	// (steps.go).
	Steps    *Steps
	Progress map[PublicKey]ID
	Invited  map[PublicKey]Invitation
	// Names keeps the last display name of everyone who was ever a member
	// or asked to join, so the posts of people who left keep a name.
	Names map[PublicKey]string
	// Departed holds, for everyone who was a member and is not one now,
	// the op by which they went (the last, if they went more than once).
	// A member who comes back is taken out of it.
	Departed map[PublicKey]*Departure
	// Rejected lists ops that were in the replayed set but whose effect was
	// refused at their place in the deterministic order, with the reason.
	Rejected map[ID]error
	// Audit lists the admin actions that took effect, in replay order.
	Audit []AuditEntry
	// Prekeys holds each member's newest prekey.
	Prekeys map[PublicKey]*Prekey
	// Epochs holds every epoch seen, complete or not; Current each log's
	// newest complete epoch (the zero id is the control log's); EpochOrder
	// the complete epochs in replay order. Epoch values are shared between
	// states and never mutated.
	Epochs     map[EpochID]*Epoch
	Current    map[ID]*Epoch
	EpochOrder []EpochID
	// Exposed holds the epochs that a member who has since gone may hold
	// (see expose): a log whose current epoch is exposed is Stale.
	Exposed map[EpochID]bool
	// Relays holds the relays registered with the community (relay.go);
	// nil when there are none. Values are shared between states.
	Relays map[PublicKey]*Relay
	// AdminsCelebrate: only admins celebrate wins (team.settings, wins.go).
	AdminsCelebrate bool

	// proofs caches join proof verdicts by join op id, shared by every
	// state of one community: a proof's validity depends on that op alone.
	proofs map[ID]bool
	// own marks the records this state may change in place (cow.go).
	own *owner
}

func newState() *State {
	return &State{
		own:      &owner{},
		Members:  map[PublicKey]*Member{},
		Requests: map[PublicKey]*Request{},
		Groups:   map[ID]*Group{},
		Invites:  map[ID]*Invite{},
		Names:    map[PublicKey]string{},
		Departed: map[PublicKey]*Departure{},
		Rejected: map[ID]error{},
		Prekeys:  map[PublicKey]*Prekey{},
		Epochs:   map[EpochID]*Epoch{},
		Current:  map[ID]*Epoch{},
		Exposed:  map[EpochID]bool{},
	}
}

// Clone returns a copy of s that changes independently of it. It copies
// the maps and shares the records (members, groups, invites) they hold:
// from now on, s and the copy each copy a record before changing it
// (cow.go).
func (s *State) Clone() *State {
	c := *s
	s.own, c.own = &owner{}, &owner{}
	c.Members = maps.Clone(s.Members)
	c.Requests = maps.Clone(s.Requests)
	c.Groups = maps.Clone(s.Groups)
	c.Invites = maps.Clone(s.Invites)
	c.Rejected = maps.Clone(s.Rejected)
	c.Names = maps.Clone(s.Names)
	c.Departed = maps.Clone(s.Departed) // values are never mutated
	c.Audit = append([]AuditEntry(nil), s.Audit...)
	c.Prekeys = maps.Clone(s.Prekeys)
	c.Epochs = maps.Clone(s.Epochs)
	c.Current = maps.Clone(s.Current)
	c.EpochOrder = slices.Clone(s.EpochOrder)
	c.GroupOrder = slices.Clone(s.GroupOrder)
	c.Progress, c.Invited = maps.Clone(s.Progress), maps.Clone(s.Invited)
	c.Exposed = maps.Clone(s.Exposed)
	c.Relays = cloneRelays(s.Relays)
	return &c
}

// Role returns k's role, RoleNone for a non-member.
func (s *State) Role(k PublicKey) Role {
	if m, ok := s.Members[k]; ok {
		return m.Role
	}
	return RoleNone
}

// Owners counts the owners.
func (s *State) Owners() int {
	n := 0
	for _, m := range s.Members {
		if m.Role == RoleOwner {
			n++
		}
	}
	return n
}

// Apply checks that control op o is permitted in state s and, if so, applies
// it. Errors wrap ErrUnauthorized, ErrInvalid or ErrMalformed; on error s is
// unchanged.
func (s *State) Apply(o *Op) error {
	body, err := DecodeBody(o)
	if err != nil {
		return err
	}
	if o.Kind == KindGenesis {
		return s.genesis(o, body.(*GenesisBody))
	}
	if _, err := s.check(o, body, s.Role(o.Author)); err != nil {
		return err
	}
	s.mutate(o, body)
	return nil
}

func (s *State) genesis(o *Op, b *GenesisBody) error {
	if s.Community != ZeroID {
		return fmt.Errorf("%w: second genesis", ErrInvalid)
	}
	s.Community = o.ID()
	s.Name, s.Description = b.Name, b.Description
	s.Members[o.Author] = &Member{Key: o.Author, Role: RoleOwner, Since: o.ID(), RoleBy: o.ID(), Joined: b.Time, own: s.own}
	s.Groups[o.ID()] = &Group{ID: o.ID(), Name: "Announcements", Announcement: true, Creator: o.Author, own: s.own}
	return nil
}

func keyOf(b []byte) PublicKey {
	var k PublicKey
	copy(k[:], b)
	return k
}

func idOf(b []byte) ID {
	var id ID
	copy(id[:], b)
	return id
}

func unauthorized(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrUnauthorized}, a...)...)
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, a...)...)
}

// check judges control op o (not genesis) against s, taking the author's
// role to be role. It returns the lowest rank o needs, which strong removal
// compares with what a concurrent removal or demotion left the author.
func (s *State) check(o *Op, body any, role Role) (Role, error) {
	if s.Community == ZeroID || o.Community != s.Community {
		return 0, invalid("op of community %s applied to %s", o.Community.Short(), s.Community.Short())
	}
	if s.Deactivated {
		return 0, invalid("the community was deactivated")
	}
	need := func(r Role, what string) (Role, error) {
		if role < r {
			if role == RoleNone {
				return r, unauthorized("not a member may not %s", what)
			}
			return r, unauthorized("a %s may not %s", role, what)
		}
		return r, nil
	}
	if need, err, ok := s.checkGroupMembers(o, body, role); ok {
		return need, err
	}
	switch b := body.(type) {
	case *InviteBody:
		return need(RoleAdmin, "create invites")
	case *JoinBody:
		return RoleNone, s.checkJoin(o, b, role)
	case *ProfileBody:
		return need(RoleMember, "set a profile")
	case *PhotoBody:
		return need(RoleMember, "set a profile photo")
	case *IconBody:
		return need(RoleAdmin, "set the community's icon")
	case *PrekeyBody:
		return need(RoleMember, "publish a prekey")
	case *RekeyBody:
		return s.checkRekey(o, b, role)
	case *RelayBody:
		return s.checkRelay(b, role)
	case *InviteKeysBody:
		return s.checkInviteKeys(o, b, role)
	case *GroupCreateBody:
		if b.Policy == PolicyPrivate {
			return s.checkPrivate(o, b, role)
		}
		if len(s.Groups)-s.Privates-len(s.Progress) >= MaxGroups {
			return RoleMember, invalid("the community already has %d groups", MaxGroups)
		}
		return need(RoleMember, "create groups")
	case *SettingsBody:
		return need(RoleAdmin, "change community settings")
	case *DeactivateBody:
		return need(RoleOwner, "deactivate the community")
	case *DecideBody:
		if _, ok := s.Requests[keyOf(b.Member)]; !ok {
			return RoleAdmin, invalid("no pending join request from %s", s.who(keyOf(b.Member)))
		}
		return need(RoleAdmin, "decide join requests")
	case *AddBody:
		k := keyOf(b.Member)
		if s.Role(k) != RoleNone {
			return RoleAdmin, invalid("%s is already a member", s.who(k))
		}
		if d := s.Departed[k]; d != nil && d.By == k && b.Time < d.Time+GroupRejoinWait && s.Requests[k] == nil {
			return RoleAdmin, fmt.Errorf("%w: %s %w; they may join again with a link", ErrInvalid, s.who(k), ErrLeftCommunityRecently)
		}
		if b.Role > role {
			return max(RoleAdmin, b.Role), unauthorized("a %s may not grant %s", role, b.Role)
		}
		return need(max(RoleAdmin, b.Role), "add members")
	case *RemoveBody:
		t := s.Role(keyOf(b.Member))
		if t == RoleNone {
			return RoleAdmin, invalid("%s is not a member", s.who(keyOf(b.Member)))
		}
		if t == RoleOwner {
			return RoleOwner, unauthorized("nobody may remove an owner")
		}
		return need(max(RoleAdmin, t), "remove a "+t.String())
	case *LeaveBody:
		if role == RoleOwner && s.Owners() == 1 {
			return RoleMember, invalid("the last owner may not leave; make another member owner first")
		}
		return need(RoleMember, "leave")
	case *RoleBody:
		t := s.Role(keyOf(b.Member))
		switch {
		case t == RoleNone:
			return RoleAdmin, invalid("%s is not a member", s.who(keyOf(b.Member)))
		case t == RoleOwner:
			return RoleOwner, unauthorized("nobody may change an owner's role")
		case b.Role == t:
			return RoleAdmin, invalid("%s is already %s", s.who(keyOf(b.Member)), t)
		case b.Role > role:
			return max(RoleAdmin, b.Role), unauthorized("a %s may not grant %s", role, b.Role)
		}
		return need(max(RoleAdmin, t, b.Role), "change a "+t.String()+"'s role")
	case *InviteRevokeBody:
		inv, ok := s.Invites[idOf(b.Invite)]
		if !ok {
			return RoleAdmin, invalid("invite %x does not exist", b.Invite[:4])
		}
		if inv.Revoked {
			return RoleAdmin, invalid("invite %x is already revoked", b.Invite[:4])
		}
		return need(RoleAdmin, "revoke invites")
	case *GroupUpdateBody:
		g, ok := s.Groups[idOf(b.Group)]
		if !ok {
			return RoleAdmin, invalid("group %x does not exist", b.Group[:4])
		}
		if g.Private() || b.Policy == PolicyPrivate {
			return RoleAdmin, invalid("a private conversation is made by its creator and changed by nobody")
		}
		if g.Progress() {
			return RoleAdmin, invalid("a progress log is changed by nobody")
		}
		if g.Announcement && (b.Archived || b.Policy != PolicyOpen || b.Approve) {
			return RoleAdmin, invalid("the announcement group can only be renamed and described")
		}
		if b.Approve && !g.Suggested {
			return RoleAdmin, invalid("group %q is not a suggestion", g.Name)
		}
		return need(RoleAdmin, "change groups")
	case *GroupOrderBody:
		if err := s.checkGroupOrder(b); err != nil {
			return RoleAdmin, err
		}
		return need(RoleAdmin, "order groups")
	case *StepsBody:
		if err := s.checkSteps(b); err != nil {
			return RoleAdmin, err
		}
		return need(RoleAdmin, "set the first steps")
	case *ProgressBody:
		if role != RoleNone {
			if err := s.checkProgress(o); err != nil {
				return RoleMember, err
			}
		}
		return need(RoleMember, "keep first steps")
	case *GroupJoinBody:
		g, ok := s.Groups[idOf(b.Group)]
		switch {
		case !ok:
			return RoleMember, invalid("group %x does not exist", b.Group[:4])
		case g.Everyone():
			return RoleMember, invalid("every member is in group %q", g.Name)
		case g.Private():
			return RoleMember, invalid("nobody joins a private conversation; its creator chose who is in it")
		case g.Progress():
			return RoleMember, invalid("nobody joins a progress log; its readers are its member and the admins")
		case g.Archived || g.Suggested:
			return RoleMember, invalid("group %q is not open for joining", g.Name)
		case g.Has(o.Author):
			return RoleMember, invalid("already in group %q", g.Name)
		case g.Requests[o.Author] != nil:
			return RoleMember, invalid("already asked to join group %q", g.Name)
		case g.Policy == PolicyApproval && role >= RoleAdmin:
			// Joining at once, not asking, needs the rank: a
			// concurrent demotion or removal strikes it (see
			// resolve.go).
			return RoleAdmin, nil
		}
		return need(RoleMember, "join groups")
	case *GroupLeaveBody:
		g, ok := s.Groups[idOf(b.Group)]
		switch {
		case !ok:
			return RoleMember, invalid("group %x does not exist", b.Group[:4])
		case g.Everyone():
			return RoleMember, invalid("nobody leaves group %q; mute it instead", g.Name)
		case g.Progress():
			return RoleMember, invalid("nobody leaves a progress log; its readers follow the roles")
		case !g.Has(o.Author):
			return RoleMember, invalid("not in group %q", g.Name)
		}
		return need(RoleMember, "leave groups")
	case *GroupDecideBody:
		g, ok := s.Groups[idOf(b.Group)]
		if !ok {
			return RoleAdmin, invalid("group %x does not exist", b.Group[:4])
		}
		if g.Requests[keyOf(b.Member)] == nil {
			return RoleAdmin, invalid("no pending request from %s to join %q", s.who(keyOf(b.Member)), g.Name)
		}
		if s.Role(keyOf(b.Member)) == RoleNone {
			return RoleAdmin, invalid("%s is not a member", s.who(keyOf(b.Member)))
		}
		return need(RoleAdmin, "decide group requests")
	}
	if r, ok, err := s.checkTeam(body, role); ok {
		return r, err
	}
	return 0, invalid("%s is not a control op", o.Kind)
}

func (s *State) proofOK(o *Op, inv *Invite, b *JoinBody) bool {
	if ok, seen := s.proofs[o.ID()]; seen {
		return ok
	}
	ok := ed25519.Verify(inv.Body.Key, JoinProofMessage(s.Community, inv.ID, o.Author), b.Proof)
	if s.proofs != nil {
		s.proofs[o.ID()] = ok
	}
	return ok
}

func (s *State) checkJoin(o *Op, b *JoinBody, role Role) error {
	invID := idOf(b.Invite)
	inv, ok := s.Invites[invID]
	switch {
	case !ok:
		return invalid("join cites invite %s, which is not in its causal past", invID.Short())
	case inv.Revoked:
		return unauthorized("invite %s was revoked", invID.Short())
	case inv.Lapsed:
		return unauthorized("the admin who made invite %s is no longer an admin", invID.Short())
	case role != RoleNone:
		return invalid("already a member")
	case s.Requests[o.Author] != nil:
		return invalid("already asked to join")
	case !s.proofOK(o, inv, b):
		return unauthorized("join proof does not verify with the invite key")
	case inv.Body.Expires != 0 && b.Time/1000 > inv.Body.Expires:
		return unauthorized("invite expired")
	case inv.Body.MaxUses != 0 && inv.Uses >= inv.Body.MaxUses:
		return unauthorized("invite used %d of %d times", inv.Uses, inv.Body.MaxUses)
	}
	return nil
}

// mutate applies control op o, which check accepted.
func (s *State) mutate(o *Op, body any) {
	id := o.ID()
	audit := func(e AuditEntry) {
		e.Op, e.Kind, e.Actor = id, o.Kind, o.Author
		s.Audit = append(s.Audit, e)
	}
	if s.mutateGroupMembers(o, body, audit) {
		return
	}
	switch b := body.(type) {
	case *InviteBody:
		s.Invites[id] = &Invite{ID: id, By: o.Author, Body: *b, own: s.own}
		audit(AuditEntry{Object: id, Detail: fmt.Sprintf("expires %d, max uses %d", b.Expires, b.MaxUses), Expires: b.Expires, MaxUses: b.MaxUses, Time: b.Time})
	case *JoinBody:
		inv := s.ownInvite(idOf(b.Invite))
		inv.Uses++
		s.Names[o.Author] = b.Name
		if s.JoinPolicy == JoinByApproval {
			s.Requests[o.Author] = &Request{Key: o.Author, Name: b.Name, Op: id, Time: b.Time}
			s.invitedBy(o.Author, Invitation{By: inv.By, Invite: inv.ID, Time: b.Time})
			return
		}
		s.Members[o.Author] = &Member{Key: o.Author, Name: b.Name, Role: inv.Body.Role, Since: id, RoleBy: id, Joined: b.Time, own: s.own}
		delete(s.Departed, o.Author)
		s.readmit(o.Author, Invitation{By: inv.By, Invite: inv.ID, Time: b.Time})
	case *ProfileBody:
		s.ownMember(o.Author).Name = b.Name
		s.Names[o.Author] = b.Name
	case *PhotoBody:
		s.ownMember(o.Author).Photo = picture(id, b.Image)
	case *IconBody:
		s.Icon = picture(id, b.Image)
		audit(AuditEntry{Time: b.Time})
	case *PrekeyBody:
		s.Prekeys[o.Author] = &Prekey{Op: id, KEM: b.KEM, Key: b.Key, Time: b.Time}
	case *RekeyBody:
		s.applyRekey(o, b)
	case *RelayBody:
		s.applyRelay(o, b)
	case *InviteKeysBody:
		s.applyInviteKeys(b)
	case *GroupCreateBody:
		g := &Group{ID: id, Name: b.Name, Description: b.Description, Policy: b.Policy, Creator: o.Author,
			Members: map[PublicKey]ID{}, Requests: map[PublicKey]*Request{}, own: s.own}
		if g.Private() {
			g.Participants = append(g.Participants, o.Author)
			for _, p := range b.Participants {
				g.Participants = append(g.Participants, keyOf(p))
			}
			slices.SortFunc(g.Participants, func(a, b PublicKey) int { return slices.Compare(a[:], b[:]) })
			for _, k := range g.Participants {
				g.Members[k] = id
			}
			s.Groups[id] = g
			s.Privates++
			return // not an admin action: nothing for the audit log
		}
		g.Suggested = s.Suggests(o.Author)
		if !g.Everyone() {
			g.Members[o.Author] = id
		}
		s.Groups[id] = g
		if !g.Suggested && s.Role(o.Author) >= RoleAdmin {
			audit(AuditEntry{Object: id, Detail: b.Name, Name: b.Name, Time: b.Time})
		}
	case *SettingsBody:
		s.Name, s.Description, s.JoinPolicy, s.MembersCreateGroups, s.HideHistory = b.Name, b.Description, b.JoinPolicy, b.MembersCreateGroups, b.HideHistory
		s.PrivateToAdminsOnly = b.PrivateToAdminsOnly
		s.FileSizeLimit = b.MaxFileSize
		audit(AuditEntry{Detail: fmt.Sprintf("name %q, join by %s", b.Name, b.JoinPolicy), Name: b.Name, JoinPolicy: b.JoinPolicy, FileLimit: b.MaxFileSize, Time: b.Time})
	case *DeactivateBody:
		s.Deactivated = true
		audit(AuditEntry{Time: b.Time})
	case *DecideBody:
		k := keyOf(b.Member)
		req := s.Requests[k]
		delete(s.Requests, k)
		if b.Approve {
			s.Members[k] = &Member{Key: k, Name: req.Name, Role: RoleMember, Since: id, RoleBy: id, Joined: b.Time, own: s.own}
			delete(s.Departed, k)
			s.readmit(k, Invitation{}) // recorded with the request
			audit(AuditEntry{Target: k, Detail: "approved", Approved: true, Time: b.Time})
		} else {
			audit(AuditEntry{Target: k, Detail: "denied", Time: b.Time})
		}
	case *AddBody:
		k := keyOf(b.Member)
		delete(s.Requests, k)
		s.Names[k] = b.Name
		s.Members[k] = &Member{Key: k, Name: b.Name, Role: b.Role, Since: id, RoleBy: id, Joined: b.Time, own: s.own}
		delete(s.Departed, k)
		s.readmit(k, Invitation{By: o.Author, Time: b.Time})
		audit(AuditEntry{Target: k, Detail: b.Role.String(), Role: b.Role, Time: b.Time})
	case *RemoveBody:
		k := keyOf(b.Member)
		s.expose(k, o.Author)
		s.removeMember(k)
		s.lapse(k, RoleNone, o)
		s.Departed[k] = &Departure{Op: id, By: o.Author, Time: b.Time}
		audit(AuditEntry{Target: k, Time: b.Time})
	case *LeaveBody:
		s.expose(o.Author, o.Author)
		s.removeMember(o.Author)
		s.lapse(o.Author, RoleNone, o)
		s.Departed[o.Author] = &Departure{Op: id, By: o.Author, Time: b.Time}
	case *RoleBody:
		k := keyOf(b.Member)
		m := s.ownMember(k)
		prev := m.Role
		m.Role, m.RoleBy = b.Role, id
		s.lapse(k, b.Role, o)
		s.progressRoles(k, prev, b.Role)
		audit(AuditEntry{Target: k, Detail: b.Role.String(), Role: b.Role, Time: b.Time})
	case *InviteRevokeBody:
		inv := s.ownInvite(idOf(b.Invite))
		inv.Revoked = true
		inv.end(o)
		audit(AuditEntry{Object: idOf(b.Invite), Time: b.Time})
	case *GroupUpdateBody:
		g := s.ownGroup(idOf(b.Group))
		g.Name, g.Description = b.Name, b.Description
		if !g.Announcement {
			if g.Policy != b.Policy && b.Policy == PolicyEveryone {
				clear(g.Members)
				clear(g.Requests)
			}
			g.Policy, g.Archived = b.Policy, b.Archived
		}
		if b.Approve {
			g.Suggested = false
		}
		audit(AuditEntry{Object: g.ID, Detail: b.Name, Name: b.Name, Time: b.Time})
	case *GroupOrderBody:
		s.applyGroupOrder(b)
		audit(AuditEntry{Time: b.Time})
	case *StepsBody:
		s.applySteps(o, b)
		audit(AuditEntry{Time: b.Time})
	case *ProgressBody:
		s.applyProgress(o)
	case *GroupJoinBody:
		s.groupJoin(o, b, s.JoinsDirectly(o.Author, idOf(b.Group)))
	case *GroupDecideBody:
		g := s.ownGroup(idOf(b.Group))
		k := keyOf(b.Member)
		delete(g.Requests, k)
		detail := "denied"
		if b.Approve {
			g.Members[k] = id
			detail = "approved"
		}
		audit(AuditEntry{Target: k, Object: g.ID, Detail: detail, Approved: b.Approve, Time: b.Time})
	default:
		s.mutateTeam(o, body)
	}
}

// checkPrivate judges the creation of a private conversation by o's
// author, whose role is role. Any member may start one with other members
// unless the settings say members may message only admins
// (PrivateToAdminsOnly); admins and owners may always, and a member may
// always start one whose other participants are all admins or owners.
func (s *State) checkPrivate(o *Op, b *GroupCreateBody, role Role) (Role, error) {
	if role == RoleNone {
		return RoleMember, unauthorized("not a member may not start private conversations")
	}
	if s.Privates >= MaxPrivates {
		return RoleMember, invalid("the community already has %d private conversations", MaxPrivates)
	}
	need := RoleMember
	for _, p := range b.Participants {
		k := keyOf(p)
		r := s.Role(k)
		switch {
		case k == o.Author:
			return RoleMember, invalid("the creator of a private conversation is in it already; name only the others")
		case r == RoleNone:
			return RoleMember, invalid("%s is not a member", s.who(k))
		case r < RoleAdmin && s.PrivateToAdminsOnly:
			need = RoleAdmin
		}
	}
	if role < need {
		return need, fmt.Errorf("%w: %w", ErrPrivateRestricted, ErrUnauthorized)
	}
	return need, nil
}

// ErrPrivateRestricted: the community's settings let members start private
// conversations only with admins and owners (it wraps ErrUnauthorized in
// a verdict).
var ErrPrivateRestricted = errors.New("members of this community may not message each other privately")

// checkPrivateContent judges content op o in private conversation g: a
// closed conversation takes nothing more, and nobody moderates one —
// participants act on their own messages and polls only, and nobody pins.
func checkPrivateContent(o *Op, g *Group, targetOp *Op) error {
	if g.Closed() {
		return invalid("the private conversation is closed: the other side is no longer in it")
	}
	switch o.Kind {
	case KindPin:
		return unauthorized("nobody pins messages in a private conversation")
	case KindDelete, KindPollClose:
		if targetOp != nil && targetOp.Author != o.Author {
			return unauthorized("nobody may %s in a private conversation", contentVerb(o.Kind, false))
		}
	}
	return nil
}

func (s *State) removeMember(k PublicKey) {
	delete(s.Members, k)
	delete(s.Requests, k)
	for id, g := range s.Groups {
		_, in := g.Members[k]
		_, asked := g.Requests[k]
		if in || asked {
			g = s.ownGroup(id)
			delete(g.Members, k)
			delete(g.Requests, k)
		}
	}
}

// CheckContent reports whether content op o is permitted by control state s
// (the state at o's deps) and returns the rank it needs; target is the body
// of the message or poll o acts on, if any (nil otherwise), and targetOp its
// op.
func (s *State) CheckContent(o *Op, body any, targetOp *Op, target any) (Role, error) {
	if s.Deactivated {
		return 0, invalid("the community was deactivated")
	}
	g, ok := s.Groups[o.Log]
	if !ok {
		return 0, invalid("group %s does not exist in the op's causal past", o.Log.Short())
	}
	role := s.Role(o.Author)
	if role == RoleNone {
		return RoleMember, unauthorized("author is not a member")
	}
	if !s.reads(g, o.Author) {
		if g.Private() { // it has no name to give
			return RoleMember, unauthorized("author is not in this private conversation")
		}
		return RoleMember, unauthorized("author is not in group %q", g.Name)
	}
	if g.Archived || g.Suggested {
		return RoleMember, invalid("group %q is read-only", g.Name)
	}
	if g.Private() {
		if err := checkPrivateContent(o, g, targetOp); err != nil {
			return RoleMember, err
		}
	}
	if err := s.checkTeamContent(o, body, g, role, targetOp, target); err != nil {
		return RoleMember, err
	}
	if g.Progress() || o.Kind == KindStep {
		if err := s.checkProgressContent(o, g, body); err != nil {
			return RoleMember, err
		}
	}
	need := contentNeed(o, body, g.Announcement, targetOp)
	if role < need {
		return need, unauthorized("a %s may not %s here", role, contentVerb(o.Kind, g.Announcement))
	}
	return need, checkTarget(o, body, targetOp, target)
}

// contentNeed is the rank content op o needs. In the announcement group only
// admins write; members may react and vote. Pins, and deleting or closing
// what someone else wrote, need an admin anywhere.
func contentNeed(o *Op, body any, announcement bool, targetOp *Op) Role {
	if r, ok := teamNeed(o, targetOp); ok {
		return r
	}
	if r, ok := callNeed(o, body, targetOp); ok {
		return r
	}
	switch o.Kind {
	case KindReaction, KindVote:
		return RoleMember
	case KindPin:
		return RoleAdmin
	case KindDelete, KindPollClose:
		if targetOp != nil && targetOp.Author != o.Author {
			return RoleAdmin
		}
	}
	if announcement {
		return RoleAdmin
	}
	return RoleMember
}

func contentVerb(k Kind, announcement bool) string {
	if v := teamVerb(k); v != "" {
		return v
	}
	switch k {
	case KindPin:
		return "pin messages"
	case KindDelete:
		return "delete others' messages"
	case KindPollClose:
		return "close others' polls"
	case KindCall:
		return "end others' calls"
	}
	if announcement {
		return "post announcements"
	}
	return "post"
}

// contentTarget returns the id a content op acts on, if any.
func contentTarget(body any) (ID, bool) {
	switch b := body.(type) {
	case *MessageBody:
		if len(b.ReplyTo) > 0 {
			return idOf(b.ReplyTo), true
		}
	case *EditBody:
		return idOf(b.Target), true
	case *DeleteBody:
		return idOf(b.Target), true
	case *ReactionBody:
		return idOf(b.Target), true
	case *VoteBody:
		return idOf(b.Poll), true
	case *PollCloseBody:
		return idOf(b.Poll), true
	case *PinBody:
		return idOf(b.Target), true
	case *CallBody:
		if b.Action == CallEnd {
			return idOf(b.Target), true
		}
	}
	return teamTarget(body)
}

func checkTarget(o *Op, body any, targetOp *Op, target any) error {
	if _, ok := contentTarget(body); !ok {
		return nil
	}
	if targetOp == nil {
		return invalid("%s's target is not in its group", o.Kind)
	}
	isPost := isPostKind(targetOp.Kind)
	switch b := body.(type) {
	case *MessageBody, *DeleteBody, *ReactionBody, *PinBody:
		if !isPost {
			return invalid("%s must target a message or poll, not a %s", o.Kind, targetOp.Kind)
		}
	case *EditBody:
		if targetOp.Kind != KindMessage || targetOp.Author != o.Author {
			return unauthorized("only a message's author may edit it")
		}
	case *VoteBody:
		p, ok := target.(*PollBody)
		if !ok {
			return invalid("vote must target a poll")
		}
		if !p.Multi && len(b.Choices) > 1 {
			return invalid("poll allows one choice, vote has %d", len(b.Choices))
		}
		for _, c := range b.Choices {
			if int(c) >= len(p.Options) {
				return invalid("choice %d, poll has %d options", c, len(p.Options))
			}
		}
	case *PollCloseBody:
		if targetOp.Kind != KindPoll {
			return invalid("poll.close must target a poll")
		}
	case *CallBody:
		return checkCallTarget(targetOp, target)
	default:
		return checkTeamTarget(o, body, targetOp)
	}
	return nil
}

// JoinsDirectly reports whether member k's group.join to group gid makes
// it a member at once rather than recording a request to join: the group
// is not one that admits by approval, or k is an admin or owner, who may
// decide such requests anyway and so is not asked to request.
func (s *State) JoinsDirectly(k PublicKey, gid ID) bool {
	g, ok := s.Groups[gid]
	if !ok {
		return false
	}
	return g.Policy != PolicyApproval || s.Role(k) >= RoleAdmin
}

// JoinDenied reports whether k's latest request to join the community was
// denied, and k has neither asked again nor been let in since. A
// requester holds no control log until it is let in, so the members it
// asks tell it this (see sync/exchange's Admit).
func (s *State) JoinDenied(k PublicKey) bool {
	if s.Role(k) != RoleNone || s.Requests[k] != nil {
		return false
	}
	for i := len(s.Audit) - 1; i >= 0; i-- {
		if e := s.Audit[i]; e.Target == k && (e.Kind == KindDecide || e.Kind == KindAdd) {
			return e.Kind == KindDecide && !e.Approved
		}
	}
	return false
}

// groupJoin applies group.join o: the author becomes a member of the
// group if direct, and asks to join it otherwise.
func (s *State) groupJoin(o *Op, b *GroupJoinBody, direct bool) {
	g := s.ownGroup(idOf(b.Group))
	if direct {
		g.Members[o.Author] = o.ID()
		return
	}
	g.Requests[o.Author] = &Request{Key: o.Author, Name: s.Members[o.Author].Name, Op: o.ID(), Time: b.Time}
}

// GroupJoinDenied reports whether member k's latest request to join group
// gid was denied, and k has neither asked again nor joined since. The
// requester holds the control log, so it learns this from the decision
// itself.
func (s *State) GroupJoinDenied(k PublicKey, gid ID) bool {
	g, ok := s.Groups[gid]
	if !ok || g.Has(k) || g.Requests[k] != nil {
		return false
	}
	for i := len(s.Audit) - 1; i >= 0; i-- {
		if e := s.Audit[i]; e.Kind == KindGroupDecide && e.Target == k && e.Object == gid {
			return !e.Approved
		}
	}
	return false
}
