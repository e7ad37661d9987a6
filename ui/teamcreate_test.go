package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
)

// TestCreateEvent: Event beside Poll asks for the event and posts its
// card; a start it cannot read is refused with a clear message.
func TestCreateEvent(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "member", 4, "General")
	b := h.a.convo.team
	if !b.event.Visible() || !b.celebrate.Visible() || b.promo.Visible() {
		t.Fatalf("a member in General sees Event %v, Celebrate %v, Promotion %v", b.event.Visible(), b.celebrate.Visible(), b.promo.Visible())
	}
	test.Tap(b.event)
	d := h.a.lastDialog
	form := d.handles.(*eventForm)
	test.Type(form.title, "Training call")
	form.starts.SetText("Thursday 7pm")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "write the time as YYYY-MM-DD HH:MM") {
		t.Fatalf("an unreadable start accepted: %q", h.dialogText())
	}
	form.starts.SetText("2026-11-26 19:30")
	form.duration.SetSelectedIndex(2)
	test.Type(form.where, "https://meet.example/glow")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("event dialog still open: %q", h.dialogText())
	}
	want := "[Today] | You 09:31 | 📅 Training call\nThu Nov 26, 19:30 · 1h30m · https://meet.example/glow | Going 0 / Maybe 0 / Can't go 0 / No answers yet"
	if got := h.last(); got != want {
		t.Fatalf("new event shows\n%q\nwant\n%q", got, want)
	}
}

// TestCelebrate: Celebrate picks a member and a badge and posts the win.
func TestCelebrate(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	test.Tap(h.a.convo.team.celebrate)
	d := h.a.lastDialog
	form := d.handles.(*celebrateForm)
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "Choose whom to celebrate") {
		t.Fatalf("a win for nobody accepted: %q", h.dialogText())
	}
	form.member.SetSelected(form.member.Options[1])
	form.badge.SetSelected(badgeLabel("first-sale"))
	test.Type(form.text, "First sale of the spring range!")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("celebrate dialog still open: %q", h.dialogText())
	}
	want := "[Today] | You 09:31 | 💰 First sale · " + form.member.Options[1] + "\nFirst sale of the spring range!"
	if got := h.last(); got != want {
		t.Fatalf("win shows\n%q\nwant\n%q", got, want)
	}
}

// TestCreatePromo: Promotion shows to admins in the announcements only,
// and posts the card there; an end before the start is refused.
func TestCreatePromo(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	h.community("Glow Team", "admin", 4, "General")
	if h.a.convo.team.promo.Visible() {
		t.Fatal("Promotion offered in General")
	}
	h.open("Announcements")
	test.Tap(h.a.convo.team.promo)
	d := h.a.lastDialog
	form := d.handles.(*promoForm)
	test.Type(form.title, "Spring kits")
	test.Type(form.text, "20% off every starter kit.")
	form.ends.SetText("2026-11-20 09:00")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "must end after it starts") {
		t.Fatalf("an end before the start accepted: %q", h.dialogText())
	}
	form.ends.SetText("2026-11-29 18:00")
	test.Type(form.code, "SPRING20")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("promotion dialog still open: %q", h.dialogText())
	}
	want := "[Today] | You 09:31 | 🏷 Spring kits | 20% off every starter kit.\nuntil Sun Nov 29, 18:00 · code SPRING20"
	if got := h.last(); got != want {
		t.Fatalf("promotion shows\n%q\nwant\n%q", got, want)
	}

	// A member is not offered it.
	m := newHarness(t, newFake())
	m.community("Glow Team", "member", 4, "Announcements")
	if m.a.convo.team.promo.Visible() {
		t.Fatal("Promotion offered to a member")
	}
}
