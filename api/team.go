package api

import (
	"context"
	"fmt"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team cards: wins, promotions, events with their answers, Q&A and
// collections (crdt's team kinds), as the app and the CLI show them.

// Win is a win card: who was celebrated, by whom, with which badge
// (crdt.Badges).
type Win struct {
	ID         crdt.ID   `json:"id"`
	Group      crdt.ID   `json:"group,omitzero"`
	Member     string    `json:"member"` // peer id of the member celebrated
	MemberName string    `json:"member_name"`
	By         string    `json:"by"` // peer id of who celebrated
	ByName     string    `json:"by_name"`
	Badge      string    `json:"badge"`
	Text       string    `json:"text"`
	Time       time.Time `json:"time"`
}

// Promo is a promotion card. It runs from Starts up to Ends, by the
// card's own times.
type Promo struct {
	ID     crdt.ID   `json:"id"`
	Group  crdt.ID   `json:"group,omitzero"`
	Title  string    `json:"title"`
	Text   string    `json:"text"`
	Starts time.Time `json:"starts"`
	Ends   time.Time `json:"ends"`
	Code   string    `json:"code,omitempty"`
	File   *File     `json:"file,omitempty"`
	By     string    `json:"by"`
	ByName string    `json:"by_name"`
	Edited bool      `json:"edited,omitempty"`
}

// ActiveAt reports whether the promotion runs at t.
func (p Promo) ActiveAt(t time.Time) bool { return !t.Before(p.Starts) && t.Before(p.Ends) }

// PromoDraft is a promotion to post.
type PromoDraft struct {
	Title, Text string
	// Starts is when it starts (zero: now); Ends when it ends, after Starts.
	Starts, Ends time.Time
	Code         string
	// File, when not empty, is the path of a file on this device that the
	// promotion shows (an image, a flyer, a video): the node stores it
	// and the card is the one place it appears (no message shares it),
	// with its download and open controls. On an edit, an empty File keeps
	// the promotion's file unless DropFile is set.
	File string
	// Progress, when not nil, hears how much of File is stored, one call
	// at a time (the app's progress bar). Cancelling the call's context
	// while the file is stored stops it and leaves nothing of it.
	Progress func(FileProgress) `json:"-"`
	// DropFile removes the promotion's file on an edit.
	DropFile bool
}

// Duration is a time.Duration that reads and writes as text ("1h30m0s").
type Duration time.Duration

// MarshalText writes d as time.Duration's String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText parses what time.ParseDuration accepts.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// CalendarEvent is an event of a group (a call, a training, a meeting)
// with the answers of the members.
type CalendarEvent struct {
	ID       crdt.ID   `json:"id"`
	Group    crdt.ID   `json:"group,omitzero"`
	Title    string    `json:"title"`
	Starts   time.Time `json:"starts"`
	Duration Duration  `json:"duration"`
	Where    string    `json:"where"`
	Text     string    `json:"text"`
	By       string    `json:"by"`
	ByName   string    `json:"by_name"`
	Edited   bool      `json:"edited,omitempty"`
	// Call is the group call the event links to: "voice", "video", or ""
	// for none. When the event starts its card offers Join call (with
	// the group's CanCall).
	Call string `json:"call,omitempty"`
	// Going, Maybe and No count the answers; Mine is the local member's
	// ("going", "maybe", "no", or "" for none).
	Going   int    `json:"going"`
	Maybe   int    `json:"maybe"`
	No      int    `json:"no"`
	Mine    string `json:"mine"`
	Answers []RSVP `json:"answers"`
}

// Ends returns when the event ends.
func (e CalendarEvent) Ends() time.Time { return e.Starts.Add(time.Duration(e.Duration)) }

// RSVP is one member's answer to an event.
type RSVP struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Answer string `json:"answer"` // "going", "maybe" or "no"
}

// EventDraft is an event to create.
type EventDraft struct {
	Title, Where, Text string
	// Call links the event to a call of its group: "voice", "video", or
	// "" for none.
	Call     string
	Starts   time.Time
	Duration time.Duration
}

// FAQEntry is an answered question of a Q&A group.
type FAQEntry struct {
	Question   string    `json:"question"`
	Answer     string    `json:"answer"`
	Group      crdt.ID   `json:"group,omitzero"`
	GroupName  string    `json:"group_name"`
	QuestionID crdt.ID   `json:"question_id"`
	AnswerID   crdt.ID   `json:"answer_id"`
	Time       time.Time `json:"time"` // when the question was asked
}

// Question is a top-level message of a Q&A group.
type Question struct {
	ID         crdt.ID   `json:"id"`
	Group      crdt.ID   `json:"group,omitzero"`
	Author     string    `json:"author"`
	AuthorName string    `json:"author_name"`
	Text       string    `json:"text"`
	Time       time.Time `json:"time"`
	Answer     *crdt.ID  `json:"answer,omitempty"`
}

// Collection is a named collection of saved messages, in display order
// group by group.
type Collection struct {
	Name     string    `json:"name"`
	Messages []Message `json:"messages"`
}

// TeamPermits are the community-wide team actions the local member may
// take, crdt's verdicts (see FillPermits).
type TeamPermits struct {
	// CanPromote: post promotions (in the announcement group).
	CanPromote bool `json:"can_promote,omitempty"`
	// CanSetTeamSettings: choose who celebrates wins, and mark Q&A groups.
	CanSetTeamSettings bool `json:"can_set_team_settings,omitempty"`
	// AdminsCelebrate is the community's setting (not a verdict): only
	// admins celebrate wins; otherwise anyone who may post does.
	AdminsCelebrate bool `json:"admins_celebrate,omitempty"`
}

func (p *TeamPermits) fill(st *crdt.State, self crdt.PublicKey) {
	p.CanPromote = st.Permits(self, crdt.Action{Kind: crdt.KindPromo, Group: st.Community})
	p.CanSetTeamSettings = st.Permits(self, crdt.Action{Kind: crdt.KindTeamSettings})
	p.AdminsCelebrate = st.AdminsCelebrate
}

// GroupTeamPermits are the team actions the local member may take in a
// group, crdt's verdicts (see FillPermits).
type GroupTeamPermits struct {
	CanCelebrate   bool `json:"can_celebrate,omitempty"`    // celebrate a win here
	CanCreateEvent bool `json:"can_create_event,omitempty"` // create an event here
	CanRSVP        bool `json:"can_rsvp,omitempty"`         // answer others' events here
	CanCollect     bool `json:"can_collect,omitempty"`      // save others' messages to collections
	// CanMarkAnswers: mark the answer to others' questions (the asker
	// always may, in a Q&A group); false outside Q&A groups.
	CanMarkAnswers bool `json:"can_mark_answers,omitempty"`
	// QA: the group is a Q&A group; CanSetQA: the local member may mark
	// it as one, or unmark it (SetQA).
	QA       bool `json:"qa,omitempty"`
	CanSetQA bool `json:"can_set_qa,omitempty"`
	// CanEditEvents: edit the events the local member created here;
	// CanEditOthersEvents: edit anyone's (an admin's rank).
	CanEditEvents       bool `json:"can_edit_events,omitempty"`
	CanEditOthersEvents bool `json:"can_edit_others_events,omitempty"`
	// CanEditPromos: edit the promotions here, or end them early.
	CanEditPromos bool `json:"can_edit_promos,omitempty"`
}

func (p *GroupTeamPermits) fill(st *crdt.State, self crdt.PublicKey, gid crdt.ID) {
	may := func(k crdt.Kind, others bool) bool {
		return st.Permits(self, crdt.Action{Kind: k, Group: gid, Others: others})
	}
	p.CanCelebrate = may(crdt.KindWin, false)
	p.CanCreateEvent = may(crdt.KindEvent, false)
	p.CanRSVP = may(crdt.KindRSVP, true)
	p.CanCollect = may(crdt.KindCollect, true)
	p.CanMarkAnswers = may(crdt.KindAnswer, true)
	p.CanSetQA = st.Permits(self, crdt.Action{Kind: crdt.KindGroupQA, Group: gid})
	p.CanEditEvents = may(crdt.KindEventEdit, false)
	p.CanEditOthersEvents = may(crdt.KindEventEdit, true)
	p.CanEditPromos = may(crdt.KindPromoEdit, true)
	if g := st.Groups[gid]; g != nil {
		p.QA = g.QA
	}
}

// TeamAPI is the part of API that posts and answers the team cards and
// lists them for a community's home.
type TeamAPI interface {
	// Celebrate posts a win for member (a peer id) with badge
	// (crdt.Badges) in group gid (zero: the announcements, or the first
	// group open to everyone where the local member may).
	Celebrate(ctx context.Context, community, group crdt.ID, member, badge, text string) (crdt.ID, error)
	// CreatePromo posts a promotion in the announcements (admins).
	CreatePromo(ctx context.Context, community crdt.ID, d PromoDraft) (crdt.ID, error)
	// EditPromo replaces a promotion's title, text, times and code
	// (admins); EndPromo ends a running one now.
	EditPromo(ctx context.Context, community, promo crdt.ID, d PromoDraft) error
	EndPromo(ctx context.Context, community, promo crdt.ID) error
	// CreateEvent posts an event in a group.
	CreateEvent(ctx context.Context, community, group crdt.ID, d EventDraft) (crdt.ID, error)
	// EditEvent replaces an event's title, start, duration, place and
	// text (its creator or an admin).
	EditEvent(ctx context.Context, community, event crdt.ID, d EventDraft) error
	// RSVP answers an event: "going", "maybe" or "no"; "" withdraws it.
	RSVP(ctx context.Context, community, event crdt.ID, answer string) error
	// MarkAnswer marks reply answer as the answer to question in a Q&A
	// group (the asker or an admin); a zero answer takes the mark back.
	MarkAnswer(ctx context.Context, community, group, question, answer crdt.ID) error
	// Collect saves a message into the named collection, or takes it out
	// (admins).
	Collect(ctx context.Context, community, message crdt.ID, collection string, on bool) error
	// SetQA marks group as a Q&A group, or unmarks it (admins:
	// Group.CanSetQA).
	SetQA(ctx context.Context, community, group crdt.ID, on bool) error
	// SetAdminsCelebrate sets whether only admins celebrate wins (admins:
	// Community.CanSetTeamSettings; Community.AdminsCelebrate is the
	// setting now).
	SetAdminsCelebrate(ctx context.Context, community crdt.ID, only bool) error
	// Questions lists the questions of a community's Q&A groups, oldest
	// first; only those not answered yet with unanswered.
	Questions(community crdt.ID, unanswered bool) ([]Question, error)
	// Wins, Promos, Events, FAQ and Collections are the home's team
	// lists (see node's team.go).
	Wins(community crdt.ID, member string) ([]Win, error)
	Promos(community crdt.ID, all bool) ([]Promo, error)
	Events(community crdt.ID, all bool) ([]CalendarEvent, error)
	FAQ(community crdt.ID, search string) ([]FAQEntry, error)
	Collections(community crdt.ID) ([]Collection, error)
}
