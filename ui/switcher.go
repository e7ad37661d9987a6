package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// switcher is the Ctrl+K dialog: type part of a group's or community's
// name, or of the name of someone in a private conversation, Enter opens
// the first match.
type switcher struct {
	d       *dlg
	entry   *keyEntry
	list    *widget.List
	all     []switchItem
	matches []switchItem
}

type switchItem struct {
	community     crdt.ID
	group         crdt.ID
	name, context string
	// people are the names of the others in a private conversation
	// (those who left too), which the name may shorten ("Ana, Bo and 3
	// others"); empty for a group.
	people []string
	unread int
}

// showSwitcher opens the group switcher over every community's groups the
// member is in and its private conversations.
func (a *App) showSwitcher() {
	if a.switcher != nil && a.switcher.d.open {
		a.switcher.d.hide()
		return
	}
	s := &switcher{}
	for _, c := range a.communities {
		gs, ps, err := a.loadGroups(c.ID)
		if err != nil {
			continue
		}
		for _, g := range gs {
			if g.Kind != api.GroupPrivate && (g.Joined || g.Kind == api.GroupAnnouncement) {
				s.all = append(s.all, switchItem{community: c.ID, group: g.ID, name: g.Name, context: c.Name, unread: g.Unread})
			}
		}
		for _, p := range ps {
			it := switchItem{community: c.ID, group: p.Group, name: privateName(p), context: "Private · " + c.Name, unread: p.Unread}
			for _, q := range append(slices.Clip(p.With), p.Left...) {
				it.people = append(it.people, q.Name)
			}
			s.all = append(s.all, it)
		}
	}
	d := a.newDialog("Go to a conversation", nil)
	s.d = d
	s.entry = newKeyEntry(a)
	s.entry.SetPlaceHolder("Type a group, person or community name")
	s.list = widget.NewList(func() int { return len(s.matches) },
		func() fyne.CanvasObject {
			// The community's name takes the room the group's leaves (in
			// a box it got only an ellipsis's width: "···").
			return container.NewBorder(nil, nil, nil, newBadge(),
				container.NewBorder(nil, nil, widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), nil, secondary("")))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			it := s.matches[i]
			box := o.(*fyne.Container)
			texts := box.Objects[0].(*fyne.Container)
			texts.Objects[1].(*widget.Label).SetText(it.name)
			setSecondary(texts.Objects[0], it.context)
			texts.Refresh() // lay out again: the name's width changed
			box.Objects[1].(*badge).set(it.unread, 0, false)
		})
	s.list.OnSelected = func(i widget.ListItemID) { a.pickSwitch(s, i) }
	s.entry.OnChanged = func(string) { s.filter() }
	s.entry.OnSubmitted = func(string) { a.pickSwitch(s, 0) }
	s.filter()
	scroll := container.NewStack(s.list)
	d.setContent(container.NewBorder(s.entry, nil, nil, nil, container.NewGridWrap(fyne.NewSize(dialogWidth-40, 300), scroll)), widget.NewButton("Close", d.hide))
	d.createEntry = s.entry
	d.handles = s
	d.onClose = func() { a.switcher = nil }
	a.switcher = s
	d.show()
	a.focus(s.entry)
}

// filter keeps the items whose name, community or people contain the
// typed text.
func (s *switcher) filter() {
	q := strings.ToLower(strings.TrimSpace(s.entry.Text))
	s.matches = s.matches[:0]
	for _, it := range s.all {
		if q == "" || it.matches(q) {
			s.matches = append(s.matches, it)
		}
	}
	s.list.Refresh()
}

// matches reports whether lower-case q is in the item's name, community
// or the name of someone in it.
func (it switchItem) matches(q string) bool {
	if strings.Contains(strings.ToLower(it.name), q) || strings.Contains(strings.ToLower(it.context), q) {
		return true
	}
	return slices.ContainsFunc(it.people, func(n string) bool { return strings.Contains(strings.ToLower(n), q) })
}

func (a *App) pickSwitch(s *switcher, i int) {
	if i < 0 || i >= len(s.matches) {
		return
	}
	it := s.matches[i]
	s.d.hide()
	a.openGroup(it.community, it.group)
}
