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

// inviteView is the invite manager's widgets and state: the form for a
// new link, the link made (with its QR code) and the existing links.
type inviteView struct {
	a   *App
	d   *dlg
	cid crdt.ID

	expiry  *widget.Select
	maxUses *keyEntry
	create  *widget.Button

	formHint   *widget.RichText
	result     *fyne.Container // the link made, hidden until there is one
	link       *keyEntry       // shows linkText; typing in it is undone
	linkText   string
	linkID     crdt.ID // the invite of linkText, once the list shows it
	qrHolder   *fyne.Container
	qr         *canvas.Image
	qrImg      *image.Gray
	copyBtn    *widget.Button
	saveBtn    *widget.Button
	resultHint *widget.Label

	list    *fyne.Container
	listErr *widget.Label
	invites []api.InviteInfo
	rows    []*inviteRow
}

// readyInvite is the last link an admin made for a community in this
// session, shown ready (with its QR code, one tap from the clipboard) when
// the invite manager opens again while the link stands: its secret is
// nowhere else to be read.
type readyInvite struct {
	link string
	id   crdt.ID // its invite, as the list names it
	hint string  // what it allows, as said when it was made
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

// showInviteManager creates invite links (expiry, uses; copy, QR code) and
// lists and revokes the existing ones. Members, who may not make links,
// are told whom to ask.
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
	v.formHint = hint("Make a link, then send it to the people you invite. A new distributor joins by opening it in Umbrella.")
	form := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewVBox(layout.NewSpacer(), v.create), fields),
		v.formHint, d.errLabel)

	v.link = newKeyEntry(a)
	v.link.OnChanged = func(s string) {
		if s != v.linkText {
			v.link.SetText(v.linkText)
		}
	}
	d.linkField = &v.link.Entry
	v.copyBtn = widget.NewButtonWithIcon("Copy link", theme.ContentCopyIcon(), v.copyLink)
	v.copyBtn.Importance = widget.HighImportance
	v.saveBtn = widget.NewButtonWithIcon("Save QR code…", theme.DocumentSaveIcon(), v.saveQR)
	v.resultHint = wrapped("")
	v.qrHolder = container.NewStack()
	v.result = container.NewBorder(widget.NewSeparator(), nil, container.NewCenter(v.qrHolder), nil,
		container.NewVBox(v.link, container.NewHBox(v.copyBtn, v.saveBtn), v.resultHint))
	v.result.Hide()

	v.list = container.NewVBox()
	v.listErr = errorLabel()
	list := container.NewBorder(sectionTitle("Invite links"), nil, nil, nil,
		withMinHeight(container.NewVScroll(container.NewVBox(v.listErr, v.list)), inviteListHeight))

	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel, d.confirm = closeBtn, v.create
	v.refresh()
	d.setContent(container.NewBorder(container.NewVBox(form, v.result, widget.NewSeparator()), nil, nil, nil, list), closeBtn)
	d.show()
	v.showReady()
}

// showReady shows the link made last for the community, if it still
// admits people.
func (v *inviteView) showReady() {
	r, ok := v.a.readyInvites[v.cid]
	if !ok {
		return
	}
	for _, inv := range v.invites {
		if inv.ID == r.id && inviteState(inv, v.a.now()) == "Active" {
			v.display(r.link, r.hint)
			v.linkID = r.id
			v.d.relayout()
			v.a.focus(v.copyBtn)
			return
		}
	}
	delete(v.a.readyInvites, v.cid)
}

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
func (v *inviteView) refresh() {
	invs, err := v.a.b.Invites(v.cid)
	if err != nil {
		v.listErr.SetText("Could not list the invite links: " + explain(err))
		v.listErr.Show()
		return
	}
	v.listErr.Hide()
	v.invites = invs
	v.rows = v.rows[:0]
	v.list.Objects = nil
	if len(invs) == 0 {
		v.list.Add(hint("No invite links yet. Links you and other admins make are listed here, and can be revoked."))
	}
	for _, inv := range invs {
		r := v.newRow(inv)
		v.rows = append(v.rows, r)
		v.list.Add(r.box)
	}
	v.list.Refresh()
	if v.linkText != "" && !v.linkID.IsZero() {
		for _, inv := range invs {
			if inv.ID == v.linkID && (inv.Revoked || inv.Lapsed) {
				delete(v.a.readyInvites, v.cid)
				v.linkText, v.linkID = "", crdt.ID{}
				v.result.Hide()
				v.formHint.Show()
				v.d.relayout()
			}
		}
	}
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
	var link string
	v.d.run("Could not create the link", v.create, func(ctx context.Context) (err error) {
		link, err = v.a.b.CreateInvite(ctx, v.cid, opts)
		return err
	}, func() { v.showLink(link, opts) })
}

// showLink shows a new link: the link, its QR code, what it allows, and
// the list with it.
func (v *inviteView) showLink(link string, opts api.InviteOptions) {
	old := map[crdt.ID]bool{}
	for _, inv := range v.invites {
		old[inv.ID] = true
	}
	v.display(link, v.linkHint(opts))
	v.refresh()
	for _, inv := range v.invites {
		if !old[inv.ID] {
			v.linkID = inv.ID
			break
		}
	}
	if !v.linkID.IsZero() {
		if v.a.readyInvites == nil {
			v.a.readyInvites = map[crdt.ID]readyInvite{}
		}
		v.a.readyInvites[v.cid] = readyInvite{link: link, id: v.linkID, hint: v.resultHint.Text}
	}
	v.d.relayout()
	v.a.focus(v.copyBtn)
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
	v.formHint.Hide()
	v.result.Show()
}

// linkHint says how to use a new link and what it allows.
func (v *inviteView) linkHint(opts api.InviteOptions) string {
	var limits string
	switch {
	case opts.Lifetime < 0 && opts.MaxUses == 0:
		limits = "It never expires and works for any number of people; revoke it below when you no longer need it."
	case opts.Lifetime < 0:
		limits = fmt.Sprintf("It never expires and works for up to %s.", people(opts.MaxUses))
	default:
		until := "It works until " + v.a.shortTime(v.a.now().Add(opts.Lifetime))
		if opts.MaxUses > 0 {
			limits = until + fmt.Sprintf(", for up to %s.", people(opts.MaxUses))
		} else {
			limits = until + ", for any number of people."
		}
	}
	text := "Send this link to the people you invite — by WhatsApp, email or text — or let them scan the code. " + limits
	if s, err := v.a.b.Settings(v.cid); err == nil && s.JoinPolicy == "approval" {
		text += " People who open it ask to join; you approve them in Join requests."
	}
	return text
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
