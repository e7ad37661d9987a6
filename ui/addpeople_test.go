package ui

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// addPeopleHarness is an owner of Glow Team and of a new Glow Customers,
// with contacts from the team (Ben, Chloe, Dev) and Ema, who is in the
// customers' community already; the customers' community is selected.
func addPeopleHarness(t *testing.T) (*harness, api.Community) {
	t.Helper()
	h, team := adminHarness(t, "owner")
	customers := h.community("Glow Customers", "owner", 1, "")
	for _, name := range []string{"Dev", "Ben", "Chloe"} {
		h.f.addContact(name, team.ID)
	}
	h.f.addContact("Ema", team.ID, customers.ID)
	h.drain()
	return h, customers
}

// addPeopleDialog opens Add people from the invite manager.
func (h *harness) addPeopleDialog(cid crdt.ID) *addPeopleView {
	h.t.Helper()
	iv := h.inviteDialog(cid)
	if iv.addPeople == nil {
		h.t.Fatal("the invite manager offers no Add people to an owner")
	}
	test.Tap(iv.addPeople)
	v, ok := h.a.lastDialog.handles.(*addPeopleView)
	if !ok {
		h.t.Fatalf("Add people has handles %T: %q", h.a.lastDialog.handles, h.dialogText())
	}
	return v
}

// TestAddPeople: an owner sees the people she shares another community
// with and not this one, finds one by name, and adds her with one tap.
func TestAddPeople(t *testing.T) {
	h, c := addPeopleHarness(t)
	v := h.addPeopleDialog(c.ID)
	if got, want := v.shown(), []string{"Dev <Add>", "Ben <Add>", "Chloe <Add>"}; !slices.Equal(got, want) {
		t.Fatalf("contacts shown %q, want %q", got, want)
	}
	test.Type(v.search, "CH")
	if got := v.shown(); !slices.Equal(got, []string{"Chloe <Add>"}) {
		t.Fatalf("search for ch: %q", got)
	}
	test.Tap(v.rows[2].add)
	h.drain()
	if got := v.shown(); !slices.Equal(got, []string{"Chloe <Added>"}) || !v.rows[2].add.Disabled() {
		t.Fatalf("after adding: %q", got)
	}
	ms, _ := h.f.Members(c.ID)
	if !slices.ContainsFunc(ms, func(m api.Member) bool { return m.Name == "Chloe" && m.Role == "member" }) {
		t.Fatalf("members after the add: %+v", ms)
	}
	test.Type(v.search, "zz")
	if got := v.shown(); len(got) != 0 || !v.empty.Visible() || !strings.Contains(v.empty.String(), "Nobody called") {
		t.Fatalf("search for nobody: %q, %q", got, v.empty.String())
	}
}

// TestAddPeopleRefused: a refused add says why and can be tried again.
func TestAddPeopleRefused(t *testing.T) {
	h, c := addPeopleHarness(t)
	v := h.addPeopleDialog(c.ID)
	h.f.mu.Lock()
	h.f.fail["AddMember"] = api.ErrNotContact
	h.f.mu.Unlock()
	test.Tap(v.rows[0].add)
	h.drain()
	if !v.d.errLabel.Visible() || !strings.Contains(v.d.errLabel.Text, "Could not add Dev") || v.rows[0].add.Disabled() {
		t.Fatalf("error %q (visible %v), button disabled %v", v.d.errLabel.Text, v.d.errLabel.Visible(), v.rows[0].add.Disabled())
	}
	if !strings.Contains(v.d.errLabel.Text, "invite link") {
		t.Fatalf("the error does not point to a link: %q", v.d.errLabel.Text)
	}
}

// TestAddPeopleOnlyForAdmins: a plain member's invite screen offers no
// Add people.
func TestAddPeopleOnlyForAdmins(t *testing.T) {
	h, _ := adminHarness(t, "admin")
	c := h.community("Glow Customers", "member", 3, "")
	h.a.showInviteManager(c.ID)
	if _, ok := h.a.lastDialog.handles.(*inviteView); ok {
		t.Fatal("a member got the invite manager")
	}
	if h.a.communityInfo(c.ID).CanAddMembers {
		t.Fatal("a member may add members")
	}
}

// TestAddedNotification: the member's app tells who added it where.
func TestAddedNotification(t *testing.T) {
	h, _ := adminHarness(t, "owner")
	c := h.f.addCommunity("Glow Customers", "member", 2)
	h.f.mu.Lock()
	h.f.comm(c.ID).info.AddedBy = "Olivia"
	h.f.mu.Unlock()
	h.f.emit(api.Event{Kind: api.EventAdded, Community: c.ID})
	h.drain()
	if !slices.ContainsFunc(h.notified, func(n string) bool { return strings.HasPrefix(n, "Olivia added you to Glow Customers | ") }) {
		t.Fatalf("notifications %q", h.notified)
	}
}

// TestGoldenAddPeople renders Add people, light and dark.
func TestGoldenAddPeople(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c := addPeopleHarness(t)
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			h.addPeopleDialog(c.ID)
			name := "admin_addpeople_" + variant.name + ".png"
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, name, img)
			writeScreenshot(t, name, img)
		})
	}
}
