package crdt

import (
	"fmt"
	"slices"
)

// The team kinds: what a direct-selling team does every week, made
// first-class ops — wins (wins.go), promotions (promo.go), events and
// their answers (events.go), Q&A groups and their answers (qa.go), and
// collections (collect.go). This file joins them to the judge: their
// bodies, the control ops among them (team.settings, group.qa), the rank
// each content op needs, what it targets, and how it shows in a post
// (TeamCard, folded in teamfold.go).

// TeamCard is what a post of the team kinds carries besides a message's
// fields; it is embedded in Post.
type TeamCard struct {
	Win   *WinView   // a win card (KindWin)
	Promo *PromoView // a promotion (KindPromo)
	Event *EventView // an event (KindEvent)
	// Answer is, for a question of a Q&A group, the reply marked as its
	// answer; zero when it has none.
	Answer ID
	// Collections names the collections the post is saved in, sorted.
	Collections []string
}

// isPostKind reports whether ops of kind k are posts: what people see as
// one item of a group, to reply to, react to, pin, delete and collect.
func isPostKind(k Kind) bool {
	switch k {
	case KindMessage, KindPoll, KindWin, KindPromo, KindEvent:
		return true
	}
	return false
}

// IsPostKind reports whether ops of kind k are posts (messages, polls,
// wins, promotions and events).
func IsPostKind(k Kind) bool { return isPostKind(k) }

// teamBody returns a new body for team kind k, or nil for another kind.
func teamBody(k Kind) interface{ check() error } {
	switch k {
	case KindTeamSettings:
		return new(TeamSettingsBody)
	case KindGroupQA:
		return new(GroupQABody)
	case KindWin:
		return new(WinBody)
	case KindPromo:
		return new(PromoBody)
	case KindPromoEdit:
		return new(PromoEditBody)
	case KindEvent:
		return new(EventBody)
	case KindEventEdit:
		return new(EventEditBody)
	case KindRSVP:
		return new(RSVPBody)
	case KindAnswer:
		return new(AnswerBody)
	case KindCollect:
		return new(CollectBody)
	}
	return nil
}

// checkTeam judges the team control ops (admins), taking the author's
// role to be role; ok is false for other bodies.
func (s *State) checkTeam(body any, role Role) (need Role, ok bool, err error) {
	what := "change the team settings"
	switch b := body.(type) {
	case *TeamSettingsBody:
	case *GroupQABody:
		what = "mark Q&A groups"
		err = s.checkGroupQA(b)
	default:
		return 0, false, nil
	}
	if err == nil && role < RoleAdmin {
		err = unauthorized("a %s may not %s", role, what)
	}
	return RoleAdmin, true, err
}

// mutateTeam applies a team control op that checkTeam accepted.
func (s *State) mutateTeam(o *Op, body any) {
	e := AuditEntry{Op: o.ID(), Kind: o.Kind, Actor: o.Author}
	switch b := body.(type) {
	case *TeamSettingsBody:
		s.AdminsCelebrate = b.AdminsCelebrate
		e.Detail, e.Time = "everyone celebrates wins", b.Time
		if b.AdminsCelebrate {
			e.Detail = "only admins celebrate wins"
		}
	case *GroupQABody:
		g := s.ownGroup(idOf(b.Group))
		g.QA = b.On
		e.Object, e.Name, e.Time = g.ID, g.Name, b.Time
		e.Detail = fmt.Sprintf("%s is no longer a Q&A group", g.Name)
		if b.On {
			e.Detail = fmt.Sprintf("%s is a Q&A group", g.Name)
		}
	default:
		return
	}
	s.Audit = append(s.Audit, e)
}

// teamNeed is the rank team content op o needs where it differs from a
// post's (a member's, an admin's in the announcement group).
func teamNeed(o *Op, targetOp *Op) (Role, bool) {
	switch o.Kind {
	case KindRSVP:
		return RoleMember, true
	case KindPromo, KindPromoEdit, KindCollect:
		return RoleAdmin, true
	case KindEventEdit, KindAnswer:
		if targetOp != nil && targetOp.Author != o.Author {
			return RoleAdmin, true
		}
	}
	return 0, false
}

// teamVerb says what a team content op does, for refusals.
func teamVerb(k Kind) string {
	switch k {
	case KindPromo:
		return "post promotions"
	case KindPromoEdit:
		return "edit promotions"
	case KindCollect:
		return "save posts to collections"
	case KindEventEdit:
		return "edit others' events"
	case KindAnswer:
		return "mark the answer to others' questions"
	case KindWin:
		return "celebrate wins"
	}
	return ""
}

// teamTarget returns the post a team content op acts on.
func teamTarget(body any) (ID, bool) {
	switch b := body.(type) {
	case *PromoEditBody:
		return idOf(b.Target), true
	case *EventEditBody:
		return idOf(b.Target), true
	case *RSVPBody:
		return idOf(b.Event), true
	case *AnswerBody:
		return idOf(b.Question), true
	case *CollectBody:
		return idOf(b.Target), true
	}
	return ZeroID, false
}

// checkTeamTarget checks the kind of post a team content op acts on.
func checkTeamTarget(o *Op, body any, targetOp *Op) error {
	want := KindEvent
	switch body.(type) {
	case *PromoEditBody:
		want = KindPromo
	case *EventEditBody, *RSVPBody:
	case *CollectBody:
		if !isPostKind(targetOp.Kind) {
			return invalid("collect must target a post, not a %s", targetOp.Kind)
		}
		return nil
	default:
		return nil
	}
	if targetOp.Kind != want {
		return invalid("%s must target a %s, not a %s", o.Kind, want, targetOp.Kind)
	}
	return nil
}

// checkTeamContent judges what the team content op o by a member of
// rank role needs of the state s and group g beyond a post's rules.
func (s *State) checkTeamContent(o *Op, body any, g *Group, role Role, targetOp *Op, target any) error {
	switch b := body.(type) {
	case *WinBody:
		return s.checkWin(o, b, role)
	case *AnswerBody:
		if targetOp == nil {
			return nil // checkTarget says so
		}
		return checkAnswer(g, targetOp, target)
	}
	if !g.Private() {
		return nil
	}
	switch o.Kind {
	case KindPromo, KindPromoEdit, KindCollect:
		return unauthorized("nobody may %s in a private conversation", teamVerb(o.Kind))
	case KindEventEdit:
		if targetOp != nil && targetOp.Author != o.Author {
			return unauthorized("nobody may %s in a private conversation", teamVerb(o.Kind))
		}
	}
	return nil
}

// teamControlQuery returns the body of a team control action, for
// Permits; nil for another kind.
func (s *State) teamControlQuery(a Action) any {
	switch a.Kind {
	case KindTeamSettings:
		return &TeamSettingsBody{AdminsCelebrate: s.AdminsCelebrate}
	case KindGroupQA:
		b := &GroupQABody{Group: a.Group.Bytes(), On: true}
		if g := s.Groups[a.Group]; g != nil {
			b.On = !g.QA
		}
		return b
	}
	return nil
}

// teamQuery returns the body of team content action a by o's author, and
// the post t it acts on (by someone else when a.Others), for Permits; a
// nil body for a kind it does not know. A win celebrates the actor.
func teamQuery(o *Op, a Action, t *Op) (body any, targetOp *Op, target any) {
	none := []byte{}
	switch a.Kind {
	case KindWin:
		return &WinBody{Member: slices.Clone(o.Author[:]), Badge: BadgeGoal}, nil, nil
	case KindPromo:
		return &PromoBody{}, nil, nil
	case KindEvent:
		return &EventBody{}, nil, nil
	case KindPromoEdit:
		t.Kind = KindPromo
		return &PromoEditBody{Target: none}, t, &PromoBody{}
	case KindEventEdit:
		t.Kind = KindEvent
		return &EventEditBody{Target: none}, t, &EventBody{}
	case KindRSVP:
		t.Kind = KindEvent
		return &RSVPBody{Event: none}, t, &EventBody{}
	case KindAnswer:
		return &AnswerBody{Question: none}, t, &MessageBody{}
	case KindCollect:
		return &CollectBody{Target: none}, t, &MessageBody{}
	}
	return nil, nil, nil
}

// teamHash is what the team kinds add to the control state's hash.
func (s *State) teamHash() []byte {
	var qa [][]byte
	for id, g := range s.Groups {
		if g.QA {
			qa = append(qa, id.Bytes())
		}
	}
	slices.SortFunc(qa, compareBytes)
	b, err := Marshal(struct {
		AdminsCelebrate bool
		QA              [][]byte
	}{s.AdminsCelebrate, qa})
	if err != nil {
		panic(err) // plain structs always encode
	}
	return b
}

// hash is what a post's card adds to the state's hash.
func (t *TeamCard) hash() []byte {
	if t.Win == nil && t.Promo == nil && t.Event == nil && t.Answer.IsZero() && len(t.Collections) == 0 {
		return nil
	}
	b, err := Marshal(t)
	if err != nil {
		panic(err) // plain structs always encode
	}
	return b
}
