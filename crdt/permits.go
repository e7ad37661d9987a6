package crdt

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
)

// Permission queries: crdt is the only judge of who may do what.
//
// The app must say, before anyone tries, what the local member may do:
// which roles it may give whom, whether it may pin here, remove that
// member, change the settings. It must not work that out with rules of
// its own, which would drift from the ones replicas apply. So a query
// does not restate a rule: Judge builds the op the action would write —
// authored by the actor, on top of the state asked, with every op of that
// state in its causal past — and hands it to the very checks that judge
// received ops (State.check for control ops, State.CheckContent for
// content ops). Its verdict is the verdict every replica would reach on
// that op written now; TestPermitsAgreeWithTheJudge holds it to that.
//
// Some actions need something to act on that may not be there yet: a
// join request to decide, an invite to revoke. Asked without one (a zero
// Action.Member or Action.Invite), Judge judges the action on a pending
// request or a live invite that it supposes, in a shallow copy of the
// state: "may this member decide join requests, should any come?".

// Action is what a permission query asks about: an op of Kind that the
// actor would write now. Only the fields its kind uses are read.
type Action struct {
	Kind Kind
	// Group is the group a content action is in, or the group that
	// group.update, group.join, group.leave, group.decide, group.add and
	// group.remove act on.
	Group ID
	// Member is who member.add, member.remove, member.role, join.decide,
	// group.decide, group.add and group.remove act on. Zero for join.decide and group.decide asks
	// about a request supposed for the query.
	Member PublicKey
	// Role is the role member.role gives, or the role an invite grants
	// (zero: member).
	Role Role
	// Invite is the invite invite.revoke ends; zero asks about a live
	// invite supposed for the query.
	Invite ID
	// Policy is the policy group.create gives the new group.
	Policy GroupPolicy
	// With is who a private conversation (group.create with
	// PolicyPrivate) is started with, besides the actor; empty asks about
	// a member (not an admin) supposed for the query: "may this member
	// message other members privately?".
	With []PublicKey
	// Approve: group.update approves a suggested group.
	Approve bool
	// Others: the content action (delete, pin, poll.close, edit,
	// reaction, vote) acts on a message or poll someone else wrote;
	// otherwise on one the actor wrote.
	Others bool
	// Time is the actor's clock (unix milliseconds) for group.add and
	// member.add, which are judged against the member's last leave of the
	// group or the community.
	Time int64
}

// Permits reports whether the community would accept action a by actor,
// written now on top of s (see Judge).
func (s *State) Permits(actor PublicKey, a Action) bool { return s.Judge(actor, a) == nil }

// Judge returns why the community would refuse action a by actor, written
// now on top of s, or nil when it would accept it. Its errors are the
// judge's own, wrapping ErrUnauthorized or ErrInvalid.
func (s *State) Judge(actor PublicKey, a Action) error {
	o := &Op{Community: s.Community, Author: actor, Kind: a.Kind}
	if a.Kind.IsContent() {
		o.Log = a.Group
		body, targetOp, target := contentQuery(o, a)
		if body == nil {
			return fmt.Errorf("%w: %s is not a permission query", ErrInvalid, a.Kind)
		}
		_, err := s.CheckContent(o, body, targetOp, target)
		return err
	}
	st, body, err := s.controlQuery(actor, a)
	if err != nil {
		return err
	}
	_, err = st.check(o, body, st.Role(actor))
	return err
}

// Suggests reports whether a group that actor creates now is a suggestion
// that an admin must approve (Group.Suggested).
func (s *State) Suggests(actor PublicKey) bool {
	return s.Role(actor) < RoleAdmin && !s.MembersCreateGroups
}

// controlQuery returns the body of control action a and the state to
// judge it on: s, or a shallow copy of s with the request or invite the
// action supposes.
func (s *State) controlQuery(actor PublicKey, a Action) (*State, any, error) {
	group, member := a.Group[:], a.Member[:]
	switch a.Kind {
	case KindInvite:
		return s, &InviteBody{Role: max(RoleMember, a.Role)}, nil
	case KindLeave:
		return s, &LeaveBody{}, nil
	case KindGroupCreate:
		if a.Policy != PolicyPrivate {
			return s, &GroupCreateBody{Name: "?", Policy: a.Policy}, nil
		}
		with := a.With
		if len(with) == 0 {
			var k PublicKey
			if k == actor {
				k[0] = 1
			}
			h := *s
			h.Members = maps.Clone(s.Members)
			h.Members[k] = &Member{Key: k, Role: RoleMember}
			s, with = &h, []PublicKey{k}
		}
		b := &GroupCreateBody{Policy: PolicyPrivate}
		for _, k := range with {
			b.Participants = append(b.Participants, slices.Clone(k[:]))
		}
		slices.SortFunc(b.Participants, bytes.Compare)
		b.Participants = slices.CompactFunc(b.Participants, bytes.Equal)
		if err := b.check(); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		return s, b, nil
	case KindSettings:
		return s, &SettingsBody{Name: s.Name}, nil
	case KindDeactivate:
		return s, &DeactivateBody{}, nil
	case KindRelay:
		// A relay not yet registered: "may this member add relays?".
		return s, &RelayBody{Peer: make([]byte, len(PublicKey{})), Addrs: []string{"/ip4/127.0.0.1/tcp/1"}}, nil
	case KindRemove:
		return s, &RemoveBody{Member: member}, nil
	case KindAdd:
		// A zero Member asks about a non-member supposed for the query.
		return s, &AddBody{Member: member, Name: "?", Role: max(RoleMember, a.Role), Time: a.Time}, nil
	case KindRole:
		return s, &RoleBody{Member: member, Role: a.Role}, nil
	case KindGroupJoin:
		return s, &GroupJoinBody{Group: group}, nil
	case KindGroupLeave:
		return s, &GroupLeaveBody{Group: group}, nil
	case KindGroupUpdate:
		b := &GroupUpdateBody{Group: group, Approve: a.Approve}
		if g := s.Groups[a.Group]; g != nil {
			b.Name, b.Description, b.Policy, b.Archived = g.Name, g.Description, g.Policy, g.Archived
		}
		return s, b, nil
	case KindDecide:
		if a.Member == (PublicKey{}) {
			h := *s
			h.Requests = map[PublicKey]*Request{{}: {}}
			s = &h
		}
		return s, &DecideBody{Member: member}, nil
	case KindGroupDecide:
		if g := s.Groups[a.Group]; g != nil && a.Member == (PublicKey{}) {
			// A request from the actor itself, who is a member if
			// anyone may decide.
			member = actor[:]
			h := *s
			h.Groups = maps.Clone(s.Groups)
			gg := *g
			gg.Requests = map[PublicKey]*Request{actor: {Key: actor}}
			h.Groups[a.Group] = &gg
			s = &h
		}
		return s, &GroupDecideBody{Group: group, Member: member}, nil
	case KindGroupOrder:
		return s, &GroupOrderBody{}, nil
	case KindGroupAdd:
		if a.Member == (PublicKey{}) {
			// A member not in the group, supposed for the query: "may
			// this member add people to the group?".
			var k PublicKey
			if k == actor {
				k[0] = 1
			}
			h := *s
			h.Members = maps.Clone(s.Members)
			h.Members[k] = &Member{Key: k, Role: RoleMember}
			s, member = &h, k[:]
		}
		return s, &GroupAddBody{Group: group, Member: member, Time: a.Time}, nil
	case KindGroupRemove:
		return s, &GroupRemoveBody{Group: group, Member: member}, nil
	case KindSteps:
		return s, &StepsBody{}, nil
	case KindProgress:
		return s, &ProgressBody{}, nil
	case KindPhoto:
		return s, &PhotoBody{}, nil
	case KindIcon:
		return s, &IconBody{}, nil
	case KindInviteRevoke:
		if a.Invite.IsZero() {
			h := *s
			h.Invites = map[ID]*Invite{{}: {}}
			s = &h
		}
		return s, &InviteRevokeBody{Invite: a.Invite[:]}, nil
	}
	if b := s.teamControlQuery(a); b != nil {
		return s, b, nil
	}
	return nil, nil, fmt.Errorf("%w: %s is not a permission query", ErrInvalid, a.Kind)
}

// contentQuery returns the body of content action a by o's author, and
// the message or poll it acts on, if any, with its body; a nil body for a
// kind it does not know.
func contentQuery(o *Op, a Action) (body any, targetOp *Op, target any) {
	t := &Op{Community: o.Community, Log: o.Log, Author: o.Author, Kind: KindMessage}
	if a.Others {
		t.Author[0] ^= 0xff // anyone else
	}
	var tb any = &MessageBody{}
	poll := func() {
		t.Kind = KindPoll
		tb = &PollBody{Options: []string{"a", "b"}}
	}
	none := []byte{}
	switch a.Kind {
	case KindMessage:
		return &MessageBody{}, nil, nil
	case KindPoll:
		return &PollBody{}, nil, nil
	case KindEdit:
		body = &EditBody{Target: none}
	case KindDelete:
		body = &DeleteBody{Target: none}
	case KindReaction:
		body = &ReactionBody{Target: none}
	case KindPin:
		body = &PinBody{Target: none, On: true}
	case KindVote:
		poll()
		body = &VoteBody{Poll: none, Choices: []uint8{0}}
	case KindPollClose:
		poll()
		body = &PollCloseBody{Poll: none}
	case KindStep:
		return &StepBody{}, nil, nil
	case KindCall:
		if !a.Others {
			return &CallBody{Action: CallStart}, nil, nil
		}
		t.Kind = KindCall
		return &CallBody{Action: CallEnd, Target: none}, t, &CallBody{Action: CallStart}
	default:
		return teamQuery(o, a, t)
	}
	return body, t, tb
}
