package ui

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// home is the selected community's home: its name and description, the
// announcement group first, the groups the member is in, the groups they
// can join, suggestions and archived groups, and the community's actions.
type home struct {
	a    *App
	root *fyne.Container

	name        *widget.Label
	description *widget.Label
	departed    *widget.Label // who removed the member, or that they left
	inviteBtn   *widget.Button
	membersBtn  *widget.Button
	menuBtn     *widget.Button
	newGroupBtn *widget.Button
	actions     *fyne.Container // Invite (admins) and Members
	requestsBtn *widget.Button  // requests to join waiting for the member's decision
	header      *fyne.Container
	sections    *fyne.Container
	scroll      *container.Scroll
	hint        *widget.Label
	// rows maps group id to its row, for selection and tests.
	rows map[crdt.ID]*groupRow
	// gone: the rows were built for a member who is no longer in the
	// community (read-only, nothing to join).
	gone bool

	// newPrivateBtn starts a private conversation (private.go).
	newPrivateBtn *widget.Button
	// steps is the newcomer's first-steps card, nil when not shown (steps.go).
	steps *stepsCard
	// welcomes are the admins' Say welcome prompts shown (welcome.go).
	welcomes []*welcomePrompt
	team     *teamHome // the team sections (teamhome.go)
	// lists keeps what the steps and team sections show (teamhome.go).
	lists homeLists
}

func newHome(a *App) *home {
	h := &home{a: a, rows: map[crdt.ID]*groupRow{}}
	h.name = heading("")
	h.name.Truncation = fyne.TextTruncateEllipsis
	h.description = widget.NewLabel("")
	h.description.Wrapping = fyne.TextWrapWord
	h.departed = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	h.departed.Wrapping = fyne.TextWrapWord
	h.departed.Importance = widget.WarningImportance
	h.departed.Hide()
	h.inviteBtn = widget.NewButtonWithIcon("Invite", theme.ContentAddIcon(), func() { a.showInviteManager(a.community) })
	h.inviteBtn.Importance = widget.HighImportance
	h.membersBtn = widget.NewButtonWithIcon("Members", theme.AccountIcon(), func() { a.showMembers(a.community) })
	h.menuBtn = widget.NewButtonWithIcon("", theme.MoreVerticalIcon(), h.showMenu)
	h.menuBtn.Importance = widget.LowImportance
	h.newGroupBtn = widget.NewButtonWithIcon("New group", theme.ContentAddIcon(), func() { a.showCreateGroup(a.community) })
	h.newGroupBtn.Importance = widget.LowImportance
	h.actions = container.NewGridWithColumns(2, h.inviteBtn, h.membersBtn)
	h.requestsBtn = widget.NewButtonWithIcon("", theme.AccountIcon(), h.openRequests)
	h.requestsBtn.Importance = widget.WarningImportance
	h.requestsBtn.Hide()
	h.header = container.NewVBox(
		container.NewBorder(nil, nil, nil, h.menuBtn, h.name),
		h.description,
		h.departed,
		h.actions,
		h.requestsBtn,
		widget.NewSeparator())
	h.sections = container.NewVBox()
	h.scroll = container.NewVScroll(h.sections)
	h.hint = widget.NewLabel("Choose a community to see its groups.")
	h.hint.Wrapping = fyne.TextWrapWord
	h.hint.Alignment = fyne.TextAlignCenter
	h.hint.Importance = widget.LowImportance
	h.root = container.NewStack()
	return h
}

// show shows the home of the selected community.
func (h *home) show() {
	h.root.Objects = []fyne.CanvasObject{container.NewBorder(h.header, nil, nil, nil, h.scroll)}
	h.root.Refresh()
	h.refreshHeader()
}

// showHint shows the hint when no community is selected.
func (h *home) showHint() {
	h.root.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), h.hint, layout.NewSpacer())}
	h.root.Refresh()
}

// showProblem says why the groups cannot be shown.
func (h *home) showProblem(text string) {
	h.hint.SetText(text)
	h.showHint()
}

// refreshHeader shows the community's name, description and the actions
// the local member may take.
func (h *home) refreshHeader() {
	c, _ := h.a.selected()
	if c.ID.IsZero() {
		return
	}
	h.name.SetText(c.Name)
	if c.Description != "" {
		h.description.SetText(clampLines(c.Description, 6, 1100))
		h.description.Show()
	} else {
		h.description.Hide()
	}
	was := h.departed.Visible()
	if d := departedText(c); d != "" {
		h.departed.SetText(d + ". What was said before stays readable.")
		h.departed.Show()
	} else {
		h.departed.Hide()
	}
	wasReq := h.requestsBtn.Visible()
	if n := h.a.requests[c.ID].total(); n > 0 {
		h.requestsBtn.SetText(requestsText(n) + " to join · review")
		h.requestsBtn.Show()
	} else {
		h.requestsBtn.Hide()
	}
	if h.departed.Visible() != was || h.requestsBtn.Visible() != wasReq {
		h.root.Refresh() // the header's height changed
	}
	// Those who may invite see Invite beside Members; others the whole
	// row for Members.
	if c.CanInvite {
		h.actions.Layout = layout.NewGridLayoutWithColumns(2)
		h.actions.Objects = []fyne.CanvasObject{h.inviteBtn, h.membersBtn}
	} else {
		h.actions.Layout = layout.NewStackLayout()
		h.actions.Objects = []fyne.CanvasObject{h.membersBtn}
	}
	h.actions.Refresh()
}

// openRequests shows the requests waiting: the community's, else the
// first group's that has some.
func (h *home) openRequests() {
	cid := h.a.community
	p := h.a.requests[cid]
	if len(p.join) > 0 {
		h.a.showRequests(cid)
		return
	}
	for _, g := range h.a.groups {
		if len(p.groups[g.ID]) > 0 {
			h.a.showGroupSettings(cid, g.ID)
			return
		}
	}
}

// reload rebuilds the list of groups.
func (h *home) reload() {
	h.refreshHeader()
	gs := h.a.groups
	c, _ := h.a.selected()
	gone := departedText(c) != ""
	h.gone = gone
	h.lists.use(h.a.community)
	var ann, mine, joinable, suggested, archived, kept []api.Group
	for _, g := range gs {
		switch {
		case g.Kind == api.GroupPrivate: // in Direct messages
		case g.Kind == api.GroupAnnouncement:
			ann = append(ann, g)
		case gone:
			kept = append(kept, g) // read-only, with what this node holds
		case g.Suggested:
			suggested = append(suggested, g)
		case g.Archived:
			if g.Joined {
				archived = append(archived, g)
			}
		case g.Joined:
			mine = append(mine, g)
		default:
			joinable = append(joinable, g)
		}
	}
	clear(h.rows)
	objs := []fyne.CanvasObject{}
	if !gone {
		objs = append(objs, h.stepsSection()...)
	}
	section := func(title string, groups []api.Group) {
		if len(groups) == 0 {
			return
		}
		if title != "" {
			l := widget.NewLabelWithStyle(strings.ToUpper(title), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			l.SizeName = theme.SizeNameCaptionText
			l.Importance = widget.LowImportance
			objs = append(objs, l)
		}
		for _, g := range groups {
			r := h.newRow(g)
			h.rows[g.ID] = r
			objs = append(objs, r.box)
		}
	}
	section("", ann)
	section("Your groups", mine)
	section("Groups you can join", joinable)
	section("Suggested groups", suggested)
	section("Archived", archived)
	section("Groups", kept)
	if !gone {
		objs = append(objs, h.newGroupBtn)
	}
	objs = append(objs, h.privateSection()...)
	objs = h.withTeam(c, gone, objs) // teamhome.go
	h.sections.Objects = objs
	h.sections.Refresh()
	h.markSelected()
}

// markSelected highlights the open group's row.
func (h *home) markSelected() {
	for id, r := range h.rows {
		r.box.setSelected(id == h.a.group)
	}
}

// groupRow is one group in the home: icon, name (bold when unread),
// details, the unread badge, and for groups one can join, the button.
type groupRow struct {
	g      api.Group
	box    *tapBox
	name   *widget.Label
	detail *widget.RichText
	badge  *badge
	action *widget.Button // Join, Ask to join, Approve; nil when none
}

func (h *home) newRow(g api.Group) *groupRow {
	r := &groupRow{g: g}
	icon := theme.AccountIcon()
	switch {
	case g.Kind == api.GroupAnnouncement:
		icon = theme.VolumeUpIcon()
	case g.Archived:
		icon = theme.StorageIcon()
	case g.Policy == "approval":
		icon = theme.VisibilityIcon()
	}
	r.name = widget.NewLabel(g.Name)
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.name.TextStyle.Bold = g.Unread > 0 && !g.Muted
	c, _ := h.a.selected()
	gone := departedText(c) != ""
	var detail string
	switch {
	case g.Kind == api.GroupAnnouncement:
		detail = "Only admins post · everyone reads"
	case gone:
		detail = "Read-only"
	case g.Requested:
		detail = "Waiting for approval"
	case g.Denied:
		detail = "An admin declined your request"
	case !g.Joined && g.Policy == "approval":
		detail = memberCount(g.Members) + " · admins let people in"
	case !g.Joined:
		detail = memberCount(g.Members) + " · open to join"
	case g.Suggested:
		detail = "Waiting for an admin's approval"
	case g.Description != "":
		detail = ellipsize(g.Description, 140)
	default:
		detail = memberCount(g.Members)
	}
	if n := len(h.a.requests[h.a.community].groups[g.ID]); n > 0 {
		detail = requestsText(n) + " to join · " + detail
	}
	if g.Muted {
		detail = "🔕 " + detail
	}
	r.detail = secondary(detail)
	r.badge = newBadge()
	r.badge.set(g.Unread, g.Mentions, g.Muted)
	right := fyne.CanvasObject(r.badge)
	switch {
	case gone: // nothing to join or approve
	case g.CanApprove:
		r.action = widget.NewButton("Approve", func() { h.approve(g) })
	case g.CanAskToJoin:
		r.action = widget.NewButton("Ask to join", func() { h.a.joinGroup(g) })
	case g.CanJoinDirectly:
		r.action = widget.NewButton("Join", func() { h.a.joinGroup(g) })
	}
	if r.action != nil {
		right = r.action
	}
	texts := container.New(layout.NewCustomPaddedVBoxLayout(-theme.Padding()*2), r.name, r.detail)
	content := container.NewBorder(nil, nil, container.NewCenter(widget.NewIcon(icon)), container.NewCenter(right), texts)
	r.box = newTapBox(content, func() { h.a.selectGroup(g.ID) })
	return r
}

// approve makes a member's suggested group a real one (admins).
func (h *home) approve(g api.Group) {
	cid := h.a.community
	h.a.act("Could not approve "+g.Name, func(ctx context.Context) error {
		return h.a.b.UpdateGroup(ctx, cid, g.ID, api.GroupSettings{Name: g.Name, Description: g.Description, Policy: g.Policy, Approve: true})
	}, h.a.reloadGroups)
}

// showMenu is the community's ⋮ menu.
func (h *home) showMenu() {
	menu := h.menu()
	h.a.convo.lastMenu = menu
	widget.ShowPopUpMenuAtPosition(menu, h.a.win.Canvas(),
		fyne.CurrentApp().Driver().AbsolutePositionForObject(h.menuBtn).Add(fyne.NewPos(0, h.menuBtn.Size().Height)))
}

func (h *home) menu() *fyne.Menu {
	a := h.a
	cid := a.community
	items := []*fyne.MenuItem{
		fyne.NewMenuItem("Members and safety numbers", func() { a.showMembers(cid) }),
	}
	c, _ := a.selected()
	if c.CanInvite {
		items = append(items, fyne.NewMenuItem("Invite links", func() { a.showInviteManager(cid) }))
	}
	if c.CanDecideJoins {
		requests := "Join requests"
		if rs, err := a.b.JoinRequests(cid); err == nil && len(rs) > 0 {
			requests = fmt.Sprintf("Join requests (%d)", len(rs))
		}
		items = append(items, fyne.NewMenuItem(requests, func() { a.showRequests(cid) }))
	}
	if c.CanEditSettings {
		items = append(items, fyne.NewMenuItem("Community settings", func() { a.showCommunitySettings(cid) }))
	}
	items = append(items, fyne.NewMenuItem("Relays", func() { a.showRelays(cid) }))
	if c.CanOrderGroups {
		items = append(items, fyne.NewMenuItem("Order of groups", func() { a.showGroupOrder(cid) }))
	}
	if c.CanSeeAudit {
		items = append(items, fyne.NewMenuItem("Audit log", func() { a.showAudit(cid) }))
	}
	if fs, err := a.b.Steps(cid); err == nil {
		if fs.CanEdit {
			items = append(items, fyne.NewMenuItem("First steps", func() { a.showStepsEditor(cid) }))
		}
		if fs.SeesNewcomers {
			items = append(items, fyne.NewMenuItem("Newcomers", func() { a.showNewcomers(cid) }))
			items = append(items, fyne.NewMenuItem("Team tree", func() { a.showTeamTree(cid) }))
		}
	}
	items = append(items, fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem("Leave community", func() {
			a.confirmAction("Leave "+c.Name+"?", "You leave the community and all its groups. What was said stays readable on this computer, and you can come back with a new invite.", "Leave", func() {
				a.act("Could not leave "+c.Name, func(ctx context.Context) error { return a.b.LeaveCommunity(ctx, cid) }, a.reloadCommunities)
			})
		}))
	return fyne.NewMenu("", items...)
}

// showGroupMenu is a group's ⋮ menu: mute, search, info, its settings,
// leave.
func (a *App) showGroupMenu(g api.Group, from fyne.CanvasObject) {
	menu := a.groupMenu(g)
	a.convo.lastMenu = menu
	widget.ShowPopUpMenuAtPosition(menu, a.win.Canvas(),
		fyne.CurrentApp().Driver().AbsolutePositionForObject(from).Add(fyne.NewPos(0, from.Size().Height)))
}

func (a *App) groupMenu(g api.Group) *fyne.Menu {
	cid := a.community
	mute := "Mute notifications"
	if g.Muted {
		mute = "Unmute notifications"
	}
	items := []*fyne.MenuItem{
		fyne.NewMenuItem(mute, func() { a.setMuted(g, !g.Muted) }),
		fyne.NewMenuItem(searchLabel(g), a.convo.toggleSearch),
		fyne.NewMenuItem(infoLabel(g), func() { a.setInfoShown(true) }),
		fyne.NewMenuItem("Files", func() { a.showFiles(cid, g.ID) }),
	}
	if g.CanEdit && g.Kind != api.GroupAnnouncement {
		items = append(items, fyne.NewMenuItem("Group settings", func() { a.showGroupSettings(cid, g.ID) }))
	}
	if g.Joined && g.Kind != api.GroupAnnouncement && g.Policy != "everyone" {
		items = append(items, fyne.NewMenuItemSeparator(), fyne.NewMenuItem(leaveLabel(g), func() { a.confirmLeaveGroup(g) }))
	}
	return fyne.NewMenu("", items...)
}

// confirmLeaveGroup asks, then leaves group g.
func (a *App) confirmLeaveGroup(g api.Group) {
	cid := a.community
	a.confirmAction("Leave "+g.Name+"?", leaveText(g), "Leave", func() {
		a.act("Could not leave "+g.Name, func(ctx context.Context) error { return a.b.LeaveGroup(ctx, cid, g.ID) }, a.reloadGroups)
	})
}

// setMuted mutes or unmutes a group's notifications.
func (a *App) setMuted(g api.Group, muted bool) {
	cid := a.community
	a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return a.b.SetMuted(ctx, cid, g.ID, muted)
	}, func(err error) {
		if err != nil {
			a.showError("Could not change the notifications", err)
		}
		// Either way, so a check box that was ticked shows what is so.
		a.reloadGroups()
		if a.infoShown {
			a.info.refresh()
		}
	})
}
