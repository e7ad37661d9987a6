package crdt

import (
	"bytes"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// First steps, newcomers' progress and who invited whom.
//
// # First steps
//
// An admin sets the community's first steps with one steps op (control
// kind 27): an ordered list of steps, each with a short id its writer
// draws, a title, an optional short text and an optional link to a group
// or to a message in a group, and a welcome text in which "{name}" stands
// for the newcomer's name. Like group.order, the list is a register of
// the whole community: each steps op replaces the one before it in the
// deterministic replay order, so concurrent edits converge on the one
// replayed last (rule 4's tie break decides between concurrent ones), and
// strong removal applies as to any admin action. A writer keeps the id of
// a step it keeps, so ticks of it keep counting after an edit.
//
// # Progress, readable by the member and the admins only
//
// A member's ticks are nobody else's business but the admins': a leader
// sees how far each newcomer got, other members do not. So each member
// keeps them in a log of its own, its progress log: a progress op
// (control kind 28) by the member opens it, and its id names it. The log
// is a group with PolicyProgress that is never listed among the groups:
// its readers (Group.Members, so State.Readers, MayRead and key wrapping
// follow) are the member and every admin and owner, kept so as roles
// change: a member promoted to admin becomes a reader of every progress
// log, one demoted stops being one (but of its own) and the epochs it
// could read are exposed, so the first online admin renews them. Its
// epoch secrets are wrapped to those readers only, exactly as a group's
// are to its members, so a third member never holds a key that opens it.
// The member writes the log's first epoch (as a group's creator does);
// admins renew it later.
//
// Only the member writes in its progress log, and only step ops (content
// kind 108): a step op ticks (Done) or unticks one step, named by its id,
// which must be among the first steps in the op's causal past. Ticks are
// last-writer-wins registers per step, ordered by (height, id) as
// reactions are. A member has one progress log for good: one who leaves
// and comes back finds its ticks where it left them.
//
// # Who invited whom
//
// Every join redeems an invite signed by the admin who made it, and every
// direct add is signed by the admin who adds. The state records, per
// member, that maker (Invitation) when the member is admitted. The record
// stays when the inviter is later removed, demoted or leaves, and is
// replaced only when the member comes back through another invite.

// PolicyProgress is the policy of a member's progress log (see the
// comment above). No group.create or group.update may give it: only a
// progress op makes such a group.
const PolicyProgress GroupPolicy = 4

// StepIDSize is the length of a step's id.
const StepIDSize = 8

// StepID names one first step; its writer draws it at random and keeps it
// across edits.
type StepID [StepIDSize]byte

// String returns the id in hex.
func (s StepID) String() string { return fmt.Sprintf("%x", s[:]) }

// StepItem is one first step in a steps op.
type StepItem struct {
	ID    []byte `cbor:"1,keyasint"`           // StepIDSize bytes, unique in the list
	Title string `cbor:"2,keyasint"`           // one line
	Text  string `cbor:"3,keyasint,omitempty"` // short, may span lines
	// Group links the step to a group, and Message (with Group) to a
	// message or file in it; both optional.
	Group   []byte `cbor:"4,keyasint,omitempty"`
	Message []byte `cbor:"5,keyasint,omitempty"`
}

// StepsBody sets the community's first steps and welcome text (admins).
// An empty list with an empty welcome clears them.
type StepsBody struct {
	Welcome string     `cbor:"1,keyasint,omitempty"` // "{name}" stands for the newcomer's name
	Steps   []StepItem `cbor:"2,keyasint,omitempty"`
	Time    int64      `cbor:"3,keyasint,omitempty"`
}

// ProgressBody opens the author's progress log; the log's id is the op's.
type ProgressBody struct {
	Time int64 `cbor:"1,keyasint,omitempty"`
}

// StepBody ticks (Done) or unticks one of the author's first steps, in
// its progress log.
type StepBody struct {
	Step []byte `cbor:"1,keyasint"` // StepIDSize bytes
	Done bool   `cbor:"2,keyasint,omitempty"`
	Time int64  `cbor:"3,keyasint,omitempty"`
}

func (it *StepItem) check() error {
	if len(it.ID) != StepIDSize {
		return fmt.Errorf("step id is %d bytes, want %d", len(it.ID), StepIDSize)
	}
	if strings.TrimSpace(it.Title) == "" {
		return fmt.Errorf("step title is empty")
	}
	if it.Title != strings.TrimSpace(it.Title) {
		return fmt.Errorf("step title has surrounding spaces")
	}
	if err := checkText("step title", it.Title, MaxStepTitleLen, true); err != nil {
		return err
	}
	if err := checkText("step text", it.Text, MaxStepTextLen, false); err != nil {
		return err
	}
	if err := checkOptID("step group", it.Group); err != nil {
		return err
	}
	if len(it.Message) > 0 && len(it.Group) == 0 {
		return fmt.Errorf("a step that links a message names its group")
	}
	return checkOptID("step message", it.Message)
}

func (b *StepsBody) check() error {
	if len(b.Steps) > MaxSteps {
		return fmt.Errorf("%d first steps, at most %d", len(b.Steps), MaxSteps)
	}
	seen := make(map[string]bool, len(b.Steps))
	for i := range b.Steps {
		if err := b.Steps[i].check(); err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		if seen[string(b.Steps[i].ID)] {
			return fmt.Errorf("step %d: id %x used twice", i+1, b.Steps[i].ID)
		}
		seen[string(b.Steps[i].ID)] = true
	}
	return checkText("welcome", b.Welcome, MaxWelcomeLen, false)
}

func (b *ProgressBody) check() error { return nil }

func (b *StepBody) check() error {
	if len(b.Step) != StepIDSize {
		return fmt.Errorf("step id is %d bytes, want %d", len(b.Step), StepIDSize)
	}
	return nil
}

// Step is one of the community's first steps.
type Step struct {
	ID      StepID
	Title   string
	Text    string
	Group   ID // zero: no link
	Message ID // zero: none
}

// Steps is the community's first steps as the last steps op set them.
// Values are shared between states and never mutated.
type Steps struct {
	Welcome string
	List    []Step
	Op      ID        // the steps op
	By      PublicKey // the admin who set them
	Time    int64     // its clock, unix milliseconds; shown only
	// Since is the clock of the steps op that first set a list after
	// there was none: members who joined since are the newcomers to walk
	// through them. Shown only.
	Since int64
}

// Has reports whether the list has step id.
func (s *Steps) Has(id StepID) bool {
	return s != nil && slices.ContainsFunc(s.List, func(st Step) bool { return st.ID == id })
}

// Invitation records who brought a member in.
type Invitation struct {
	// By made the invite the member redeemed, or added the member
	// directly; zero for the founder.
	By     PublicKey
	Invite ID    // the invite redeemed; zero for a direct add
	Time   int64 // the admitting op's clock, unix milliseconds; shown only
}

// Progress reports whether the group is a member's progress log.
func (g *Group) Progress() bool { return g.Policy == PolicyProgress }

// checkSteps judges a steps op: a step may link only a group members can
// see and follow, not a private conversation or a progress log.
func (s *State) checkSteps(b *StepsBody) error {
	for i, it := range b.Steps {
		if len(it.Group) == 0 {
			continue
		}
		g, ok := s.Groups[idOf(it.Group)]
		switch {
		case !ok:
			return invalid("step %d links group %x, which does not exist", i+1, it.Group[:4])
		case g.Private() || g.Progress():
			return invalid("step %d links a conversation members cannot open", i+1)
		}
	}
	return nil
}

// applySteps records the steps of op o.
func (s *State) applySteps(o *Op, b *StepsBody) {
	st := &Steps{Welcome: b.Welcome, Op: o.ID(), By: o.Author, Time: b.Time, Since: b.Time}
	if s.Steps != nil && len(s.Steps.List) > 0 {
		st.Since = s.Steps.Since
	}
	for _, it := range b.Steps {
		step := Step{Title: it.Title, Text: it.Text, Group: idOf(it.Group), Message: idOf(it.Message)}
		copy(step.ID[:], it.ID)
		st.List = append(st.List, step)
	}
	s.Steps = st
}

// checkProgress judges a progress op: a member opens one progress log,
// for good.
func (s *State) checkProgress(o *Op) error {
	if _, ok := s.Progress[o.Author]; ok {
		return invalid("already has a progress log")
	}
	return nil
}

// applyProgress opens o's author's progress log, read by the author and
// every admin and owner (reads).
func (s *State) applyProgress(o *Op) {
	id := o.ID()
	// No Members and no Requests: its readers follow from the roles
	// (reads), and nobody asks to join it (State.check). A member's log
	// costs no map of the admins.
	s.Groups[id] = &Group{ID: id, Policy: PolicyProgress, Creator: o.Author, own: s.own}
	if s.Progress == nil {
		s.Progress = map[PublicKey]ID{}
	}
	s.Progress[o.Author] = id
}

// reads reports whether member k reads group g: for a progress log, its
// member and every admin and owner, derived from the roles rather than
// kept in Group.Members (a log per member would each hold a map of the
// admins); for any other group, Group.Has.
func (s *State) reads(g *Group, k PublicKey) bool {
	if g.Progress() {
		m := s.Members[k]
		return m != nil && (k == g.Creator || m.Role >= RoleAdmin)
	}
	return g.Has(k)
}

// progressRoles notes that k's role went from prev to role: an admin or
// owner reads every progress log, so one left below admin may hold their
// current epochs (but its own log's), which are exposed so they are
// renewed.
func (s *State) progressRoles(k PublicKey, prev, role Role) {
	if prev < RoleAdmin || role >= RoleAdmin {
		return
	}
	for member, gid := range s.Progress {
		if e := s.Current[gid]; e != nil && member != k {
			s.Exposed[e.ID] = true
		}
	}
}

// readmit records who invited member k, admitted again (or for the first
// time); back, it reads its progress log again (reads).
func (s *State) readmit(k PublicKey, inv Invitation) {
	if inv != (Invitation{}) {
		s.invitedBy(k, inv)
	}
}

// invitedBy records that inv brought k in (or, for a request to join, is
// bringing k in once an admin approves).
func (s *State) invitedBy(k PublicKey, inv Invitation) {
	if s.Invited == nil {
		s.Invited = map[PublicKey]Invitation{}
	}
	s.Invited[k] = inv
}

// checkProgressContent judges content op o in group g when either is
// about first steps: a step op belongs in its author's own progress log,
// on a step in the op's causal past, and a progress log holds nothing
// else.
func (s *State) checkProgressContent(o *Op, g *Group, body any) error {
	if !g.Progress() {
		return invalid("a first step is ticked only in the member's progress log")
	}
	b, ok := body.(*StepBody)
	if o.Kind != KindStep || !ok {
		return invalid("a progress log holds first steps only, not a %s", o.Kind)
	}
	if o.Author != g.Creator {
		return unauthorized("only its member ticks first steps in a progress log")
	}
	if len(b.Step) == 0 { // a permission query
		return nil
	}
	var id StepID
	copy(id[:], b.Step)
	if !s.Steps.Has(id) {
		return invalid("step %s is not among the first steps", id)
	}
	return nil
}

// StepTick is one step a member ticked.
type StepTick struct {
	Step StepID
	Time int64 // the tick's clock, unix milliseconds; shown only
}

// Progress is how far a member got through the first steps.
type Progress struct {
	Log  ID         // the member's progress log; zero if it has none
	Done []StepTick // the steps of the current list it ticked, in list order
	// Last is the clock of its last step op that stands, ticked or
	// unticked, in any step; 0 if none.
	Last int64
}

// Progress returns member k's progress through the current first steps,
// as its progress log says: per step, the last tick or untick in (height,
// id) order wins; hidden ops do not count. Only a replica that holds the
// log's keys has its ops' bodies, so only the member and the admins get
// more than an empty progress.
func (c *Community) Progress(k PublicKey) Progress {
	st := c.State()
	gid, ok := st.Progress[k]
	if !ok {
		return Progress{}
	}
	p := Progress{Log: gid}
	last := map[StepID]*Entry{}
	for _, e := range c.Entries(gid) {
		b, ok := e.Body.(*StepBody)
		if !ok || e.Hidden != nil || e.Op.Author != k {
			continue
		}
		var id StepID
		copy(id[:], b.Step)
		if cur := last[id]; cur == nil || lwwOf(e.Op).after(lwwOf(cur.Op)) {
			last[id] = e
		}
		p.Last = max(p.Last, b.Time)
	}
	if st.Steps == nil {
		return p
	}
	for _, step := range st.Steps.List {
		if e := last[step.ID]; e != nil && e.Body.(*StepBody).Done {
			p.Done = append(p.Done, StepTick{Step: step.ID, Time: e.Body.(*StepBody).Time})
		}
	}
	return p
}

func lwwOf(o *Op) lww { return lww{o.Height, o.ID()} }

// teamDigest is what Hash covers of this file's state: the steps, who
// invited whom, the progress logs and every member's progress.
func (c *Community) teamDigest() []byte {
	st := c.State()
	type prog struct {
		Member, Log []byte
		Done        [][]byte
		Last        int64
	}
	type inv struct {
		Member, By, Invite []byte
		Time               int64
	}
	var d struct {
		Steps    []byte
		Welcome  string
		List     [][]byte
		Since    int64
		Invited  []inv
		Progress []prog
	}
	if s := st.Steps; s != nil {
		d.Steps, d.Welcome, d.Since = slices.Clone(s.Op[:]), s.Welcome, s.Since
		for _, step := range s.List {
			d.List = append(d.List, slices.Clone(step.ID[:]))
		}
	}
	for _, k := range slices.SortedFunc(maps.Keys(st.Invited), comparePublicKeys) {
		i := st.Invited[k]
		d.Invited = append(d.Invited, inv{slices.Clone(k[:]), slices.Clone(i.By[:]), slices.Clone(i.Invite[:]), i.Time})
	}
	for _, k := range slices.SortedFunc(maps.Keys(st.Progress), comparePublicKeys) {
		p := c.Progress(k)
		pp := prog{Member: slices.Clone(k[:]), Log: slices.Clone(p.Log[:]), Last: p.Last}
		for _, t := range p.Done {
			pp.Done = append(pp.Done, slices.Clone(t.Step[:]))
		}
		d.Progress = append(d.Progress, pp)
	}
	b, err := Marshal(&d)
	if err != nil {
		panic(fmt.Errorf("crdt: team digest: %w", err)) // plain structs always encode
	}
	return b
}

func comparePublicKeys(a, b PublicKey) int { return bytes.Compare(a[:], b[:]) }

// Newcomer reports whether member k is one of the newcomers to walk
// through the first steps: below admin, and either it joined since the
// first steps were set or it has opened its progress log. It is a filter
// for people (the Newcomers view), not a rule.
func (s *State) Newcomer(k PublicKey) bool {
	m := s.Members[k]
	if m == nil || m.Role >= RoleAdmin {
		return false
	}
	if _, ok := s.Progress[k]; ok {
		return true
	}
	return s.Steps != nil && len(s.Steps.List) > 0 && m.Joined >= s.Steps.Since
}

// LastActive returns, for every author of an op in the control log or in a
// content log that readable allows, the clock of its latest such op that
// stands, as the op's body gives it (the author's clock, unix
// milliseconds: shown only). Ops whose body has no clock do not count.
func (c *Community) LastActive(readable func(log ID) bool) map[PublicKey]int64 {
	out := map[PublicKey]int64{}
	note := func(k PublicKey, body any) {
		if t := bodyClock(body); t > out[k] {
			out[k] = t
		}
	}
	for id, o := range c.control {
		if _, fell := c.res.state.Rejected[id]; !fell {
			note(o.Author, c.bodies[id])
		}
	}
	for _, log := range c.ContentLogs() {
		if !readable(log) {
			continue
		}
		for _, e := range c.Entries(log) {
			if e.Hidden == nil {
				note(e.Op.Author, e.Body)
			}
		}
	}
	return out
}

// bodyClock is the Time field of an op body, or 0.
func bodyClock(body any) int64 {
	v := reflect.ValueOf(body)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0
	}
	f := v.Elem().FieldByName("Time")
	if !f.IsValid() || f.Kind() != reflect.Int64 {
		return 0
	}
	return f.Int()
}

// SeesProgress reports whether member k reads every member's progress
// log (admins and owners do), and so may see the newcomers' progress.
func (s *State) SeesProgress(k PublicKey) bool { return s.Role(k) >= RoleAdmin }
