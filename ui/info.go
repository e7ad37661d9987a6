package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// infoPane is the right-hand pane: the open group's details (what it is
// for, who may join, how many are in it, notifications) and its members
// with their roles, whether they are online, and their safety numbers;
// admins act on members from each member's menu.
type infoPane struct {
	a    *App
	root *fyne.Container

	header   *widget.Label // "Group info" or "Conversation info"
	title    *widget.Label
	about    *widget.Label
	policy   *widget.RichText
	mute     *widget.Check
	settings *widget.Button
	leave    *widget.Button
	add      *widget.Button // Add members (groupmembers.go)
	count    *widget.Label
	list     *widget.List
	members  []api.Member
	setting  bool // mute is being set from the group, not by the member
}

func newInfoPane(a *App) *infoPane {
	p := &infoPane{a: a}
	p.header = widget.NewLabelWithStyle("Group info", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.title = heading("")
	p.title.Wrapping = fyne.TextWrapWord
	p.about = widget.NewLabel("")
	p.about.Wrapping = fyne.TextWrapWord
	p.policy = secondary("")
	p.policy.Wrapping, p.policy.Truncation = fyne.TextWrapWord, fyne.TextTruncateOff
	p.mute = widget.NewCheck("Mute notifications", func(on bool) {
		if p.setting {
			return
		}
		_, g := a.selected()
		a.setMuted(g, on)
	})
	p.settings = widget.NewButtonWithIcon("Group settings", theme.SettingsIcon(), func() { a.showGroupSettings(a.community, a.group) })
	p.leave = widget.NewButtonWithIcon("Leave group", theme.LogoutIcon(), func() {
		_, g := a.selected()
		a.confirmLeaveGroup(g)
	})
	p.leave.Importance = widget.DangerImportance
	p.add = widget.NewButtonWithIcon("Add members", theme.ContentAddIcon(), func() {
		_, g := a.selected()
		a.showAddMembers(a.community, g)
	})
	p.count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	p.list = widget.NewList(func() int { return len(p.members) }, p.newMemberRow, p.bindMember)
	p.list.OnSelected = func(widget.ListItemID) { p.list.UnselectAll() }
	closeBtn := widget.NewButtonWithIcon("", theme.CancelIcon(), func() { a.setInfoShown(false) })
	closeBtn.Importance = widget.LowImportance
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, closeBtn, p.header),
		widget.NewSeparator(), p.title, p.about, p.policy, p.mute, p.settings, p.leave, widget.NewSeparator(), p.add, p.count)
	p.root = container.NewBorder(top, nil, nil, nil, p.list)
	return p
}

// newMemberRow is a member: avatar with an online dot, name and role,
// safety number, and the admin's menu button.
func (p *infoPane) newMemberRow() fyne.CanvasObject {
	name := widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	// The role stands apart so that a long name, not the role, is cut.
	role := widget.NewLabelWithStyle("", fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	safety := widget.NewRichText(&widget.TextSegment{Text: "00000 00000 00000\n00000 00000 00000", Style: widget.RichTextStyle{SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Monospace: true}}})
	menu := widget.NewButtonWithIcon("", theme.MoreHorizontalIcon(), nil)
	menu.Importance = widget.LowImportance
	texts := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*3), container.NewBorder(nil, nil, nil, role, name), safety)
	return container.NewBorder(nil, nil, newAvatar("", "", 32), menu, texts)
}

func (p *infoPane) bindMember(i widget.ListItemID, o fyne.CanvasObject) {
	if i >= len(p.members) {
		return
	}
	m := p.members[i]
	box := o.(*fyne.Container)
	// Lay the row out again at the end: a recycled row had another name,
	// role and menu button.
	defer box.Refresh()
	texts := box.Objects[0].(*fyne.Container)
	name := m.Name
	if m.PeerID == p.a.self.PeerID {
		name += " (you)"
	}
	nameRow := texts.Objects[0].(*fyne.Container)
	nameRow.Objects[0].(*widget.Label).SetText(name)
	role := nameRow.Objects[1].(*widget.Label)
	if m.Role != "member" {
		role.SetText(roleName(m.Role))
		role.Show()
	} else {
		role.Hide()
	}
	safety := texts.Objects[1].(*widget.RichText)
	safety.Segments[0].(*widget.TextSegment).Text = twoLines(safetyText(p.a.safetyOf(m, func() { p.list.RefreshItem(i) })))
	safety.Refresh()
	box.Objects[1].(*avatar).set(m.Name, m.PeerID, m.Online)
	box.Objects[1].(*avatar).setPicture(m.Photo)
	btn := box.Objects[2].(*widget.Button)
	actions := p.menuOf(m)
	if len(actions) == 0 {
		btn.Hide()
		return
	}
	btn.Show()
	btn.OnTapped = func() {
		menu := fyne.NewMenu("", p.menuOf(m)...)
		p.a.convo.lastMenu = menu
		widget.ShowPopUpMenuAtPosition(menu, p.a.win.Canvas(),
			fyne.CurrentApp().Driver().AbsolutePositionForObject(btn).Add(fyne.NewPos(0, btn.Size().Height)))
	}
}

// menuOf is member m's menu in the open group's pane: the community's
// member menu, and Remove from the group.
func (p *infoPane) menuOf(m api.Member) []*fyne.MenuItem {
	items := p.a.memberMenu(p.a.community, m)
	_, g := p.a.selected()
	if it := p.a.groupMemberItem(p.a.community, g, m); it != nil {
		if len(items) > 0 {
			items = append(items, fyne.NewMenuItemSeparator())
		}
		items = append(items, it)
	}
	return items
}

// refresh shows the open group again.
func (p *infoPane) refresh() {
	if !p.a.infoShown {
		return
	}
	c, g := p.a.selected()
	p.header.SetText(infoLabel(g))
	if g.ID.IsZero() {
		p.title.SetText(c.Name)
		p.about.SetText("Open a group to see who is in it.")
		p.policy.Hide()
		p.mute.Hide()
		p.settings.Hide()
		p.leave.Hide()
		p.add.Hide()
		p.members = nil
		p.count.SetText("")
		p.list.Refresh()
		return
	}
	p.title.SetText(g.Name)
	about := g.Description
	if about == "" && g.Kind == api.GroupAnnouncement {
		about = "News, promotions and recognition from the team's leaders."
	}
	p.about.SetText(clampLines(about, 12, 1200))
	p.about.Hidden = about == ""
	var policy string
	switch {
	case g.Kind == api.GroupAnnouncement:
		policy = "Every member is here. Only admins post; everyone can react."
	case g.Kind == api.GroupPrivate:
		policy = privatePolicy
	case g.Policy == "everyone":
		policy = "Every member of " + c.Name + " is in this group."
	case g.Policy == "approval":
		policy = "Admins let people in: members ask to join."
	default:
		policy = "Any member of " + c.Name + " can join."
	}
	if g.Archived {
		policy += " Archived: read-only."
	}
	setSecondary(p.policy, policy)
	p.policy.Show()
	p.setting = true
	p.mute.SetChecked(g.Muted)
	p.setting = false
	p.mute.Hidden = !g.Joined
	p.settings.Hidden = !g.CanEdit || g.Kind == api.GroupAnnouncement
	p.leave.Hidden = !g.Joined || g.Kind == api.GroupAnnouncement || g.Policy == "everyone"
	p.leave.SetText(leaveLabel(g))
	p.add.Hidden = !g.CanAddMembers
	ms, err := p.a.b.GroupMembers(p.a.community, g.ID)
	if err != nil {
		p.members = nil
		p.count.SetText("Could not list the members: " + explain(err))
	} else {
		p.members = ms
		p.count.SetText(memberCount(len(ms)))
	}
	p.list.Refresh()
	p.root.Refresh()
}

// refreshOnline re-reads who is online.
func (p *infoPane) refreshOnline() {
	if p.a.infoShown && !p.a.group.IsZero() {
		p.refresh()
	}
}

// toggleInfo shows or hides the info pane (Ctrl+I, the ⓘ button).
func (a *App) toggleInfo() { a.setInfoShown(!a.infoShown) }

func (a *App) setInfoShown(on bool) {
	a.infoShown = on
	if on {
		a.info.root.Show()
		a.inner.Offset = 0.64
		a.info.refresh()
	} else {
		a.info.root.Hide()
		a.inner.Offset = 1
	}
	a.inner.Refresh()
}

// twoLines breaks a safety number's six groups into two lines of three,
// so it fits a narrow pane.
func twoLines(sn string) string {
	g := strings.Fields(sn)
	if len(g) != 6 {
		return sn
	}
	return strings.Join(g[:3], " ") + "\n" + strings.Join(g[3:], " ")
}

// safetyText is what a members list shows for safety number sn: the
// node leaves it empty while it computes it (a big community just after
// start), and the list is read again when it has.
func safetyText(sn string) string {
	if sn == "" {
		return "Safety number: working it out…"
	}
	return sn
}
