package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// groupQA reports whether the fake's group named name is a Q&A group.
func (h *harness) groupQA(name string) bool {
	h.t.Helper()
	gs, err := h.f.Groups(h.a.community)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, g := range gs {
		if g.Name == name {
			return g.QA
		}
	}
	h.t.Fatalf("no group %s", name)
	return false
}

// TestGroupSettingsQA: an admin marks a group as a Q&A group from its
// settings and unmarks it; the choice is not offered where crdt refuses
// it (the announcement group).
func TestGroupSettingsQA(t *testing.T) {
	h, c := adminHarness(t, "owner")
	gid := h.a.groups[2].ID // Product questions
	v := h.groupSettingsDialog(c.ID, gid)
	if v.qa == nil || v.qa.Checked {
		t.Fatalf("Q&A choice %v in %q", v.qa, h.dialogText())
	}
	v.qa.SetChecked(true)
	test.Tap(v.save)
	h.drain()
	if v.d.open || !h.groupQA("Product questions") {
		t.Fatalf("open %v, error %q: the group is not a Q&A group", v.d.open, v.d.errLabel.Text)
	}
	v = h.groupSettingsDialog(c.ID, gid)
	if !v.qa.Checked {
		t.Fatal("the settings do not show the group is a Q&A group")
	}
	v.qa.SetChecked(false)
	test.Tap(v.save)
	h.drain()
	if h.groupQA("Product questions") {
		t.Fatal("unmarking left it a Q&A group")
	}
	if h.f.calls["SetQA"] != 2 {
		t.Fatalf("SetQA called %d times", h.f.calls["SetQA"])
	}
	// Saving without changing it writes no Q&A op.
	v = h.groupSettingsDialog(c.ID, gid)
	test.Tap(v.save)
	h.drain()
	if h.f.calls["SetQA"] != 2 {
		t.Fatalf("an unchanged save called SetQA: %d", h.f.calls["SetQA"])
	}
	if v := h.groupSettingsDialog(c.ID, h.a.groups[0].ID); v.qa != nil {
		t.Fatal("the announcement group offers to become a Q&A group")
	}
}

// TestCommunitySettingsCelebrate: an admin chooses in the community
// settings whether everyone or only admins celebrate wins.
func TestCommunitySettingsCelebrate(t *testing.T) {
	h, c := adminHarness(t, "admin")
	h.a.showCommunitySettings(c.ID)
	v := h.a.lastDialog.handles.(*settingsView)
	if v.celebrate == nil || v.celebrate.Selected != "Everyone" {
		t.Fatalf("who celebrates: %v in %q", v.celebrate, h.dialogText())
	}
	v.celebrate.SetSelected("Admins only")
	test.Tap(v.save)
	h.drain()
	if !h.a.communityInfo(c.ID).AdminsCelebrate {
		t.Fatal("only admins celebrate is not set")
	}
	h.a.showCommunitySettings(c.ID)
	v = h.a.lastDialog.handles.(*settingsView)
	if v.celebrate.Selected != "Admins only" {
		t.Fatalf("the settings show %q", v.celebrate.Selected)
	}
	v.celebrate.SetSelected("Everyone")
	test.Tap(v.save)
	h.drain()
	if h.a.communityInfo(c.ID).AdminsCelebrate || h.f.calls["SetAdminsCelebrate"] != 2 {
		t.Fatalf("admins celebrate %v after %d calls", h.a.communityInfo(c.ID).AdminsCelebrate, h.f.calls["SetAdminsCelebrate"])
	}
}

// TestGoldenTeamSettings renders the community settings with who
// celebrates wins and a group's settings with its Q&A choice, light and
// dark.
func TestGoldenTeamSettings(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			for _, s := range []struct {
				name string
				show func(h *harness)
			}{
				{"teamsettings_community", func(h *harness) {
					h.w.Resize(fyne.NewSize(1100, 1200)) // the whole form, down to who celebrates
					h.a.showCommunitySettings(h.a.community)
				}},
				{"teamsettings_group", func(h *harness) { h.groupSettingsDialog(h.a.community, h.a.groups[2].ID) }},
			} {
				t.Run(s.name, func(t *testing.T) {
					h, _ := adminHarness(t, "owner")
					fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
					s.show(h)
					img := h.w.Canvas().Capture()
					test.AssertImageMatches(t, s.name+"_"+variant.name+".png", img)
					writeScreenshot(t, s.name+"_"+variant.name+".png", img)
				})
			}
		})
	}
}
