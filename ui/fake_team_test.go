package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeTeam is a community's first steps and newcomers in the fake.
type fakeTeam struct {
	welcome   string
	steps     []api.FirstStep // the local member's view: Done is its own ticks
	newcomer  bool            // the local member is a newcomer
	newcomers []api.Newcomer
}

// setSteps gives community cid first steps titled titles, with welcome
// (where "{name}" stands for the member's name); the local member is a
// newcomer when newcomer is set.
func (f *fakeBackend) setSteps(cid crdt.ID, welcome string, newcomer bool, titles ...string) {
	f.mu.Lock()
	t := &fakeTeam{welcome: welcome, newcomer: newcomer}
	for i, title := range titles {
		t.steps = append(t.steps, api.FirstStep{N: i + 1, ID: fmt.Sprintf("%016x", i+1), Title: title})
	}
	f.comm(cid).team = t
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventGroups, Community: cid})
}

// addNewcomer lists a newcomer who joined at joined, did done steps and
// last ticked one at last (zero: never).
func (f *fakeBackend) addNewcomer(cid crdt.ID, name string, joined time.Time, done int, last time.Time, invitedBy string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.comm(cid).team
	n := api.Newcomer{PeerID: "peer-" + strings.ToLower(name), Name: name, Joined: joined, Done: done, Total: len(t.steps), InvitedByName: invitedBy}
	if invitedBy != "" {
		n.InvitedBy = "peer-" + strings.ToLower(invitedBy)
	}
	if !last.IsZero() {
		n.LastStepTime = &last
	}
	t.newcomers = append(t.newcomers, n)
}

func (f *fakeBackend) Steps(cid crdt.ID) (api.FirstSteps, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Steps"); err != nil {
		return api.FirstSteps{}, err
	}
	c := f.comm(cid)
	fs := api.FirstSteps{Steps: []api.FirstStep{}, CanEdit: f.judge(c, crdt.Action{Kind: crdt.KindSteps}) == nil}
	fs.SeesNewcomers = fs.CanEdit // admins, in the fake as in crdt
	if c.team == nil {
		return fs, nil
	}
	fs.Template, fs.Welcome, fs.Newcomer = c.team.welcome, strings.ReplaceAll(c.team.welcome, "{name}", f.self.Name), c.team.newcomer
	for _, s := range c.team.steps {
		fs.Steps = append(fs.Steps, s)
		if s.Done {
			fs.Done++
		}
	}
	return fs, nil
}

func (f *fakeBackend) TickStep(_ context.Context, cid crdt.ID, n int, done bool) error {
	f.mu.Lock()
	err := f.enter("TickStep")
	if err == nil {
		t := f.comm(cid).team
		if t == nil || n < 1 || n > len(t.steps) {
			err = fmt.Errorf("%w: no step %d", crdt.ErrInvalid, n)
		} else {
			t.steps[n-1].Done = done
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	}
	return err
}

func (f *fakeBackend) Newcomers(cid crdt.ID) ([]api.Newcomer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Newcomers"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if f.judge(c, crdt.Action{Kind: crdt.KindSteps}) != nil {
		return nil, fmt.Errorf("%w: only admins see the newcomers' progress", crdt.ErrUnauthorized)
	}
	if c.team == nil {
		return []api.Newcomer{}, nil
	}
	out := append([]api.Newcomer(nil), c.team.newcomers...)
	for i, n := range out { // welcomed once the local admin mentioned them
		for _, p := range f.posts {
			out[i].Welcomed = out[i].Welcomed || strings.Contains(p, "@"+n.Name)
		}
	}
	return out, nil
}

func (f *fakeBackend) SetSteps(_ context.Context, cid crdt.ID, steps []api.StepDraft, welcome string) error {
	f.mu.Lock()
	err := f.enter("SetSteps")
	if err == nil {
		c := f.comm(cid)
		if err = f.judge(c, crdt.Action{Kind: crdt.KindSteps}); err == nil {
			t := &fakeTeam{welcome: strings.TrimSpace(welcome)}
			if c.team != nil {
				t.newcomer, t.newcomers = c.team.newcomer, c.team.newcomers
			}
			for i, s := range steps {
				t.steps = append(t.steps, api.FirstStep{N: i + 1, ID: fmt.Sprintf("%016x", i+1), Title: s.Title, Text: s.Text, Group: s.Group, Message: s.Message})
			}
			c.team = t
			f.logAudit(c, "steps", "", "")
		}
	}
	f.mu.Unlock()
	if err == nil {
		f.emit(api.Event{Kind: api.EventGroups, Community: cid})
	}
	return err
}

// TeamTree lists the fake's members: the local member first, then the
// others, each invited by the one before it.
func (f *fakeBackend) TeamTree(cid crdt.ID) ([]api.TeamMember, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("TeamTree"); err != nil {
		return nil, err
	}
	var out []api.TeamMember
	prev := api.TeamMember{}
	c := f.comm(cid)
	for i, m := range c.members {
		tm := api.TeamMember{PeerID: m.PeerID, Name: m.Name, Role: m.Role, Joined: f.clock.Add(time.Duration(i-10) * 24 * time.Hour)}
		if i > 0 {
			tm.InvitedBy, tm.InvitedByName = prev.PeerID, prev.Name
			if i == 3 { // the third member was invited by the first
				tm.InvitedBy, tm.InvitedByName = out[0].PeerID, out[0].Name
			}
		}
		out = append(out, tm)
		prev = tm
	}
	for i := range out {
		if by, ok := c.inviters[out[i].PeerID]; ok {
			out[i].InvitedBy, out[i].InvitedByName = by, ""
			for _, m := range c.members {
				if m.PeerID == by {
					out[i].InvitedByName = m.Name
				}
			}
		}
	}
	return out, nil
}

// setInviter makes TeamTree say that inviter (a peer id) invited peer.
func (f *fakeBackend) setInviter(cid crdt.ID, peer, inviter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.comm(cid)
	if c.inviters == nil {
		c.inviters = map[string]string{}
	}
	c.inviters[peer] = inviter
}
