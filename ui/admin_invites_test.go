package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// inviteDialog opens the invite manager and returns its view.
func (h *harness) inviteDialog(cid crdt.ID) *inviteView {
	h.t.Helper()
	h.a.showInviteManager(cid)
	v, ok := h.a.lastDialog.handles.(*inviteView)
	if !ok {
		h.t.Fatalf("the invite manager has handles %T: %q", h.a.lastDialog.handles, h.dialogText())
	}
	return v
}

// createInvite fills in the form and taps Create link.
func (h *harness) createInvite(v *inviteView, expiry, uses string) {
	h.t.Helper()
	v.expiry.SetSelected(expiry)
	v.maxUses.SetText("")
	test.Type(v.maxUses, uses)
	test.Tap(v.create)
	h.drain()
}

// rowTexts is the text of the invite list's rows.
func (v *inviteView) rowTexts() []string {
	var out []string
	for _, r := range v.rows {
		out = append(out, r.text())
	}
	return out
}

// TestInviteCreateCopyAndQR: a link for 1 day and 3 people is listed with
// its uses and expiry, shown in place of the ready link, copied as it is,
// and shown as a QR code of it.
func TestInviteCreateCopyAndQR(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.inviteDialog(c.ID)
	if v.expiry.Selected != "7 days" {
		t.Fatalf("defaults: expiry %q", v.expiry.Selected)
	}
	h.createInvite(v, "1 day", "3")
	invs := h.f.invitesOf(c.ID)
	if len(invs) != 2 || invs[0].MaxUses != 3 || invs[0].Expires == nil || !invs[0].Expires.Equal(h.a.now().Add(24*time.Hour)) {
		t.Fatalf("invites %+v", invs)
	}
	rows := v.rowTexts()
	if len(rows) != 2 || rows[0] != "Made by Olivia · Nov 25, 09:30 · Expires Nov 26, 09:30 · 0 / 3 uses · Active <Revoke>" {
		t.Fatalf("rows %q", rows)
	}
	link := v.link.Text
	if !v.result.Visible() || link != fakeLink(invs[0].ID) || h.a.lastDialog.linkField.Text != link {
		t.Fatalf("link shown %q (visible %v)", link, v.result.Visible())
	}
	if got := v.resultHint.Text; !strings.Contains(got, "until Nov 26, 09:30, for up to 3 people") {
		t.Fatalf("hint %q", got)
	}
	test.Type(v.link, "x")
	if v.link.Text != link {
		t.Fatalf("the link can be edited: %q", v.link.Text)
	}

	test.Tap(v.copyBtn)
	if got := h.a.clipboard().Content(); got != link || v.copyBtn.Text != "Copied" {
		t.Fatalf("clipboard %q, button %q", got, v.copyBtn.Text)
	}

	if v.qr == nil || v.qrImg == nil || !slices.Contains(v.qrHolder.Objects, fyne.CanvasObject(v.qr)) {
		t.Fatal("no QR code shown")
	}
	q, err := qrcode.New(link, qrLevel)
	if err != nil {
		t.Fatal(err)
	}
	if q.Level != qrcode.Medium || q.VersionNumber > 10 {
		t.Fatalf("a short link's QR code is version %d at level %v, want at most 10 at M", q.VersionNumber, q.Level)
	}
	bm := q.Bitmap()
	if got := v.qrImg.Bounds().Dx(); got != len(bm) {
		t.Fatalf("QR image %d px wide, the code has %d modules", got, len(bm))
	}
	for y, row := range bm {
		for x, dark := range row {
			if (v.qrImg.GrayAt(x, y).Y == 0) != dark {
				t.Fatalf("QR module (%d,%d) is wrong", x, y)
			}
		}
	}
	if side := v.qr.MinSize().Width; side < 150 || side > qrMaxSide || int(side)%len(bm) != 0 {
		t.Fatalf("QR shown %v units wide for %d modules", side, len(bm))
	}
}

// TestInviteNoLimits: a blank number and "Never expires" make a link
// without limits, and the list says so.
func TestInviteNoLimits(t *testing.T) {
	h, c := adminHarness(t, "admin")
	v := h.inviteDialog(c.ID)
	h.createInvite(v, "Never expires", "  ")
	if rows := v.rowTexts(); len(rows) != 2 || !strings.Contains(rows[0], "Never expires · 0 uses · no limit · Active") {
		t.Fatalf("rows %q", rows)
	}
	if got := v.resultHint.Text; !strings.Contains(got, "never expires and works for any number of people") {
		t.Fatalf("hint %q", got)
	}
}

// TestInviteBadMaxUses: anything but a positive whole number is refused
// with a clear message, and no link is made.
func TestInviteBadMaxUses(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.inviteDialog(c.ID)
	for _, bad := range []string{"abc", "0", "-2", "2.5", "99999999999"} {
		h.createInvite(v, "1 day", bad)
		e := v.d.errLabel
		if !e.Visible() || !(strings.Contains(e.Text, "whole number") || strings.Contains(e.Text, "too big")) {
			t.Fatalf("max uses %q: error %q (shown %v)", bad, e.Text, e.Visible())
		}
	}
	ready := fakeLink(h.f.invitesOf(c.ID)[0].ID)
	if h.f.calls["CreateInvite"] != 1 || !v.d.open || v.link.Text != ready {
		t.Fatalf("bad input made a link: %d calls (one is the ready link), link %q", h.f.calls["CreateInvite"], v.link.Text)
	}
	h.createInvite(v, "1 day", "5")
	if v.d.errLabel.Visible() || len(v.rows) != 2 {
		t.Fatalf("a good number after a bad one: error %q, rows %q", v.d.errLabel.Text, v.rowTexts())
	}
}

// TestInviteRevoke: revoking asks first; cancelling keeps the link;
// confirming marks it revoked and takes the link off the screen, for the
// link still ready.
func TestInviteRevoke(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.inviteDialog(c.ID)
	h.createInvite(v, "7 days", "")
	test.Tap(v.rows[0].revoke)
	d := h.a.lastDialog
	if got := h.dialogText(); !strings.Contains(got, "People who have not joined yet can no longer use this link") {
		t.Fatalf("confirmation says %q", got)
	}
	test.Tap(d.cancel)
	if !strings.HasSuffix(v.rows[0].text(), "Active <Revoke>") {
		t.Fatalf("cancel revoked: %q", v.rowTexts())
	}
	test.Tap(v.rows[0].revoke)
	h.confirm(h.a.lastDialog)
	if got := v.rowTexts(); len(got) != 2 || !strings.HasSuffix(got[0], "· Revoked") {
		t.Fatalf("after revoking: %q", got)
	}
	if invs := h.f.invitesOf(c.ID); !v.result.Visible() || v.link.Text != fakeLink(invs[1].ID) {
		t.Fatalf("after revoking, the link offered is %q (shown %v), want the ready one", v.link.Text, v.result.Visible())
	}
}

// TestInviteLapsed: a link whose maker is no longer an admin, as the node
// reports it, is shown as no longer valid, says why, and offers no Revoke;
// the link just made is taken off the screen when it lapses.
func TestInviteLapsed(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.inviteDialog(c.ID)
	h.createInvite(v, "Never expires", "")
	if !strings.HasSuffix(v.rows[0].text(), "Active <Revoke>") || !v.result.Visible() {
		t.Fatalf("new link: %q", v.rowTexts())
	}
	h.f.mu.Lock()
	h.f.comm(c.ID).invites[0].Lapsed = true
	h.f.mu.Unlock()
	v.refresh()
	got := v.rowTexts()
	if len(got) != 2 || !strings.HasSuffix(got[0], "· its maker is no longer an admin · No longer valid") || v.rows[0].revoke != nil {
		t.Fatalf("lapsed link: %q", got)
	}
	if v.link.Text == fakeLink(h.f.invitesOf(c.ID)[0].ID) {
		t.Fatal("the lapsed link is still offered")
	}
}

// TestInviteFailures: a link that cannot be made, or revoked, says why in
// the dialog, which stays open.
func TestInviteFailures(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.failNext("CreateInvite", api.ErrNoKeys)
	v := h.inviteDialog(c.ID)
	if e := v.d.errLabel; !e.Visible() || !strings.HasPrefix(e.Text, "Could not create the link: This computer has not received") || v.result.Visible() {
		t.Fatalf("the ready link failed: error %q, result shown %v", e.Text, v.result.Visible())
	}
	h.createInvite(v, "Never expires", "")
	ready := v.link.Text
	h.f.failNext("CreateInvite", api.ErrNoKeys)
	h.createInvite(v, "1 day", "3")
	if e := v.d.errLabel; !e.Visible() || !strings.HasPrefix(e.Text, "Could not create the link: This computer has not received") {
		t.Fatalf("error %q", e.Text)
	}
	if !v.d.open || v.create.Disabled() || v.link.Text != ready {
		t.Fatal("after a failure the form is not usable")
	}
	h.createInvite(v, "1 day", "3")
	if v.d.errLabel.Visible() {
		t.Fatal("the error stays after it worked")
	}
	h.f.failNext("RevokeInvite", errors.New("the disk is full"))
	test.Tap(v.rows[0].revoke)
	h.confirm(h.a.lastDialog)
	if e := v.d.errLabel; !e.Visible() || e.Text != "Could not revoke the link: The disk is full" || !strings.Contains(v.rows[0].text(), "Active") {
		t.Fatalf("error %q, rows %q", e.Text, v.rowTexts())
	}
	calls := h.f.calls["CreateInvite"]
	h.f.failNext("InviteLinks", errors.New("the database is locked"))
	v = h.inviteDialog(c.ID)
	if !v.listErr.Visible() || !strings.Contains(v.listErr.Text, "The database is locked") {
		t.Fatalf("list error %q", v.listErr.Text)
	}
	if h.f.calls["CreateInvite"] != calls {
		t.Fatal("a link was made while the links could not be listed")
	}
}

// TestInviteMemberIsToldWhomToAsk: members may not make links; they are
// told who can.
func TestInviteMemberIsToldWhomToAsk(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.f.setRoleOf(c.ID, chloeID, "admin")
	h.drain()
	h.a.showInviteManager(c.ID)
	if _, ok := h.a.lastDialog.handles.(*inviteView); ok {
		t.Fatal("a member got the invite manager")
	}
	if got := h.dialogText(); !strings.Contains(got, "Only admins can make invite links for Glow Team. Ask Chloe to send one") {
		t.Fatalf("a member is told %q", got)
	}
}

// TestInviteLinkReadyAtOnce: an admin opening the invite manager finds a
// link ready, with its QR code, one tap from the clipboard: one without
// limits is made the first time, the same one is shown when the manager
// opens again (the node keeps its secret), Reset link revokes it and
// shows a new one, and a link revoked in the list is replaced at the next
// opening.
func TestInviteLinkReadyAtOnce(t *testing.T) {
	h, c := adminHarness(t, "owner")
	v := h.inviteDialog(c.ID)
	invs := h.f.invitesOf(c.ID)
	if len(invs) != 1 || invs[0].Expires != nil || invs[0].MaxUses != 0 {
		t.Fatalf("the ready link is %+v, want one without limits", invs)
	}
	link := fakeLink(invs[0].ID)
	if !v.result.Visible() || v.link.Text != link || v.qr == nil || h.w.Canvas().Focused() != v.copyBtn {
		t.Fatalf("opened: result shown %v, link %q (want %q), QR %v", v.result.Visible(), v.link.Text, link, v.qr != nil)
	}
	if got := v.resultHint.Text; !strings.HasPrefix(got, "Anyone with this link can join Glow Team. It never expires") {
		t.Fatalf("hint %q", got)
	}
	v.d.hide()

	v = h.inviteDialog(c.ID)
	if !v.result.Visible() || v.link.Text != link || v.qr == nil || h.w.Canvas().Focused() != v.copyBtn {
		t.Fatalf("reopened: result shown %v, link %q (want %q), QR %v", v.result.Visible(), v.link.Text, link, v.qr != nil)
	}
	if n := len(h.f.invitesOf(c.ID)); n != 1 {
		t.Fatalf("reopening made a link: %d invites", n)
	}
	test.Tap(v.copyBtn)
	if got := h.a.clipboard().Content(); got != link {
		t.Fatalf("clipboard %q, want %q", got, link)
	}

	test.Tap(v.resetBtn)
	if got := h.dialogText(); !strings.Contains(got, "The link shown stops working") {
		t.Fatalf("reset asks %q", got)
	}
	h.confirm(h.a.lastDialog)
	invs = h.f.invitesOf(c.ID)
	if len(invs) != 2 || !invs[1].Revoked || invs[0].Revoked || invs[0].Expires != nil {
		t.Fatalf("after reset: %+v", invs)
	}
	if v.link.Text != fakeLink(invs[0].ID) || !v.result.Visible() {
		t.Fatalf("after reset the link shown is %q, want the new one", v.link.Text)
	}

	test.Tap(v.rows[0].revoke)
	h.confirm(h.a.lastDialog)
	if v.result.Visible() {
		t.Fatal("a revoked link is still offered")
	}
	v.d.hide()
	v = h.inviteDialog(c.ID)
	invs = h.f.invitesOf(c.ID)
	if len(invs) != 3 || v.link.Text != fakeLink(invs[0].ID) {
		t.Fatalf("reopened after revoking: %d invites, link %q", len(invs), v.link.Text)
	}
}

// TestInviteLinkAskToJoin: in a community that admits by approval, the
// ready link says its holders ask to join.
func TestInviteLinkAskToJoin(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.f.mu.Lock()
	h.f.comm(c.ID).settings.JoinPolicy = "approval"
	h.f.mu.Unlock()
	v := h.inviteDialog(c.ID)
	if got := v.resultHint.Text; !strings.HasPrefix(got, "Anyone with this link can ask to join Glow Team; you approve them in Join requests.") {
		t.Fatalf("hint %q", got)
	}
}
