package ui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/node"
)

// App is the main window's content bound to one backend. Its fields are
// touched only on the UI goroutine.
type App struct {
	win  fyne.Window
	b    Backend
	self node.Self
	now  func() time.Time
	// spawn runs blocking work off the UI goroutine; tests run it inline.
	spawn func(func())
	// afterEvent, when set, is called on the UI goroutine after each
	// backend event is handled (a test hook).
	afterEvent func(node.Event)

	communities []node.Community
	groups      []node.Group
	messages    []node.Message
	community   crdt.ID // selected community; zero when none
	group       crdt.ID // selected group; zero when none

	root          *fyne.Container
	communityList *widget.List
	groupList     *widget.List
	groupPane     *fyne.Container
	groupHeader   *fyne.Container
	groupHint     *widget.RichText
	communityName *widget.Label
	inviteButton  *widget.Button
	membersButton *widget.Button
	netStatus     *widget.RichText // online, syncing or offline
	convo         *conversation
	lastDialog    *dlg // the most recently opened dialog
	unsubscribe   func()
	done          chan struct{}
}

// New builds the main screen for backend b in window w and starts
// listening to b's events. Call Close when the window closes.
func New(w fyne.Window, b Backend) *App {
	a := &App{win: w, b: b, self: b.Self(), now: time.Now, spawn: func(f func()) { go f() }, done: make(chan struct{})}
	a.build()
	events, cancel := b.Subscribe()
	a.unsubscribe = cancel
	go a.listen(events)
	go a.tickStatus()
	a.reloadCommunities()
	a.refreshStatus()
	return a
}

// Content returns the screen's root object.
func (a *App) Content() fyne.CanvasObject { return a.root }

// Close stops listening to the backend.
func (a *App) Close() {
	if a.unsubscribe != nil {
		a.unsubscribe()
		a.unsubscribe = nil
		<-a.done
	}
}

// listen forwards backend events to the UI goroutine.
func (a *App) listen(events <-chan node.Event) {
	defer close(a.done)
	for ev := range events {
		fyne.Do(func() { a.handle(ev) })
	}
}

// tickStatus refreshes the network indicator every few seconds as well, as
// a busy node may drop events a slow subscriber did not read.
func (a *App) tickStatus() {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.done:
			return
		case <-t.C:
			fyne.Do(a.refreshStatus)
		}
	}
}

func (a *App) handle(ev node.Event) {
	switch ev.Kind {
	case node.EventCommunities:
		a.reloadCommunities()
	case node.EventGroups:
		if ev.Community == a.community {
			a.reloadGroups()
		}
	case node.EventMessages:
		if ev.Community == a.community && ev.Group == a.group {
			a.convo.reload(false)
		}
	case node.EventPeers:
		a.refreshStatus()
	}
	if a.afterEvent != nil {
		a.afterEvent(ev)
	}
}

func (a *App) build() {
	a.communityList = widget.NewList(
		func() int { return len(a.communities) },
		func() fyne.CanvasObject {
			name := widget.NewLabelWithStyle("Community", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			name.Truncation = fyne.TextTruncateEllipsis
			return container.NewVBox(name, secondary(""))
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			c := a.communities[i]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(c.Name)
			setSecondary(box.Objects[1], memberCount(c.Members)+" · "+c.Role)
		})
	a.communityList.OnSelected = func(i widget.ListItemID) { a.selectCommunity(a.communities[i].ID) }

	newButton := widget.NewButtonWithIcon("New community", theme.ContentAddIcon(), a.showCreateCommunity)
	joinButton := widget.NewButtonWithIcon("Join with link", theme.MailComposeIcon(), a.showJoin)
	me := widget.NewLabelWithStyle(a.self.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	me.Truncation = fyne.TextTruncateEllipsis
	peer := secondary("Your id " + shortPeer(a.self.PeerID))
	safety := secondary("Safety number " + a.self.SafetyNumber)
	safety.Truncation, safety.Wrapping = fyne.TextTruncateOff, fyne.TextWrapWord
	a.netStatus = secondary("")
	rail := container.NewBorder(
		container.NewVBox(heading("Communities"), widget.NewSeparator()),
		container.NewVBox(widget.NewSeparator(), newButton, joinButton, widget.NewSeparator(), me, peer, safety, a.netStatus),
		nil, nil, a.communityList)

	a.groupList = widget.NewList(
		func() int { return len(a.groups) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("group")
			l.Truncation = fyne.TextTruncateEllipsis
			return container.NewBorder(nil, nil, widget.NewIcon(theme.AccountIcon()), nil, l)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			g := a.groups[i]
			box := o.(*fyne.Container)
			icon := theme.AccountIcon()
			if g.Kind == node.GroupAnnouncement {
				icon = theme.VolumeUpIcon()
			}
			for _, o := range box.Objects {
				switch v := o.(type) {
				case *widget.Icon:
					v.SetResource(icon)
				case *widget.Label:
					v.SetText(g.Name)
				}
			}
		})
	a.groupList.OnSelected = func(i widget.ListItemID) { a.selectGroup(a.groups[i].ID) }
	a.communityName = heading("")
	a.communityName.Truncation = fyne.TextTruncateEllipsis
	a.inviteButton = widget.NewButtonWithIcon("Invite people", theme.ContentAddIcon(), a.showInvite)
	a.inviteButton.Importance = widget.HighImportance
	a.membersButton = widget.NewButtonWithIcon("Members", theme.AccountIcon(), a.showMembers)
	a.groupHeader = container.NewVBox(a.communityName, container.NewGridWithColumns(2, a.inviteButton, a.membersButton), widget.NewSeparator())
	a.groupHint = secondary("Choose a community to see its groups.")
	a.groupHint.Truncation = fyne.TextTruncateOff
	a.groupHint.Wrapping = fyne.TextWrapWord
	a.groupPane = container.NewBorder(a.groupHeader, nil, nil, nil, a.groupList)

	a.convo = newConversation(a)
	inner := container.NewHSplit(a.groupPane, a.convo.root)
	inner.Offset = 0.28
	outer := container.NewHSplit(rail, inner)
	outer.Offset = 0.22
	a.root = container.NewStack(outer)
	a.showCommunityPane(false)
}

// refreshStatus shows whether the node is online, syncing or offline, and
// how many peers it reaches directly or through a relay.
func (a *App) refreshStatus() {
	setSecondary(a.netStatus, statusText(a.b.Status()))
}

// statusText is the indicator's wording for st.
func statusText(st node.Status) string {
	relayed := 0
	for _, p := range st.Peers {
		if p.Relayed {
			relayed++
		}
	}
	peers := fmt.Sprintf("%d peers", len(st.Peers))
	if len(st.Peers) == 1 {
		peers = "1 peer"
	}
	if relayed > 0 {
		peers += fmt.Sprintf(", %d through a relay", relayed)
	}
	switch st.Network {
	case "syncing":
		return "◐ Syncing · " + peers
	case "online":
		return "● Online · " + peers
	default:
		return "○ Offline · messages go out when you reconnect"
	}
}

// secondary is dimmed, smaller text for details.
func secondary(text string) *widget.RichText {
	rt := widget.NewRichText(&widget.TextSegment{Text: text, Style: secondaryStyle(false)})
	rt.Truncation = fyne.TextTruncateEllipsis
	return rt
}

func setSecondary(o fyne.CanvasObject, text string) {
	rt := o.(*widget.RichText)
	rt.Segments[0].(*widget.TextSegment).Text = text
	rt.Refresh()
}

func heading(text string) *widget.Label {
	l := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	l.SizeName = theme.SizeNameSubHeadingText
	return l
}

func memberCount(n int) string {
	if n == 1 {
		return "1 member"
	}
	return fmt.Sprintf("%d members", n)
}

func shortPeer(p string) string {
	if len(p) > 12 {
		return "…" + p[len(p)-8:]
	}
	return p
}

// showCommunityPane shows the groups pane, or a welcome when no community
// is selected.
func (a *App) showCommunityPane(selected bool) {
	if selected {
		a.groupPane.Objects = []fyne.CanvasObject{a.groupList, a.groupHeader}
		a.groupPane.Refresh()
		a.convo.showEmpty("Choose a group to start reading.")
		return
	}
	a.groupPane.Objects = []fyne.CanvasObject{container.NewVBox(layout.NewSpacer(), a.groupHint, layout.NewSpacer())}
	a.groupPane.Refresh()
	if len(a.communities) == 0 {
		a.convo.showWelcome()
	} else {
		a.convo.showEmpty("Choose a community on the left.")
	}
}

func (a *App) reloadCommunities() {
	a.communities = a.b.Communities()
	a.communityList.Refresh()
	found := false
	for i, c := range a.communities {
		if c.ID == a.community {
			found = true
			a.communityList.Select(i)
			a.communityName.SetText(c.Name)
		}
	}
	if !found && !a.community.IsZero() {
		a.community, a.group = crdt.ID{}, crdt.ID{}
	}
	if a.community.IsZero() {
		a.showCommunityPane(false)
	} else if !a.group.IsZero() {
		a.convo.updateHeader()
	}
}

func (a *App) selectCommunity(id crdt.ID) {
	if id == a.community {
		return
	}
	a.community, a.group = id, crdt.ID{}
	for _, c := range a.communities {
		if c.ID == id {
			a.communityName.SetText(c.Name)
		}
	}
	a.showCommunityPane(true)
	a.reloadGroups()
}

func (a *App) reloadGroups() {
	gs, err := a.b.Groups(a.community)
	if err != nil {
		a.showError("Could not load the groups", err)
		return
	}
	a.groups = gs
	a.groupList.UnselectAll()
	a.groupList.Refresh()
	for i, g := range a.groups {
		if g.ID == a.group {
			a.groupList.Select(i)
		}
	}
}

func (a *App) selectGroup(id crdt.ID) {
	if id == a.group {
		return
	}
	a.group = id
	a.convo.open()
}

// selected returns the selected community and group summaries.
func (a *App) selected() (node.Community, node.Group) {
	var c node.Community
	var g node.Group
	for _, x := range a.communities {
		if x.ID == a.community {
			c = x
		}
	}
	for _, x := range a.groups {
		if x.ID == a.group {
			g = x
		}
	}
	return c, g
}

func (a *App) showError(what string, err error) {
	a.showErrorText(what, err.Error())
}

func (a *App) showErrorText(what, detail string) {
	d := a.newDialog(what, nil)
	msg := widget.NewLabel(capitalize(detail))
	msg.Wrapping = fyne.TextWrapWord
	d.setContent(msg, widget.NewButton("OK", d.hide))
	d.show()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// background runs work off the UI goroutine and then done on it.
func (a *App) background(work func() error, done func(error)) {
	a.spawn(func() {
		err := work()
		fyne.Do(func() { done(err) })
	})
}

func (a *App) showCreateCommunity() {
	d := a.newDialog("New community", nil)
	name := widget.NewEntry()
	name.SetPlaceHolder("e.g. Glow Team — Spring Launch")
	errLabel := errorLabel()
	var create *widget.Button
	create = widget.NewButton("Create", func() {
		n := strings.TrimSpace(name.Text)
		if n == "" {
			errLabel.SetText("Give your community a name.")
			errLabel.Show()
			return
		}
		create.Disable()
		var c node.Community
		a.background(func() (err error) {
			c, err = a.b.CreateCommunity(context.Background(), n)
			return err
		}, func(err error) {
			create.Enable()
			if err != nil {
				errLabel.SetText(capitalize(err.Error()))
				errLabel.Show()
				return
			}
			d.hide()
			a.reloadCommunities()
			a.selectCommunityByID(c.ID)
		})
	})
	create.Importance = widget.HighImportance
	name.OnSubmitted = func(string) { create.OnTapped() }
	intro := widget.NewLabel("A community holds your team's announcements and groups. You will be its owner.")
	intro.Wrapping = fyne.TextWrapWord
	d.setContent(container.NewVBox(intro, name, errLabel), widget.NewButton("Cancel", d.hide), create)
	d.createEntry, d.confirm = name, create
	d.show()
	a.win.Canvas().Focus(name)
}

func (a *App) selectCommunityByID(id crdt.ID) {
	for i, c := range a.communities {
		if c.ID == id {
			a.communityList.Select(i)
		}
	}
}

func errorLabel() *widget.Label {
	l := widget.NewLabel("")
	l.Importance = widget.DangerImportance
	l.Wrapping = fyne.TextWrapWord
	l.Hide()
	return l
}

func (a *App) showJoin() {
	d := a.newDialog("Join a community", nil)
	link := widget.NewMultiLineEntry()
	link.Wrapping = fyne.TextWrapBreak
	link.SetPlaceHolder("Paste the invite link you received (umbrella://join/…)")
	link.SetMinRowsVisible(4)
	errLabel := errorLabel()
	progress := widget.NewProgressBarInfinite()
	progress.Stop()
	progress.Hide()
	status := widget.NewLabel("")
	status.Hide()
	var join *widget.Button
	join = widget.NewButton("Join", func() {
		text := strings.TrimSpace(link.Text)
		if text == "" {
			errLabel.SetText("Paste an invite link first.")
			errLabel.Show()
			return
		}
		errLabel.Hide()
		join.Disable()
		link.Disable()
		progress.Show()
		progress.Start()
		status.SetText("Connecting to the community and catching up…")
		status.Show()
		var c node.Community
		a.background(func() (err error) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			c, err = a.b.Join(ctx, text)
			return err
		}, func(err error) {
			progress.Stop()
			progress.Hide()
			status.Hide()
			join.Enable()
			link.Enable()
			if err != nil {
				errLabel.SetText("Could not join: " + err.Error())
				errLabel.Show()
				return
			}
			d.hide()
			a.reloadCommunities()
			a.selectCommunityByID(c.ID)
		})
	})
	join.Importance = widget.HighImportance
	d.setContent(container.NewVBox(link, progress, status, errLabel), widget.NewButton("Cancel", d.hide), join)
	d.createEntry, d.confirm = link, join
	d.show()
	a.win.Canvas().Focus(link)
}

// showMembers lists the community's members with their safety numbers:
// two people who read each other's number aloud (in person or on a call)
// and find it matches what their own app shows know no one sits between
// them.
func (a *App) showMembers() {
	c, _ := a.selected()
	d := a.newDialog("Members of "+c.Name, nil)
	ms, err := a.b.Members(c.ID)
	if err != nil {
		d.setContent(widget.NewLabel("Could not list the members: "+err.Error()), widget.NewButton("Close", d.hide))
		d.show()
		return
	}
	explain := widget.NewLabel("To be sure a message really comes from someone, compare their safety number here with the one their own app shows under their name.")
	explain.Wrapping = fyne.TextWrapWord
	rows := container.NewVBox()
	for _, m := range ms {
		name := m.Name
		if m.PeerID == a.self.PeerID {
			name += " (you)"
		}
		line := widget.NewRichText(
			&widget.TextSegment{Text: name, Style: widget.RichTextStyle{Inline: true, TextStyle: fyne.TextStyle{Bold: true}}},
			&widget.TextSegment{Text: " · " + m.Role, Style: secondaryStyle(true)},
			&widget.TextSegment{Text: m.SafetyNumber, Style: widget.RichTextStyle{TextStyle: fyne.TextStyle{Monospace: true}}},
		)
		rows.Add(line)
	}
	scroll := container.NewVScroll(rows)
	scroll.SetMinSize(fyne.NewSize(420, min(float32(len(ms))*56, 360)))
	d.setContent(container.NewVBox(explain, scroll), widget.NewButton("Close", d.hide))
	d.members = rows
	d.show()
}

func (a *App) showInvite() {
	c, _ := a.selected()
	d := a.newDialog("Invite people to "+c.Name, nil)
	status := widget.NewLabel("Creating a link…")
	d.setContent(status, widget.NewButton("Close", d.hide))
	d.show()
	var link string
	a.background(func() (err error) {
		link, err = a.b.CreateInvite(context.Background(), c.ID, node.InviteOptions{})
		return err
	}, func(err error) {
		if err != nil {
			status.SetText("Could not create a link: " + err.Error())
			status.Importance = widget.DangerImportance
			status.Refresh()
			return
		}
		explain := widget.NewLabel(fmt.Sprintf("Send this link to the people you want in %s — new distributors join with one click. It works for %d days; anyone who has it can join, so share it privately.", c.Name, int(node.DefaultInviteLifetime.Hours()/24)))
		explain.Wrapping = fyne.TextWrapWord
		field := widget.NewMultiLineEntry()
		field.Wrapping = fyne.TextWrapBreak
		field.SetText(link)
		field.SetMinRowsVisible(4)
		copied := widget.NewLabel("")
		copyButton := widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), func() {
			fyne.CurrentApp().Clipboard().SetContent(link)
			copied.SetText("Copied to the clipboard.")
		})
		copyButton.Importance = widget.HighImportance
		d.setContent(container.NewVBox(explain, field, copied), widget.NewButton("Close", d.hide), copyButton)
		d.linkField = field
		d.confirm = copyButton
	})
}
