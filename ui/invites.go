package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	"math"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// inviteExpiries are the choices of how long a new link works.
var inviteExpiries = []struct {
	label    string
	lifetime time.Duration // as api.InviteOptions.Lifetime: negative is never
}{
	{"1 hour", time.Hour},
	{"1 day", 24 * time.Hour},
	{"7 days", api.DefaultInviteLifetime},
	{"30 days", 30 * 24 * time.Hour},
	{"Never expires", -1},
}

// defaultExpiry is the choice selected when the invite manager opens.
const defaultExpiry = "7 days"

// inviteListHeight is how tall the list of existing links is.
const inviteListHeight = 120

// inviteView is the invite manager's widgets and state: the community's
// invite link ready to send (with its QR code), the form for a limited
// link and the existing links.
type inviteView struct {
	a   *App
	d   *dlg
	cid crdt.ID

	expiry  *widget.Select
	maxUses *keyEntry
	create  *widget.Button

	formHint   *widget.RichText
	result     *fyne.Container // the link shown, hidden while there is none
	link       *keyEntry       // shows linkText; typing in it is undone
	linkText   string
	linkID     crdt.ID // the invite of linkText
	qrHolder   *fyne.Container
	qr         *canvas.Image
	qrImg      *image.Gray
	copyBtn    *widget.Button
	resetBtn   *widget.Button
	saveBtn    *widget.Button
	resultHint *widget.Label

	addPeople *widget.Button // Add people you know (addpeople.go); nil unless CanAddMembers

	list    *fyne.Container
	listErr *widget.Label
	invites []api.InviteLink // with the links this node can show
	rows    []*inviteRow
}

// inviteRow is one existing invite link: who made it and when, when it
// expires, its uses, its state, and Revoke while it is active.
type inviteRow struct {
	inv    api.InviteInfo
	box    *fyne.Container
	who    *widget.Label
	detail *widget.RichText
	state  *widget.Label
	revoke *widget.Button // nil unless the link is active
}

// text is what the row shows, for tests.
func (r *inviteRow) text() string {
	s := r.who.Text + " · " + r.detail.String() + " · " + r.state.Text
	if r.revoke != nil {
		s += " <" + r.revoke.Text + ">"
	}
	return s
}

// showInviteManager shows the community's invite link ready to send (copy,
// QR code, reset), making one without limits if this node holds no live
// one; makes limited links (expiry, uses); and lists and revokes the
// existing ones. Members, who may not make links, are told whom to ask.
func (a *App) showInviteManager(cid crdt.ID) {
	if !a.communityInfo(cid).CanInvite {
		a.showInviteHelp(cid)
		return
	}
	d := a.newDialog("Invite people to "+a.communityName(cid), nil)
	d.width = 640
	v := &inviteView{a: a, d: d, cid: cid}
	d.handles = v
	d.errLabel = errorLabel()

	labels := make([]string, len(inviteExpiries))
	for i, e := range inviteExpiries {
		labels[i] = e.label
	}
	v.expiry = widget.NewSelect(labels, nil)
	v.expiry.SetSelected(defaultExpiry)
	v.maxUses = newKeyEntry(a)
	v.maxUses.SetPlaceHolder("No limit (leave blank)")
	v.create = widget.NewButtonWithIcon("Create link", theme.ContentAddIcon(), v.createLink)
	v.create.Importance = widget.HighImportance
	v.maxUses.OnSubmitted = func(string) { v.create.OnTapped() }
	fields := container.NewGridWithColumns(2,
		container.NewVBox(widget.NewLabel("Link works for"), v.expiry),
		container.NewVBox(widget.NewLabel("How many people can use it"), v.maxUses))
	v.formHint = hint("For an event or a one-off invitation, make a link that expires or admits only so many people.")
	form := container.NewVBox(sectionTitle("Make a limited link"),
		container.NewBorder(nil, nil, nil, container.NewVBox(layout.NewSpacer(), v.create), fields),
		v.formHint)

	v.link = newKeyEntry(a)
	v.link.OnChanged = func(s string) {
		if s != v.linkText {
			v.link.SetText(v.linkText)
		}
	}
	d.linkField = &v.link.Entry
	v.copyBtn = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), v.copyLink)
	v.copyBtn.Importance = widget.HighImportance
	v.resetBtn = widget.NewButtonWithIcon("Reset link", theme.ViewRefreshIcon(), v.confirmReset)
	v.saveBtn = widget.NewButtonWithIcon("Save QR code…", theme.DocumentSaveIcon(), v.saveQR)
	v.resultHint = wrapped("")
	v.qrHolder = container.NewStack()
	v.result = container.NewBorder(nil, nil, container.NewCenter(v.qrHolder), nil,
		container.NewVBox(v.link, container.NewHBox(v.copyBtn, v.resetBtn, v.saveBtn), v.resultHint))
	v.result.Hide()

	v.list = container.NewVBox()
	v.listErr = errorLabel()
	list := container.NewBorder(sectionTitle("Invite links"), nil, nil, nil,
		withMinHeight(container.NewVScroll(container.NewVBox(v.listErr, v.list)), inviteListHeight))

	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel, d.confirm = closeBtn, v.create
	listed := v.reload()
	top := container.NewVBox(v.result, d.errLabel, widget.NewSeparator(), form, widget.NewSeparator())
	if a.communityInfo(cid).CanAddMembers { // addpeople.go
		v.addPeople = widget.NewButtonWithIcon("Add people you know…", theme.AccountIcon(), func() { d.hide(); a.showAddPeople(cid) })
		top.Add(container.NewBorder(nil, nil, nil, v.addPeople, hint("Add people you share another community with directly, without a link.")))
		top.Add(widget.NewSeparator())
	}
	d.setContent(container.NewBorder(top, nil, nil, nil, list), closeBtn)
	d.show()
	switch {
	case v.linkText != "":
		v.a.focus(v.copyBtn)
	case listed:
		v.makeLink(nil, nil, defaultLink) // WhatsApp's way: a community has a link ready
	}
}

// defaultLink is the link an admin finds ready: it never expires and
// admits anyone, as a member, until it is reset or revoked.
var defaultLink = api.InviteOptions{Lifetime: -1}

// showInviteHelp tells a member that admins make invite links, and who
// they are.
func (a *App) showInviteHelp(cid crdt.ID) {
	community := a.communityName(cid)
	d := a.newDialog("Invite people to "+community, nil)
	var admins []string
	if ms, err := a.b.Members(cid); err == nil {
		for _, m := range ms {
			if hasRoleTag(m.Role) && m.PeerID != a.self.PeerID && len(admins) < 3 {
				admins = append(admins, m.Name)
			}
		}
	}
	ask := "an admin"
	if len(admins) > 0 {
		ask = joinNames(admins, "or")
	}
	text := "Only admins can make invite links for " + community + ". Ask " + ask +
		" to send one to the person you want to invite — or to you, to pass on."
	ok := widget.NewButton("OK", d.hide)
	d.setContent(wrapped(text), ok)
	d.confirm = ok
	d.show()
}

// joinNames lists names in a sentence: "Ben", "Ben or Chloe", "Ben, Chloe
// or Dev".
func joinNames(names []string, conj string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// communityID implements adminView.
func (v *inviteView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the invite links.
func (v *inviteView) refresh() { v.reload() }

// reload re-reads the invite links, keeps the link shown while it admits
// people, or else shows the newest live link this node holds. It reports
// whether the links could be listed.
func (v *inviteView) reload() bool {
	invs, err := v.a.b.InviteLinks(v.cid)
	if err != nil {
		v.listErr.SetText("Could not list the invite links: " + explain(err))
		v.listErr.Show()
		return false
	}
	v.listErr.Hide()
	v.invites = invs
	v.rows = v.rows[:0]
	v.list.Objects = nil
	if len(invs) == 0 {
		v.list.Add(hint("No invite links yet. Links you and other admins make are listed here, and can be revoked."))
	}
	for _, inv := range invs {
		r := v.newRow(inv.InviteInfo)
		v.rows = append(v.rows, r)
		v.list.Add(r.box)
	}
	v.list.Refresh()
	if !v.showInvite(v.linkID, v.linkText) {
		v.showInvite(crdt.ID{}, "")
	}
	return true
}

// showInvite shows the link of invite id if it is live (link, when given,
// is the one to show); with a zero id, the newest live link this node
// holds; with none, nothing. It reports whether a link is shown.
func (v *inviteView) showInvite(id crdt.ID, link string) bool {
	for _, inv := range v.invites {
		if inv.Link == "" || inviteState(inv.InviteInfo, v.a.now()) != "Active" || (!id.IsZero() && inv.ID != id) {
			continue
		}
		if link == "" {
			link = inv.Link
		}
		if inv.ID != v.linkID || link != v.linkText {
			v.display(link, v.linkHint(inv.InviteInfo))
			v.linkID = inv.ID
			v.d.relayout()
		}
		return true
	}
	if id.IsZero() && v.linkText != "" {
		v.linkText, v.linkID = "", crdt.ID{}
		v.result.Hide()
		v.d.relayout()
	}
	return false
}

// inviteState is an invite's state as the list shows it.
func inviteState(inv api.InviteInfo, now time.Time) string {
	switch {
	case inv.Revoked:
		return "Revoked"
	case inv.Lapsed:
		return "No longer valid"
	case inv.MaxUses > 0 && inv.Uses >= inv.MaxUses:
		return "Used up"
	case inv.Expired || (inv.Expires != nil && !now.Before(*inv.Expires)):
		return "Expired"
	}
	return "Active"
}

// usesText is "0 / 3 uses", or "2 uses · no limit".
func usesText(inv api.InviteInfo) string {
	if inv.MaxUses > 0 {
		return fmt.Sprintf("%d / %d uses", inv.Uses, inv.MaxUses)
	}
	if inv.Uses == 1 {
		return "1 use · no limit"
	}
	return fmt.Sprintf("%d uses · no limit", inv.Uses)
}

// expiryText is "Expires Dec 2, 09:30", "Expired …" or "Never expires".
func (a *App) expiryText(inv api.InviteInfo) string {
	switch {
	case inv.Expires == nil:
		return "Never expires"
	case !a.now().Before(*inv.Expires) || inv.Expired:
		return "Expired " + a.shortTime(*inv.Expires)
	}
	return "Expires " + a.shortTime(*inv.Expires)
}

// newRow makes the row of one invite link.
func (v *inviteView) newRow(inv api.InviteInfo) *inviteRow {
	a := v.a
	r := &inviteRow{inv: inv}
	by := inv.By
	if by == "" {
		by = "an admin"
	}
	r.who = widget.NewLabel("Made by " + by + " · " + a.shortTime(inv.Created))
	r.who.Truncation = fyne.TextTruncateEllipsis
	detail := a.expiryText(inv) + " · " + usesText(inv)
	if inv.Lapsed {
		detail += " · its maker is no longer an admin"
	}
	r.detail = secondary(detail)
	state := inviteState(inv, a.now())
	r.state = widget.NewLabelWithStyle(state, fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	if state == "Active" {
		r.state.Importance = widget.SuccessImportance
	} else {
		r.state.Importance = widget.LowImportance
	}
	right := container.NewHBox(container.NewCenter(r.state))
	if state == "Active" {
		r.revoke = widget.NewButton("Revoke", func() { v.confirmRevoke(inv) })
		r.revoke.Importance = widget.DangerImportance
		right.Add(container.NewCenter(r.revoke))
	}
	r.box = container.NewBorder(nil, nil, nil, right, tight(r.who, r.detail))
	return r
}

// inputError tells the person typing, in a full sentence, what to type
// instead; it is shown as it is.
type inputError string

func (e inputError) Error() string { return string(e) }

// maxUsesInput reads the number of uses typed: 0 for blank, or why it is
// not a positive whole number.
func maxUsesInput(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange) || (err == nil && n > math.MaxUint32):
		return 0, inputError("That number is too big. Leave it blank for no limit.")
	case err != nil || n <= 0:
		return 0, inputError("Type how many people can use the link as a whole number, like 5 — or leave it blank for no limit.")
	}
	return n, nil
}

// createLink makes a link with the chosen expiry and uses, and shows it
// with its QR code.
func (v *inviteView) createLink() {
	uses, err := maxUsesInput(v.maxUses.Text)
	if err != nil {
		v.d.invalid(err.Error())
		return
	}
	opts := api.InviteOptions{Lifetime: api.DefaultInviteLifetime, MaxUses: uses}
	for _, e := range inviteExpiries {
		if e.label == v.expiry.Selected {
			opts.Lifetime = e.lifetime
		}
	}
	v.makeLink(v.create, nil, opts)
}

// makeLink makes a link with opts (after before, if any, succeeds) and
// shows it, its QR code, what it allows, and the list with it.
func (v *inviteView) makeLink(busy *widget.Button, before func(ctx context.Context) error, opts api.InviteOptions) {
	var link string
	what := "Could not create the link"
	if before != nil {
		what = "Could not reset the link"
	}
	v.d.run(what, busy, func(ctx context.Context) (err error) {
		if before != nil {
			if err := before(ctx); err != nil {
				return err
			}
		}
		link, err = v.a.b.CreateInvite(ctx, v.cid, opts)
		return err
	}, func() { v.showLink(link) })
}

// showLink shows a new link and the list with it.
func (v *inviteView) showLink(link string) {
	old := map[crdt.ID]bool{}
	for _, inv := range v.invites {
		old[inv.ID] = true
	}
	if !v.reload() {
		return
	}
	for _, inv := range v.invites {
		if !old[inv.ID] && v.showInvite(inv.ID, link) {
			break
		}
	}
	v.a.focus(v.copyBtn)
}

// confirmReset asks, then revokes the link shown and makes a new one
// without limits.
func (v *inviteView) confirmReset() {
	id := v.linkID
	if id.IsZero() {
		return
	}
	v.a.confirmAction("Reset the invite link?",
		"The link shown stops working: people who have not joined yet can no longer use it. People who already joined stay in "+v.a.communityName(v.cid)+". A new link is made for you to send.",
		"Reset link", func() {
			v.makeLink(v.resetBtn, func(ctx context.Context) error {
				return v.a.b.RevokeInvite(ctx, v.cid, id)
			}, defaultLink)
		})
}

// display shows link, its QR code and what it allows in the result area.
func (v *inviteView) display(link, allows string) {
	v.linkText, v.linkID = link, crdt.ID{}
	v.link.SetText(link)
	v.copyBtn.SetText("Copy link")
	v.copyBtn.SetIcon(theme.ContentCopyIcon())
	v.qrHolder.Objects = nil
	if img, err := qrImage(link); err == nil {
		v.qrImg, v.qr = img, newQRImage(img)
		v.qrHolder.Objects = []fyne.CanvasObject{v.qr}
		v.saveBtn.Show()
	} else {
		v.qrImg, v.qr = nil, nil
		v.qrHolder.Objects = []fyne.CanvasObject{hint("This link is too long for a QR code; copy it instead.")}
		v.saveBtn.Hide()
	}
	v.qrHolder.Refresh()
	v.resultHint.SetText(allows)
	v.result.Show()
}

// linkHint says who can use invite inv's link, what it allows and how to
// send it.
func (v *inviteView) linkHint(inv api.InviteInfo) string {
	community := v.a.communityName(v.cid)
	who := "Anyone with this link can join " + community + "."
	if s, err := v.a.b.Settings(v.cid); err == nil && s.JoinPolicy == "approval" {
		who = "Anyone with this link can ask to join " + community + "; you approve them in Join requests."
	}
	var limits string
	switch {
	case inv.Expires == nil && inv.MaxUses == 0:
		limits = "It never expires and works for any number of people; reset it to stop it working."
	case inv.Expires == nil:
		limits = fmt.Sprintf("It never expires and works for up to %s.", people(inv.MaxUses))
	default:
		until := "It works until " + v.a.shortTime(*inv.Expires)
		if inv.MaxUses > 0 {
			limits = until + fmt.Sprintf(", for up to %s.", people(inv.MaxUses))
		} else {
			limits = until + ", for any number of people."
		}
	}
	return who + " " + limits + " Send it by WhatsApp, email or text, or let them scan the code."
}

// people is "1 person" or "3 people".
func people(n int) string {
	if n == 1 {
		return "1 person"
	}
	return itoa(n) + " people"
}

// copyLink puts the link on the clipboard and says so on the button.
func (v *inviteView) copyLink() {
	if v.linkText == "" {
		return
	}
	v.a.clipboard().SetContent(v.linkText)
	v.copyBtn.SetText("Copied")
	v.copyBtn.SetIcon(theme.ConfirmIcon())
}

// saveQR asks where to save the QR code as a PNG, and saves it.
func (v *inviteView) saveQR() {
	link := v.linkText
	if link == "" {
		return
	}
	save := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.a.showError("Could not save the QR code", err)
			return
		}
		if w == nil { // cancelled
			return
		}
		err = writeQRPNG(w, link)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			v.a.showError("Could not save the QR code", err)
		}
	}, v.a.win)
	save.SetFileName(qrFileName(v.a.communityName(v.cid)))
	save.Show()
}

// confirmRevoke asks, then revokes invite inv.
func (v *inviteView) confirmRevoke(inv api.InviteInfo) {
	v.a.confirmAction("Revoke this invite link?",
		"People who have not joined yet can no longer use this link; anyone who joined with it at the same moment is undone. People who already joined stay in "+v.a.communityName(v.cid)+".",
		"Revoke link", func() {
			v.d.run("Could not revoke the link", nil, func(ctx context.Context) error {
				return v.a.b.RevokeInvite(ctx, v.cid, inv.ID)
			}, v.refresh)
		})
}

var _ adminView = (*inviteView)(nil)
