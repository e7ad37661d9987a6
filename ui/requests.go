package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// requestListHeight is how tall a list of join requests is.
const requestListHeight = 260

// requestRow is one person asking to join: avatar, name, when they asked,
// Deny and Approve.
type requestRow struct {
	r       api.JoinRequest
	box     *fyne.Container
	name    *widget.Label
	when    *widget.RichText
	approve *widget.Button
	deny    *widget.Button
}

// text is what the row shows, for tests.
func (r *requestRow) text() string {
	return r.name.Text + " · " + r.when.String() + " <" + r.deny.Text + "> <" + r.approve.Text + ">"
}

// requestList is a list of join requests with Approve and Deny on each,
// shared by the community's requests and an approval group's.
type requestList struct {
	a     *App
	box   *fyne.Container
	empty *widget.RichText
	rows  []*requestRow
	// emptyText is what the list says when nobody is waiting.
	emptyText string
	// decide approves or denies r; confirmDeny asks before denying.
	decide      func(r api.JoinRequest, approve bool)
	confirmDeny func(r api.JoinRequest, deny func())
}

// newRequestList builds an empty list.
func newRequestList(a *App, emptyText string) *requestList {
	l := &requestList{a: a, box: container.NewVBox(), emptyText: emptyText}
	l.empty = hint(emptyText)
	return l
}

// show lists rs.
func (l *requestList) show(rs []api.JoinRequest) {
	l.rows = l.rows[:0]
	l.box.Objects = nil
	if len(rs) == 0 {
		setSecondary(l.empty, l.emptyText)
		l.box.Add(l.empty)
	}
	for _, r := range rs {
		row := &requestRow{r: r}
		row.name = widget.NewLabelWithStyle(r.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		row.name.Truncation = fyne.TextTruncateEllipsis
		row.when = secondary("Asked " + l.a.shortTime(r.Time))
		row.deny = widget.NewButton("Deny", func() { l.confirmDeny(r, func() { l.decide(r, false) }) })
		row.approve = widget.NewButton("Approve", func() { l.decide(r, true) })
		row.approve.Importance = widget.HighImportance
		buttons := container.NewHBox(container.NewCenter(row.deny), container.NewCenter(row.approve))
		row.box = container.NewBorder(nil, nil, container.NewCenter(newAvatar(r.Name, r.PeerID, 32)), buttons, tight(row.name, row.when))
		l.rows = append(l.rows, row)
		l.box.Add(row.box)
	}
	l.box.Refresh()
}

// showError says in the list why the requests could not be read.
func (l *requestList) showError(err error) {
	l.rows = l.rows[:0]
	e := errorLabel()
	e.SetText("Could not list the requests: " + explain(err))
	e.Show()
	l.box.Objects = []fyne.CanvasObject{e}
	l.box.Refresh()
}

// requestsView is the join-requests dialog's widgets.
type requestsView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	intro *widget.Label
	list  *requestList
}

// showRequests lists who asks to join the community, to approve or deny.
func (a *App) showRequests(cid crdt.ID) {
	community := a.communityName(cid)
	d := a.newDialog("Join requests", nil)
	d.width = 540
	v := &requestsView{a: a, d: d, cid: cid}
	d.handles = v
	d.errLabel = errorLabel()
	v.intro = wrapped("")
	v.list = newRequestList(a, "Nobody is waiting to join "+community+".")
	v.list.decide = v.decide
	v.list.confirmDeny = func(r api.JoinRequest, deny func()) {
		a.confirmAction("Deny "+r.Name+"'s request?",
			r.Name+" will not join "+community+". They can ask again with an invite link.", "Deny", deny)
	}
	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel = closeBtn
	v.refresh()
	d.setContent(container.NewBorder(container.NewVBox(v.intro, d.errLabel), nil, nil, nil,
		withMinHeight(container.NewVScroll(v.list.box), requestListHeight)), closeBtn)
	d.show()
}

// communityID implements adminView.
func (v *requestsView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the requests and the
// community's join policy.
func (v *requestsView) refresh() {
	community := v.a.communityName(v.cid)
	intro := "These people opened an invite link and asked to join " + community + ". Let in only people you know."
	if s, err := v.a.b.Settings(v.cid); err == nil && s.JoinPolicy != "approval" {
		intro = "Right now anyone with an invite link joins " + community + " straight away. To approve each person first, choose “An admin approves each person” in Community settings."
	}
	v.intro.SetText(intro)
	rs, err := v.a.b.JoinRequests(v.cid)
	if err != nil {
		v.list.showError(err)
		return
	}
	v.list.show(rs)
}

// decide approves or denies r and shows the list without them.
func (v *requestsView) decide(r api.JoinRequest, approve bool) {
	what := "Could not approve " + r.Name
	if !approve {
		what = "Could not deny " + r.Name
	}
	v.d.run(what, nil, func(ctx context.Context) error {
		return v.a.b.DecideJoin(ctx, v.cid, r.PeerID, approve)
	}, func() { v.a.membersChanged(v.cid) })
}
