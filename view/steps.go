package view

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The team's views: the first steps with the local member's own progress,
// the newcomers' progress (for the admins, who alone read the progress
// logs), and the team tree of who invited whom.

// Steps returns community cid's first steps with the local member's own
// progress, the welcome text addressed to it, and whether it may edit
// them and is a newcomer (crdt judges both).
func (v *Views) Steps(cid crdt.ID) (api.FirstSteps, error) {
	var out api.FirstSteps
	err := v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		out.CanEdit = st.Permits(v.self, crdt.Action{Kind: crdt.KindSteps})
		out.Newcomer = st.Newcomer(v.self)
		out.SeesNewcomers = st.SeesProgress(v.self)
		out.Steps = []api.FirstStep{}
		if st.Steps == nil {
			return nil
		}
		out.Template = st.Steps.Welcome
		out.Welcome = Welcome(st.Steps.Welcome, v.names.Name(st, v.self))
		done := doneSteps(c.Progress(v.self))
		for i, s := range st.Steps.List {
			fs := api.FirstStep{N: i + 1, ID: s.ID.String(), Title: s.Title, Text: s.Text, Group: optID(s.Group), Message: optID(s.Message)}
			if t, ok := done[s.ID]; ok {
				fs.Done, fs.DoneAt = true, timeOf(t)
				out.Done++
			}
			out.Steps = append(out.Steps, fs)
		}
		return nil
	})
	return out, err
}

// Welcome puts name in the welcome text where it says "{name}".
func Welcome(template, name string) string { return strings.ReplaceAll(template, "{name}", name) }

// Newcomers lists the newcomers of community cid (crdt.State.Newcomer)
// with their progress through the first steps, newest first. Only the
// admins, who read every progress log, may: anyone else gets an error
// wrapping crdt.ErrUnauthorized.
func (v *Views) Newcomers(cid crdt.ID) ([]api.Newcomer, error) {
	out := []api.Newcomer{}
	err := v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if !st.SeesProgress(v.self) {
			return fmt.Errorf("%w: only admins see the newcomers' progress", crdt.ErrUnauthorized)
		}
		total := 0
		if st.Steps != nil {
			total = len(st.Steps.List)
		}
		joined := map[crdt.PublicKey]int64{}
		var keys []crdt.PublicKey // out's members, in order
		for k, m := range st.Members {
			if !st.Newcomer(k) {
				continue
			}
			joined[k] = m.Joined
			p := c.Progress(k)
			n := api.Newcomer{PeerID: v.names.PeerID(k), Name: v.names.Name(st, k), Joined: time.UnixMilli(m.Joined),
				Done: len(p.Done), Total: total, LastStepTime: timeOf(p.Last)}
			n.InvitedBy, n.InvitedByName = v.inviter(st, k)
			out = append(out, n)
			keys = append(keys, k)
		}
		welcomed := v.welcomed(c, joined)
		for i, k := range keys {
			out[i].Welcomed = welcomed[k]
		}
		return nil
	})
	slices.SortFunc(out, func(a, b api.Newcomer) int {
		return cmp.Or(b.Joined.Compare(a.Joined), strings.Compare(a.PeerID, b.PeerID))
	})
	return out, err
}

// welcomed finds which of the members joined (with when they joined, the
// admitting op's clock) an admin or owner has mentioned in a standing
// message of a group the local member reads, written at or after that
// join. It reads the log, not what this device did, so a welcome any
// admin posted from anywhere counts.
func (v *Views) welcomed(c *crdt.Community, joined map[crdt.PublicKey]int64) map[crdt.PublicKey]bool {
	out := map[crdt.PublicKey]bool{}
	if len(joined) == 0 {
		return out
	}
	st := c.State()
	for _, g := range c.ContentLogs() {
		if gr, ok := st.Groups[g]; !ok || gr.Progress() || !st.MayRead(v.self, g) {
			continue
		}
		for _, p := range c.View(g).Posts {
			if len(p.Mentions) == 0 || p.Deleted || p.Hidden != nil || st.Role(p.Author) < crdt.RoleAdmin {
				continue
			}
			for _, k := range p.Mentions {
				if at, ok := joined[k]; ok && p.Time >= at {
					out[k] = true
				}
			}
		}
	}
	return out
}

// TeamTree lists community cid's members with who invited each, when they
// joined and when they were last active in what the local member can
// read, oldest member first.
func (v *Views) TeamTree(cid crdt.ID) ([]api.TeamMember, error) {
	out := []api.TeamMember{}
	err := v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		if st.Role(v.self) == crdt.RoleNone {
			return nil
		}
		last := c.LastActive(func(log crdt.ID) bool { return st.MayRead(v.self, log) })
		for k, m := range st.Members {
			tm := api.TeamMember{PeerID: v.names.PeerID(k), Name: v.names.Name(st, k), Role: m.Role.String(),
				Joined: time.UnixMilli(m.Joined), LastActive: timeOf(last[k])}
			tm.InvitedBy, tm.InvitedByName = v.inviter(st, k)
			out = append(out, tm)
		}
		return nil
	})
	slices.SortFunc(out, func(a, b api.TeamMember) int {
		return cmp.Or(a.Joined.Compare(b.Joined), strings.Compare(a.PeerID, b.PeerID))
	})
	return out, err
}

// inviter names who invited member k: its peer id and name, or "" for the
// founder.
func (v *Views) inviter(st *crdt.State, k crdt.PublicKey) (peerID, name string) {
	inv, ok := st.Invited[k]
	if !ok || inv.By == (crdt.PublicKey{}) {
		return "", ""
	}
	return v.names.PeerID(inv.By), v.names.Name(st, inv.By)
}

// doneSteps indexes a progress's ticks by step.
func doneSteps(p crdt.Progress) map[crdt.StepID]int64 {
	out := make(map[crdt.StepID]int64, len(p.Done))
	for _, t := range p.Done {
		out[t.Step] = t.Time
	}
	return out
}

func optID(id crdt.ID) *crdt.ID {
	if id.IsZero() {
		return nil
	}
	return &id
}

// timeOf is a clock in unix milliseconds as a time, nil for 0.
func timeOf(ms int64) *time.Time {
	if ms == 0 {
		return nil
	}
	t := time.UnixMilli(ms)
	return &t
}
