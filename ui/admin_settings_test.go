package ui

import (
	"errors"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestCommunitySettings: new settings are saved and the home shows the new
// name; an empty name is refused.
func TestCommunitySettings(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.a.showCommunitySettings(c.ID)
	d := h.a.lastDialog
	v := d.handles.(*settingsView)
	if v.name.Text != "Glow Team" || v.joinPolicy.Selected != "Anyone with an invite link joins" || !v.groups.Checked || !v.history.Checked {
		t.Fatalf("form shows %q", h.dialogText())
	}
	v.name.SetText("")
	test.Tap(v.save)
	if !d.open || d.errLabel.Text != "Give the community a name." {
		t.Fatalf("empty name: %q", d.errLabel.Text)
	}
	test.Type(v.name, "Glow Team — Spring Launch")
	test.Type(v.description, "Our team's home: news, training and wins.")
	v.joinPolicy.SetSelected("An admin approves each person")
	v.groups.SetChecked(false)
	v.history.SetChecked(false)
	test.Tap(v.save)
	h.drain()
	if d.open {
		t.Fatalf("dialog open: %q", d.errLabel.Text)
	}
	if got := h.a.home.name.Text; got != "Glow Team — Spring Launch" {
		t.Fatalf("home header %q", got)
	}
	want := api.Settings{Name: "Glow Team — Spring Launch", Description: "Our team's home: news, training and wins.", JoinPolicy: "approval", HideHistory: true}
	if got := h.f.settingsOf(c.ID); got != want {
		t.Fatalf("settings %+v", got)
	}
}

// TestCommunitySettingsFails: a refused save says why and keeps what was
// typed; members are told to ask an admin.
func TestCommunitySettingsFails(t *testing.T) {
	h, c := adminHarness(t, "admin")
	h.a.showCommunitySettings(c.ID)
	d := h.a.lastDialog
	v := d.handles.(*settingsView)
	h.f.failNext("UpdateSettings", errors.New("the disk is full"))
	v.name.SetText("Glow Team 2027")
	test.Tap(v.save)
	if !d.open || d.errLabel.Text != "Could not save the settings: The disk is full" || v.name.Text != "Glow Team 2027" {
		t.Fatalf("open %v, error %q, name %q", d.open, d.errLabel.Text, v.name.Text)
	}
	h.f.failNext("Settings", errors.New("the database is locked"))
	h.a.showCommunitySettings(c.ID)
	if _, ok := h.a.lastDialog.handles.(*settingsView); ok || !strings.Contains(h.dialogText(), "The database is locked") {
		t.Fatalf("unreadable settings: %q", h.dialogText())
	}

	h, c = adminHarness(t, "member")
	h.a.showCommunitySettings(c.ID)
	if _, ok := h.a.lastDialog.handles.(*settingsView); ok || !strings.Contains(h.dialogText(), "Ask an admin of Glow Team") {
		t.Fatalf("a member sees %q", h.dialogText())
	}
}
