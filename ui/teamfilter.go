package ui

import (
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// The members list's team filter: "Team of …" narrows it to one member
// and everyone they brought in, directly or down the line (the team
// tree of who invited whom), and the list says who invited the local
// member; each member's row says who invited them.

// everyoneFilter is the team filter's choice that shows every member.
const everyoneFilter = "Everyone"

// teamFilter is the members list's team filter and the tree it filters
// by. Touched only on the UI goroutine.
type teamFilter struct {
	tree []api.TeamMember
	// under lists whom each member invited, by peer id.
	under map[string][]string
	// inviter is the name of who invited each member, by peer id, as the
	// backend's team tree says (the Newcomers view says the same).
	inviter map[string]string
	// leaders maps each choice ("Team of Chloe") to the peer id of its
	// member.
	leaders map[string]string
	// in is the team chosen, by peer id; nil for everyone.
	in map[string]bool
	// choose is the filter; hidden when nobody invited anyone.
	choose *widget.Select
	// invitedBy says who invited the local member; hidden when unknown.
	invitedBy *widget.Label
}

// newTeamFilter makes the filter; onChange is called when the choice
// changes.
func newTeamFilter(onChange func()) *teamFilter {
	t := &teamFilter{}
	t.choose = widget.NewSelect(nil, func(string) {
		t.pick()
		onChange()
	})
	t.choose.Hide()
	t.invitedBy = widget.NewLabel("")
	t.invitedBy.Importance = widget.LowImportance
	t.invitedBy.Hide()
	return t
}

// load reads the team tree of the members view's community again,
// keeping the choice while its member is still there.
func (t *teamFilter) load(v *membersView) {
	tree, err := v.a.b.TeamTree(v.cid)
	if err != nil {
		v.a.log("team tree", err)
		tree = nil
	}
	t.tree = tree
	t.under = map[string][]string{}
	t.inviter = map[string]string{}
	for _, m := range tree {
		if m.InvitedBy != "" && m.InvitedBy != m.PeerID {
			t.under[m.InvitedBy] = append(t.under[m.InvitedBy], m.PeerID)
			t.inviter[m.PeerID] = m.InvitedByName
		}
	}
	t.leaders = map[string]string{}
	options := []string{everyoneFilter}
	for _, m := range tree { // oldest first
		if len(t.under[m.PeerID]) > 0 {
			label := "Team of " + m.Name
			if _, dup := t.leaders[label]; dup {
				label += " (" + m.PeerID[max(0, len(m.PeerID)-6):] + ")"
			}
			t.leaders[label] = m.PeerID
			options = append(options, label)
		}
	}
	was := t.choose.Selected
	t.choose.Options = options
	if _, ok := t.leaders[was]; !ok {
		was = everyoneFilter
	}
	t.choose.Selected = was
	t.choose.Refresh()
	t.pick()
	if len(options) > 1 {
		t.choose.Show()
	} else {
		t.choose.Hide()
	}
	t.invitedBy.Hide()
	for _, m := range tree {
		if m.PeerID == v.a.self.PeerID && m.InvitedByName != "" {
			t.invitedBy.SetText(m.InvitedByName + " invited you.")
			t.invitedBy.Show()
		}
	}
}

// pick sets the team chosen: its member and everyone below them.
func (t *teamFilter) pick() {
	leader, ok := t.leaders[t.choose.Selected]
	if !ok {
		t.in = nil
		return
	}
	t.in = map[string]bool{}
	var walk func(p string)
	walk = func(p string) {
		if t.in[p] {
			return // a cycle: someone who came back
		}
		t.in[p] = true
		for _, c := range t.under[p] {
			walk(c)
		}
	}
	walk(leader)
}

// shows reports whether member m passes the filter.
func (t *teamFilter) shows(m api.Member) bool { return t.in == nil || t.in[m.PeerID] }
