package ui

import (
	"context"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// addPeopleListHeight is how tall the list of contacts is.
const addPeopleListHeight = 220

// addPeopleView is the Add people screen: the people the member shares
// another community with and is not in this one with, searchable by name,
// each added directly with one tap.
type addPeopleView struct {
	a      *App
	d      *dlg
	cid    crdt.ID
	search *widget.Entry
	list   *fyne.Container
	empty  *widget.RichText
	rows   []*contactRow
}

// contactRow is one contact: name, the communities shared, and Add.
type contactRow struct {
	c   api.Contact
	box *fyne.Container
	add *widget.Button
}

// text is what the row shows, for tests.
func (r *contactRow) text() string {
	return r.c.Name + " <" + r.add.Text + ">"
}

// showAddPeople shows the Add people screen of community cid (admins:
// Community.CanAddMembers).
func (a *App) showAddPeople(cid crdt.ID) {
	community := a.communityName(cid)
	d := a.newDialog("Add people to "+community, nil)
	v := &addPeopleView{a: a, d: d, cid: cid}
	d.handles = v
	d.errLabel = errorLabel()
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search by name")
	v.search.OnChanged = func(string) { v.filter() }
	v.list = container.NewVBox()
	v.empty = hint("")
	names := map[crdt.ID]string{}
	for _, c := range a.communities {
		names[c.ID] = c.Name
	}
	for _, c := range a.b.Contacts() {
		if slices.Contains(c.Communities, cid) {
			continue // in it already
		}
		r := &contactRow{c: c}
		var from []string
		for _, id := range c.Communities {
			if n := names[id]; n != "" {
				from = append(from, n)
			}
		}
		r.add = widget.NewButtonWithIcon("Add", theme.ContentAddIcon(), func() { v.addContact(r) })
		r.box = container.NewBorder(nil, nil, nil, container.NewCenter(r.add),
			container.NewVBox(widget.NewLabel(c.Name), hint("Also in "+joinNames(from, "and"))))
		v.rows = append(v.rows, r)
	}
	link := widget.NewButtonWithIcon("Invite link…", theme.MailSendIcon(), func() {
		d.hide()
		a.showInviteManager(cid)
	})
	body := container.NewBorder(
		container.NewVBox(hint("People you share another community with are added at once: "+community+" appears in their app, and they may leave it."), v.search),
		container.NewVBox(d.errLabel, widget.NewSeparator(),
			container.NewBorder(nil, nil, nil, link, hint("Someone you share no community with needs an invite link."))),
		nil, nil,
		withMinHeight(container.NewVScroll(container.NewVBox(v.empty, v.list)), addPeopleListHeight))
	done := widget.NewButton("Done", d.hide)
	d.cancel, d.confirm = done, done
	v.filter()
	d.setContent(body, done)
	d.show()
	a.focus(v.search)
}

// filter shows the contacts whose name contains the search text,
// ignoring case.
func (v *addPeopleView) filter() {
	q := strings.ToLower(strings.TrimSpace(v.search.Text))
	v.list.Objects = nil
	for _, r := range v.rows {
		if q == "" || strings.Contains(strings.ToLower(r.c.Name), q) {
			v.list.Add(r.box)
		}
	}
	switch {
	case len(v.rows) == 0:
		v.empty.ParseMarkdown("Nobody to add yet: everyone you share a community with is here already. Send others an invite link.")
		v.empty.Show()
	case len(v.list.Objects) == 0:
		v.empty.ParseMarkdown("Nobody called “" + strings.TrimSpace(v.search.Text) + "”.")
		v.empty.Show()
	default:
		v.empty.Hide()
	}
	v.list.Refresh()
}

// shown lists the rows shown, for tests.
func (v *addPeopleView) shown() []string {
	var out []string
	for _, r := range v.rows {
		if slices.Contains(v.list.Objects, fyne.CanvasObject(r.box)) {
			out = append(out, r.text())
		}
	}
	return out
}

// addContact adds r's contact to the community.
func (v *addPeopleView) addContact(r *contactRow) {
	r.add.Disable()
	v.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return v.a.b.AddMember(ctx, v.cid, r.c.PeerID)
	}, func(err error) {
		if err != nil {
			r.add.Enable()
			v.d.errLabel.SetText("Could not add " + r.c.Name + ": " + explain(err))
			v.d.errLabel.Show()
			return
		}
		v.d.errLabel.Hide()
		r.add.SetText("Added")
		r.add.SetIcon(theme.ConfirmIcon())
		v.a.membersChanged(v.cid)
	})
}

// communityAddedNotice tells the member that someone added them to community c.
func (a *App) communityAddedNotice(c api.Community) {
	who := c.AddedBy
	if who == "" {
		who = "An admin"
	}
	a.notify(who+" added you to "+c.Name, "It is in your communities now. You can leave it from its menu.")
}
