package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Admins put members into a group and take them out from the group's info
// pane: Add members opens a picker of the community's members who are not
// in the group (searchable by name), and each member row's menu has Remove
// from the group. What the app offers follows the flags crdt fills in
// (Group.CanAddMembers, Member.CanAddToGroup, Member.CanRemoveFromGroup).

// maxPickerRows bounds the rows the picker shows at once: a community of
// thousands is found by typing a name.
const maxPickerRows = 50

// addMembersView is the Add members picker.
type addMembersView struct {
	a      *App
	d      *dlg
	cid    crdt.ID
	group  api.Group
	search *widget.Entry
	rows   *fyne.Container // one check per shown candidate
	more   *widget.Label   // how many matches are not shown, or why none are
	add    *widget.Button
	err    *widget.Label

	candidates []api.Member
	picked     map[string]bool          // by peer id
	checks     map[string]*widget.Check // the shown rows, by peer id
}

// showAddMembers opens the picker for group g of community cid.
func (a *App) showAddMembers(cid crdt.ID, g api.Group) *addMembersView {
	v := &addMembersView{a: a, cid: cid, group: g, picked: map[string]bool{}, checks: map[string]*widget.Check{}}
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search by name")
	v.search.OnChanged = func(string) { v.fill() }
	v.rows = container.NewVBox()
	v.more = widget.NewLabel("")
	v.more.Wrapping = fyne.TextWrapWord
	v.err = errorLabel()
	intro := widget.NewLabel("They join " + g.Name + " at once, no request needed, and read its earlier messages if the community's settings allow.")
	intro.Wrapping = fyne.TextWrapWord
	v.d = a.newDialog("Add members to "+g.Name, nil)
	v.d.handles, v.d.errLabel = v, v.err
	v.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), v.submit)
	v.add.Importance = widget.HighImportance
	cancel := widget.NewButton("Cancel", v.d.hide)
	v.d.confirm, v.d.cancel = v.add, cancel
	scroll := container.NewVScroll(v.rows)
	scroll.SetMinSize(fyne.NewSize(0, 240))
	body := container.NewBorder(container.NewVBox(intro, v.search), container.NewVBox(v.more, v.err), nil, nil, scroll)
	v.d.setContent(body, cancel, v.add)
	v.load()
	v.d.show()
	a.win.Canvas().Focus(v.search)
	return v
}

// load reads the candidates again and shows them.
func (v *addMembersView) load() {
	ms, err := v.a.b.GroupCandidates(v.cid, v.group.ID)
	if err != nil {
		v.candidates = nil
		v.d.fail("Could not list the members", err)
	} else {
		v.candidates = ms
	}
	v.fill()
}

// fill shows the candidates whose name matches the search, picked ones
// kept picked.
func (v *addMembersView) fill() {
	q := strings.ToLower(strings.TrimSpace(v.search.Text))
	var objs []fyne.CanvasObject
	clear(v.checks)
	matches := 0
	for _, m := range v.candidates {
		if q != "" && !strings.Contains(strings.ToLower(m.Name), q) {
			continue
		}
		matches++
		if len(objs) == maxPickerRows {
			continue
		}
		label := m.Name
		if m.Role != "member" {
			label += " · " + roleName(m.Role)
		}
		if !m.CanAddToGroup {
			label += " · can't be added now"
		}
		peer := m.PeerID
		c := widget.NewCheck(label, func(on bool) {
			if on {
				v.picked[peer] = true
			} else {
				delete(v.picked, peer)
			}
			v.setButton()
		})
		c.SetChecked(v.picked[peer])
		if !m.CanAddToGroup {
			c.Disable()
		}
		v.checks[peer] = c
		objs = append(objs, c)
	}
	v.rows.Objects = objs
	v.rows.Refresh()
	switch {
	case len(v.candidates) == 0:
		v.more.SetText("Everyone in the community is in " + v.group.Name + " already.")
	case matches == 0:
		v.more.SetText("Nobody of that name is left to add.")
	case matches > len(objs):
		v.more.SetText(fmt.Sprintf("%d more: type a name to find them.", matches-len(objs)))
	default:
		v.more.SetText("")
	}
	v.more.Hidden = v.more.Text == ""
	v.setButton()
}

// setButton says how many are picked on the Add button.
func (v *addMembersView) setButton() {
	switch n := len(v.picked); n {
	case 0:
		v.add.SetText("Add")
		v.add.Disable()
	case 1:
		v.add.SetText("Add 1 person")
		v.add.Enable()
	default:
		v.add.SetText(fmt.Sprintf("Add %d people", n))
		v.add.Enable()
	}
	if v.d.open {
		v.d.d.Refresh() // lay the buttons out for the new label
	}
}

// submit adds the picked members, in the order listed, and closes the
// picker; a refusal is shown in it, with those added so far added.
func (v *addMembersView) submit() {
	var peers []string
	for _, m := range v.candidates {
		if v.picked[m.PeerID] {
			peers = append(peers, m.PeerID)
		}
	}
	cid, gid := v.cid, v.group.ID
	v.add.Disable()
	v.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		for _, p := range peers {
			if err := v.a.b.AddToGroup(ctx, cid, gid, p); err != nil {
				return err
			}
		}
		return nil
	}, func(err error) {
		v.a.membersChanged(cid)
		if err != nil {
			clear(v.picked)
			v.load()
			v.d.fail("Could not add everyone", err)
			return
		}
		v.d.hide()
	})
}

// groupMemberItem is a member row's entry, in group g's info pane, to
// take m out of the group; nil when the local member may not.
func (a *App) groupMemberItem(cid crdt.ID, g api.Group, m api.Member) *fyne.MenuItem {
	if !m.CanRemoveFromGroup {
		return nil
	}
	it := fyne.NewMenuItem("Remove from "+g.Name, func() { a.confirmRemoveFromGroup(cid, g, m) })
	it.Icon = theme.ContentRemoveIcon()
	return it
}

// confirmRemoveFromGroup asks, then takes m out of group g.
func (a *App) confirmRemoveFromGroup(cid crdt.ID, g api.Group, m api.Member) {
	text := m.Name + " stops reading " + g.Name + ": nothing written there from now on reaches them, and anything they post there before this reaches them is hidden. They stay in " + a.communityName(cid) + " and its other groups."
	a.confirmAction("Remove "+m.Name+" from "+g.Name+"?", text, "Remove", func() {
		a.act("Could not remove "+m.Name+" from "+g.Name, func(ctx context.Context) error {
			return a.b.RemoveFromGroup(ctx, cid, g.ID, m.PeerID)
		}, func() { a.membersChanged(cid) })
	})
}

// addedNotice notifies the member that an admin added it to group g of
// community c: it was not in g at the last look (prev), or g is new in a
// community looked at before (commKnown).
func (a *App) addedNotice(c api.Community, g api.Group, prev groupCounts, known, commKnown bool) {
	if g.AddedBy == "" || !g.Joined || known && prev.joined || !known && !commKnown {
		return
	}
	a.notify(g.AddedBy+" added you to "+g.Name, "in "+c.Name)
}
