package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// rail is the left column: your communities with their unread counts, the
// buttons to create or join one, who you are (with your safety number),
// and the network indicator.
type rail struct {
	a         *App
	root      fyne.CanvasObject
	list      *widget.List
	netStatus *widget.RichText
	newButton *widget.Button
	joinBtn   *widget.Button
	selecting bool
}

func newRail(a *App) *rail {
	r := &rail{a: a}
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
			setSecondary(texts.Objects[1], memberCount(c.Members)+" · "+communityRole(c))
			box.Objects[1].(*avatar).set(c.Name, c.ID.String(), false)
			box.Objects[2].(*badge).set(c.Unread, c.Mentions, false)
		})
	r.list.OnSelected = func(i widget.ListItemID) {
		if !r.selecting && i < len(a.communities) {
			a.selectCommunity(a.communities[i].ID)
		}
	}
	r.newButton = widget.NewButtonWithIcon("New community", theme.ContentAddIcon(), a.showCreateCommunity)
	r.joinBtn = widget.NewButtonWithIcon("Join with a link", theme.MailComposeIcon(), func() { a.showJoin("") })
	me := widget.NewLabelWithStyle(a.self.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	me.Truncation = fyne.TextTruncateEllipsis
	safety := secondary("Safety number " + a.self.SafetyNumber)
	safety.Truncation, safety.Wrapping = fyne.TextTruncateOff, fyne.TextWrapWord
	r.netStatus = secondary("")
	title := heading("Communities")
	bg := newFill(colorNameRail)
	r.root = container.NewStack(bg, container.NewBorder(
		container.NewVBox(title, widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), r.newButton, r.joinBtn, widget.NewSeparator(),
			container.NewBorder(nil, nil, newAvatar(a.self.Name, a.self.PeerID, 30), nil, me), safety, r.netStatus),
		nil, nil, r.list))
	return r
}

// roleName is how a role reads in the rail and member lists.
func roleName(role string) string {
	switch role {
	case "owner":
		return "owner"
	case "admin":
		return "admin"
	case "none":
		return "left"
	case node.RoleRequested:
		return "waiting for approval"
	}
	return "member"
}

// communityRole is how the local member's place in c reads in the rail.
func communityRole(c node.Community) string {
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
func departedText(c node.Community) string {
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
