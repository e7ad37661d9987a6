package api

import (
	"context"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Team is what a node offers about a community's first steps, its
// newcomers' progress and who invited whom (crdt/steps.go has the rules).
type Team interface {
	// SetSteps replaces community's first steps and welcome text (admins);
	// a step keeps its ticks while its title stays the same.
	SetSteps(ctx context.Context, community crdt.ID, steps []StepDraft, welcome string) error
	// Steps returns the first steps with the local member's own progress.
	Steps(community crdt.ID) (FirstSteps, error)
	// TickStep ticks (done) or unticks the local member's step n (1-based).
	TickStep(ctx context.Context, community crdt.ID, n int, done bool) error
	// Newcomers lists the newcomers' progress, newest first (admins; anyone
	// else gets an error wrapping crdt.ErrUnauthorized).
	Newcomers(community crdt.ID) ([]Newcomer, error)
	// TeamTree lists every member with who invited them, when they joined
	// and when they were last active, oldest first.
	TeamTree(community crdt.ID) ([]TeamMember, error)
}

// StuckAfter is how long a newcomer may go without ticking a step (or,
// having ticked none, since joining) before the Newcomers view highlights
// them as stuck.
const StuckAfter = 3 * 24 * time.Hour

// StepDraft is one first step as an admin writes it.
type StepDraft struct {
	Title string `json:"title"`
	Text  string `json:"text,omitempty"`
	// Group links the step to a group, Message (with Group) to a message
	// or file in it; nil for none.
	Group   *crdt.ID `json:"group,omitempty"`
	Message *crdt.ID `json:"message,omitempty"`
}

// FirstSteps is the community's first steps as the local member sees
// them.
type FirstSteps struct {
	// Welcome is the welcome text with the local member's name put in;
	// Template is the text as the admins wrote it, with "{name}".
	Welcome  string      `json:"welcome"`
	Template string      `json:"template"`
	Steps    []FirstStep `json:"steps"`
	// Done counts the steps the local member ticked.
	Done int `json:"done"`
	// CanEdit: the local member may set the steps (crdt judges);
	// SeesNewcomers: it reads every member's progress (Newcomers).
	CanEdit       bool `json:"can_edit"`
	SeesNewcomers bool `json:"sees_newcomers"`
	// Newcomer: the local member is one of the newcomers the steps are
	// for (crdt.State.Newcomer), so the home shows them the card.
	Newcomer bool `json:"newcomer"`
}

// FirstStep is one first step, with whether the local member did it.
type FirstStep struct {
	N       int        `json:"n"` // 1-based position
	ID      string     `json:"id"`
	Title   string     `json:"title"`
	Text    string     `json:"text,omitempty"`
	Group   *crdt.ID   `json:"group,omitempty"`
	Message *crdt.ID   `json:"message,omitempty"`
	Done    bool       `json:"done"`
	DoneAt  *time.Time `json:"done_at,omitempty"`
}

// Newcomer is one newcomer's progress through the first steps, as the
// admins see it.
type Newcomer struct {
	PeerID string    `json:"peer_id"`
	Name   string    `json:"name"`
	Joined time.Time `json:"joined"`
	Done   int       `json:"done"`
	Total  int       `json:"total"`
	// LastStepTime is when they last ticked or unticked a step; nil if
	// never.
	LastStepTime *time.Time `json:"last_step_time"`
	// InvitedBy is the peer id of who invited them ("" for none known),
	// InvitedByName that member's name.
	InvitedBy     string `json:"invited_by"`
	InvitedByName string `json:"invited_by_name,omitempty"`
	// Welcomed: an admin or owner has mentioned them in a message that
	// stands, written since they joined (Say welcome's post is one), so
	// the admins' Say welcome prompt is done.
	Welcomed bool `json:"welcomed,omitempty"`
}

// Stuck reports whether the newcomer, not done with the steps, has gone
// StuckAfter without a step (since joining if it ticked none) at now.
func (n Newcomer) Stuck(now time.Time) bool {
	if n.Total == 0 || n.Done >= n.Total {
		return false
	}
	since := n.Joined
	if n.LastStepTime != nil {
		since = *n.LastStepTime
	}
	return now.Sub(since) > StuckAfter
}

// TeamMember is one member in the team tree.
type TeamMember struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	// InvitedBy is the peer id of who invited them ("" for the founder
	// or none known), kept when that member has since gone;
	// InvitedByName that member's name.
	InvitedBy     string    `json:"invited_by"`
	InvitedByName string    `json:"invited_by_name,omitempty"`
	Joined        time.Time `json:"joined"`
	// LastActive is the time of their latest op this node can read
	// (a message, reaction, vote, step, profile change, …); nil if none.
	LastActive *time.Time `json:"last_active"`
}
