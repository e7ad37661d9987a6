package ui

import (
	"slices"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// welcomeNames are the names of the Say welcome prompts on h's home.
func welcomeNames(h *harness) []string {
	var out []string
	for _, p := range h.a.home.welcomes {
		out = append(out, p.name)
	}
	return out
}

// TestSayWelcomePrompt: an admin's home prompts to welcome each recent
// newcomer nobody welcomed, newest first; one tap posts the welcome in
// General with the newcomer mentioned and the prompt goes; a dismissed
// prompt stays gone; one welcomed by another admin never shows; a member
// gets none.
func TestSayWelcomePrompt(t *testing.T) {
	h, _ := adminNewcomers(t)
	h.a.lastDialog.hide()
	if got := welcomeNames(h); !slices.Equal(got, []string{"Sam Lee", "Priya Shah", "Dev Patel"}) {
		t.Fatalf("prompts for %q", got)
	}
	test.Tap(h.a.home.welcomes[1].say)
	h.drain()
	if n := len(h.f.posts); n == 0 || h.f.posts[n-1] != "Welcome @Priya Shah!" {
		t.Fatalf("posted %q", h.f.posts)
	}
	if got := welcomeNames(h); !slices.Equal(got, []string{"Sam Lee", "Dev Patel"}) {
		t.Fatalf("after welcoming Priya, prompts for %q", got)
	}
	test.Tap(h.a.home.welcomes[0].dismiss)
	h.drain()
	h.a.home.reload()
	if got := welcomeNames(h); !slices.Equal(got, []string{"Dev Patel"}) {
		t.Fatalf("after dismissing Sam, prompts for %q", got)
	}

	// Welcomed by another admin (the log says so): no prompt.
	o, c := adminHarness(t, "admin")
	o.f.setSteps(c.ID, "Welcome {name}!", false, "Watch the welcome video")
	o.f.addNewcomer(c.ID, "Kim Ode", o.f.clock.Add(-3600e9), 0, o.f.clock.Add(-3600e9), "")
	o.f.mu.Lock()
	o.f.comm(c.ID).team.newcomers[0].Welcomed = true
	o.f.mu.Unlock()
	o.a.home.reload()
	if got := welcomeNames(o); len(got) != 0 {
		t.Fatalf("a welcomed newcomer prompts: %q", got)
	}

	m, _ := newcomerHarness(t)
	if len(m.a.home.welcomes) != 0 {
		t.Fatal("a member is prompted to welcome")
	}
}

// TestGoldenSayWelcome renders an admin's home with Say welcome prompts,
// light and dark.
func TestGoldenSayWelcome(t *testing.T) {
	for _, tv := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(tv.name, func(t *testing.T) {
			h, _ := adminNewcomers(t)
			h.a.lastDialog.hide()
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(tv.v))
			test.AssertImageMatches(t, "saywelcome_"+tv.name+".png", h.w.Canvas().Capture())
		})
	}
}
