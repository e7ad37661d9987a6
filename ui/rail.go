package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// rail is the left column: your communities with their unread counts, the
// buttons to create or join one, who you are (a click away from your
// profile and safety number), and the network indicator.
type rail struct {
	a         *App
	root      fyne.CanvasObject
	list      *widget.List
	netStatus *widget.RichText
	newButton *widget.Button
	joinBtn   *widget.Button
	me        *tapBox // your avatar and name; tapping shows your profile
	sent      *sentRequests
	selecting bool
}

func newRail(a *App) *rail {
	r := &rail{a: a, sent: newSentRequests(a)}
	r.list = widget.NewList(
		func() int { return len(a.communities) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("Community", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			sub := secondary("")
			return container.NewBorder(nil, nil, newAvatar("C", "", 36), newBadge(),
				container.NewVBox(name, sub))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			if i >= len(a.communities) {
				return
			}
			c := a.communities[i]
			box := o.(*fyne.Container)
			texts := box.Objects[0].(*fyne.Container)
			texts.Objects[0].(*widget.Label).SetText(c.Name)
			detail := memberCount(c.Members) + " · " + communityRole(c)
			reqs := a.requests[c.ID].total()
			if reqs > 0 { // in place of the member count: the rail is narrow
				detail = communityRole(c) + " · " + requestsText(reqs)
			}
			setSecondary(texts.Objects[1], detail)
			box.Objects[1].(*avatar).set(c.Name, c.ID.String(), false)
			box.Objects[1].(*avatar).setPicture(c.Icon)
			box.Objects[2].(*badge).set(c.Unread+reqs, c.Mentions, false)
		})
	r.list.OnSelected = func(i widget.ListItemID) {
		if !r.selecting && i < len(a.communities) {
			a.selectCommunity(a.communities[i].ID)
		}
	}
	r.newButton = widget.NewButtonWithIcon("New community", theme.ContentAddIcon(), a.showCreateCommunity)
	r.joinBtn = widget.NewButtonWithIcon("Join with a link", theme.MailComposeIcon(), func() { a.showJoin("") })
	r.me = newTapBox(newSelfRow(a), a.showProfile)
	r.netStatus = secondary("")
	title := heading("Communities")
	bg := newFill(colorNameRail)
	r.root = container.NewStack(bg, container.NewBorder(
		container.NewVBox(title, widget.NewSeparator()),
		container.NewVBox(r.sent.box, widget.NewSeparator(), r.newButton, r.joinBtn, widget.NewSeparator(),
			r.me, r.netStatus),
		nil, nil, r.list))
	return r
}

// roleTag is the one word the app uses for a role, wherever it shows
// one: the rail, the members list, the info pane, message badges (in
// capitals) and the audit log. A community's owner is its "Leader", the
// word a direct-selling team uses; the CLI keeps the protocol's words.
func roleTag(role string) string {
	switch role {
	case "owner":
		return "Leader"
	case "admin":
		return "Admin"
	}
	return "Member"
}

// hasRoleTag reports whether a role shows its tag beside a name: leaders
// and admins do, members do not.
func hasRoleTag(role string) bool { return role == "owner" || role == "admin" }

// roleName is how the local member's role, or their state when they
// hold none, reads in the rail and member lists.
func roleName(role string) string {
	switch role {
	case "owner", "admin", "member":
		return roleTag(role)
	case "none":
		return "left"
	case api.RoleRequested:
		return "waiting for approval"
	}
	return roleTag(role)
}

// communityRole is how the local member's place in c reads in the rail.
func communityRole(c api.Community) string {
	switch {
	case c.Removed:
		return "removed"
	case c.Left:
		return "left"
	case c.JoinUndone:
		return "join undone"
	}
	return roleName(c.Role)
}

// departedText says, in place of the composer, that the local member is
// no longer in community c: who removed them, or that they left; "" while
// they are a member (or wait for approval).
func departedText(c api.Community) string {
	switch {
	case c.Removed && c.RemovedBy != "":
		return "You were removed from " + c.Name + " by " + c.RemovedBy
	case c.Removed:
		return "You were removed from " + c.Name
	case c.Left:
		return "You left " + c.Name
	case c.JoinUndone:
		return "Your join of " + c.Name + " was undone: the link you used stopped working while you joined. Ask an admin for a new link."
	case c.Role == "none":
		return "You are no longer a member of " + c.Name
	}
	return ""
}

// reload shows the communities again, keeping the selection.
func (r *rail) reload() {
	r.list.Refresh()
	r.sent.reload()
	r.selectCommunity(r.a.community)
}

// refresh re-reads unread counts (after new messages).
func (r *rail) refresh() {
	r.a.communities = r.a.b.Communities()
	r.list.Refresh()
	r.a.showUnreadInTitle()
}

// selectCommunity marks community id as selected without re-selecting it.
func (r *rail) selectCommunity(id crdt.ID) {
	r.selecting = true
	defer func() { r.selecting = false }()
	for i, c := range r.a.communities {
		if c.ID == id {
			r.list.Select(i)
			return
		}
	}
	r.list.UnselectAll()
}

func (r *rail) setStatus(text string) { setSecondary(r.netStatus, text) }

// profileHelp explains, in your profile, what your safety number is for.
const profileHelp = "Your safety number proves who you are. When someone wants to check it is really you, read it to them in person or on a call: they compare it with the number under your name in their members list. If the numbers match, nobody is in between."

// showProfile shows who you are: your name, your safety number and how
// someone compares it with theirs.
func (a *App) showProfile() {
	d := a.newDialog("Your profile", nil)
	name := widget.NewLabelWithStyle(a.self.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	label := secondary("Safety number")
	sn := widget.NewRichText(&widget.TextSegment{Text: twoLines(safetyText(a.self.SafetyNumber)),
		Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}}})
	av := newAvatar(a.self.Name, a.self.PeerID, 40)
	av.setPicture(a.self.Photo)
	body := container.NewVBox(
		container.NewBorder(nil, nil, av, nil, name),
		label, sn, hint(profileHelp))
	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel = closeBtn
	change := widget.NewButton("Change name", func() { a.changeName(d) })
	d.handles = &profileHandles{change: change, photo: av}
	body.Add(a.photoButtons(d))
	d.setContent(body, change, closeBtn)
	d.show()
}
