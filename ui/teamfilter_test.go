package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// shownNames are the names of the members the list shows.
func (v *membersView) shownNames() []string {
	var out []string
	for _, m := range v.shown {
		out = append(out, m.Name)
	}
	return out
}

// TestMembersTeamFilter: the members list narrows to one member's team,
// everyone they brought in down the line (Olivia → Ben → Chloe, and
// Olivia → Dev in the fake), and the search works inside it.
func TestMembersTeamFilter(t *testing.T) {
	h, c := adminHarness(t, "member")
	v := h.membersDialog(c.ID)
	if want := []string{"Everyone", "Team of Olivia", "Team of Ben"}; !slices.Equal(v.team.choose.Options, want) || !v.team.choose.Visible() {
		t.Fatalf("team filter offers %q, want %q", v.team.choose.Options, want)
	}
	v.team.choose.SetSelected("Team of Ben")
	if got, want := v.shownNames(), []string{"Ben", "Chloe"}; !slices.Equal(got, want) || v.count.Text != "2 of 4 members" {
		t.Fatalf("Ben's team shows %q (%s), want %q", got, v.count.Text, want)
	}
	test.Type(v.search, "dev")
	if len(v.shown) != 0 || v.empty.Text != "Nobody in Team of Ben matches “dev”." {
		t.Fatalf("searching Ben's team for dev: %q, %q", v.shownNames(), v.empty.Text)
	}
	v.search.SetText("")
	v.team.choose.SetSelected("Team of Olivia")
	if got := v.shownNames(); len(got) != 4 {
		t.Fatalf("Olivia's team shows %q", got)
	}
	v.team.choose.SetSelected(everyoneFilter)
	if len(v.shown) != 4 || v.count.Text != "4 members · 3 online" {
		t.Fatalf("everyone: %q, %s", v.shownNames(), v.count.Text)
	}
	if v.team.invitedBy.Visible() {
		t.Fatalf("the founder is told %q", v.team.invitedBy.Text)
	}
}

// TestMembersInvitedYou: the members list tells the local member who
// invited them.
func TestMembersInvitedYou(t *testing.T) {
	h, c := adminHarness(t, "member")
	h.f.setInviter(c.ID, h.a.self.PeerID, chloeID)
	v := h.membersDialog(c.ID)
	if !v.team.invitedBy.Visible() || v.team.invitedBy.Text != "Chloe invited you." {
		t.Fatalf("invited by: %v %q", v.team.invitedBy.Visible(), v.team.invitedBy.Text)
	}
}

// TestMembersInvitedBy: every member's row says who invited them, as
// the team tree has it (Olivia → Ben → Chloe, Olivia → Dev in the fake);
// the founder's says nothing of the kind, and a row bound again for
// another member does not keep the last one's inviter.
func TestMembersInvitedBy(t *testing.T) {
	h, c := adminHarness(t, "member")
	v := h.membersDialog(c.ID)
	for name, want := range map[string]string{"Ben": "Ben · invited by Olivia", "Chloe": "Chloe · invited by Ben", "Dev": "Dev · invited by Olivia"} {
		if got := v.rowOf(t, name).text(); !strings.HasPrefix(got, want+" ") {
			t.Errorf("%s's row says %q, want it to start with %q", name, got, want)
		}
	}
	if got := v.rowOf(t, "Olivia").text(); strings.Contains(got, "invited by") {
		t.Errorf("the founder's row says %q", got)
	}
	v.team.choose.SetSelected("Team of Ben")
	if got := v.rowOf(t, "Ben").text(); !strings.HasPrefix(got, "Ben · invited by Olivia ") {
		t.Errorf("in Ben's team, Ben's row says %q", got)
	}
}

// TestGoldenMembersTeam renders the members list filtered to one
// member's team, light and dark.
func TestGoldenMembersTeam(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c := adminHarness(t, "owner")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			v := h.membersDialog(c.ID)
			v.team.choose.SetSelected("Team of Ben")
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "members_team_"+variant.name+".png", img)
			writeScreenshot(t, "members_team_"+variant.name+".png", img)
		})
	}
}
