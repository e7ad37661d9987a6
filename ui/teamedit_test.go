package ui

import (
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestEditEvent: the creator of an event edits it from the card's menu
// in the form filled with its values; a member is not offered to edit
// someone else's event, an admin is.
func TestEditEvent(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", "member", 4, "General")
	f.deliverCard(c.ID, h.a.group, "Chloe", trainingCall(f))
	h.drain()
	if got := h.menu(0); slices.Contains(got, "Edit event…") || slices.Contains(got, "Edit") {
		t.Fatalf("a member may edit another's event: %v", got)
	}
	test.Tap(h.a.convo.team.event)
	form := h.a.lastDialog.handles.(*eventForm)
	test.Type(form.title, "Coffee")
	form.starts.SetText("2026-11-26 19:30")
	test.Tap(h.a.lastDialog.confirm)
	h.drain()

	h.act(1, "Edit event…")
	d := h.a.lastDialog
	form = d.handles.(*eventForm)
	if form.title.Text != "Coffee" || form.starts.Text != "2026-11-26 19:30" || form.duration.Selected != "1 hour" {
		t.Fatalf("the form is not filled: %q %q %q", form.title.Text, form.starts.Text, form.duration.Selected)
	}
	form.title.SetText("")
	test.Tap(d.confirm)
	if !d.open || !strings.Contains(h.dialogText(), "Give the event a title") {
		t.Fatalf("an empty title accepted: %q", h.dialogText())
	}
	form.title.SetText("Coffee and samples")
	form.starts.SetText("2026-11-27 10:00")
	form.where.SetText("Café Lumen")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("edit dialog still open: %q", h.dialogText())
	}
	if got, want := h.last(), "📅 Coffee and samples\nFri Nov 27, 10:00 · 1h · Café Lumen"; !strings.Contains(got, want) {
		t.Fatalf("edited event shows\n%q\nwant it to contain\n%q", got, want)
	}

	// An admin edits anyone's event; an unusual length is kept.
	af := newFake()
	a := newHarness(t, af)
	ac := a.community("Glow Team", "admin", 4, "General")
	ev := trainingCall(af)
	ev.Event.Duration = api.Duration(45 * time.Minute)
	theirs := af.deliverCard(ac.ID, a.a.group, "Chloe", ev)
	a.drain()
	a.act(0, "Edit event…")
	form = a.a.lastDialog.handles.(*eventForm)
	if form.duration.Selected != "45m" {
		t.Fatalf("a 45-minute event's length shows as %q", form.duration.Selected)
	}
	test.Tap(a.a.lastDialog.confirm)
	a.drain()
	af.mu.Lock()
	_, _, m, _ := af.cardIn(ac.ID, theirs)
	af.mu.Unlock()
	if time.Duration(m.Event.Duration) != 45*time.Minute || !m.Edited {
		t.Fatalf("the admin's edit: %+v", m.Event)
	}
}

// promoHarness is an admin in the announcements with a running promotion
// by Olivia.
func promoHarness(t *testing.T, role string) (*harness, api.Community) {
	f := newFake()
	h := newHarness(t, f)
	c := h.community("Glow Team", role, 6, "Announcements")
	f.deliverCard(c.ID, h.a.group, "Olivia", api.Message{Text: "20% off every starter kit, this week only.",
		Promo: &api.Promo{Title: "Spring kits", Starts: f.clock.Add(-time.Hour), Ends: f.clock.Add(5 * 24 * time.Hour), Code: "SPRING20"}})
	h.drain()
	return h, c
}

// TestEditPromo: an admin edits a running promotion in the form filled
// with its values, and ends it early; a member is offered neither.
func TestEditPromo(t *testing.T) {
	m, _ := promoHarness(t, "member")
	if got := m.menu(0); slices.Contains(got, "Edit promotion…") || slices.Contains(got, "End promotion now") {
		t.Fatalf("a member may edit a promotion: %v", got)
	}

	h, _ := promoHarness(t, "admin")
	h.act(0, "Edit promotion…")
	d := h.a.lastDialog
	form := d.handles.(*promoForm)
	if form.title.Text != "Spring kits" || form.code.Text != "SPRING20" || form.text.Text != "20% off every starter kit, this week only." || form.ends.Text != "2026-11-30 09:30" {
		t.Fatalf("the form is not filled: %q %q %q %q", form.title.Text, form.code.Text, form.text.Text, form.ends.Text)
	}
	form.ends.SetText("2026-11-30 18:00")
	form.code.SetText("SPRING25")
	test.Tap(d.confirm)
	h.drain()
	if d.open {
		t.Fatalf("edit dialog still open: %q", h.dialogText())
	}
	if got, want := h.last(), "🏷 Spring kits | 20% off every starter kit, this week only.\nuntil Mon Nov 30, 18:00 · code SPRING25"; !strings.Contains(got, want) {
		t.Fatalf("edited promotion shows\n%q\nwant it to contain\n%q", got, want)
	}

	h.act(0, "End promotion now")
	h.drain()
	if got := h.last(); !strings.Contains(got, "ended Wed Nov 25, 09:31") {
		t.Fatalf("ended promotion shows %q", got)
	}
	if got := h.menu(0); slices.Contains(got, "Edit promotion…") || slices.Contains(got, "End promotion now") {
		t.Fatalf("an ended promotion offers %v", got)
	}
}

// TestGoldenTeamEdit renders the Edit event and Edit promotion forms,
// filled, light and dark.
func TestGoldenTeamEdit(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c := promoHarness(t, "owner")
			m, _ := h.a.convo.message(0)
			h.a.convo.showEditPromo(m) // as its menu item does, without the menu
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			test.AssertImageMatches(t, "editpromo_"+variant.name+".png", h.w.Canvas().Capture())
			h.a.lastDialog.hide()
			h.open("General")
			h.f.deliverCard(c.ID, h.a.group, "Chloe", trainingCall(h.f))
			h.drain()
			m, _ = h.a.convo.message(0)
			h.a.convo.showEditEvent(m)
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			test.AssertImageMatches(t, "editevent_"+variant.name+".png", h.w.Canvas().Capture())
		})
	}
}
