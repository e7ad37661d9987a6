package ui

import (
	"context"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

func TestMain(m *testing.M) {
	time.Local = time.UTC // golden images show times
	os.Exit(m.Run())
}

// livingCommunity fills the harness with a community in use: a welcome,
// a reply with reactions, a mention, a pinned promotion and a poll with
// votes, in General.
func livingCommunity(h *harness) {
	f := h.f
	c := h.community("Glow Team", "owner", 12, "")
	f.mu.Lock()
	f.comm(c.ID).settings.Description = "Olivia's team: training, promotions and wins. New here? Start with Announcements."
	f.mu.Unlock()
	f.addCommunity("Spring Launch 2027", "member", 48)
	f.addGroup(c.ID, "Training videos", "open", false)
	h.drain()
	gid := h.a.groups[1].ID
	f.deliver(c.ID, gid, "Olivia", "Welcome to the team, everyone! Start with the 10-minute product training in the Training group.", true)
	thanks := f.deliver(c.ID, gid, "Ben", "Thanks Olivia! Just watched it.", false)
	f.deliver(c.ID, gid, "Ben", "Really clear — I loved the part about samples.", false)
	f.reactAs(c.ID, gid, thanks, "Chloe", "👍")
	f.reactAs(c.ID, gid, thanks, "Olivia", "❤️")
	promo := f.deliver(c.ID, gid, "Chloe", "Spring promo: 20% off starter kits until Sunday", false)
	f.deliverReply(c.ID, gid, "Dev", "@Olivia can I share the spring catalogue with customers yet?", false, thanks)
	f.Pin(context.Background(), c.ID, gid, promo, true)
	pid, _ := f.CreatePoll(context.Background(), c.ID, gid, "Which day suits the training call?", []string{"Monday", "Wednesday", "Friday"}, false, f.clock.Add(48*time.Hour))
	f.voteAs(c.ID, gid, pid, "Ben", 1)
	f.voteAs(c.ID, gid, pid, "Chloe", 1)
	f.voteAs(c.ID, gid, pid, "Dev", 0)
	livingPrivates(h, c.ID)
	h.drain()
	h.open("General")
	h.drain()
}

// TestGoldenScreens renders the main screens in the light and dark
// themes: the welcome of a fresh app, the first-run screen, and a living
// community's conversation with and without the info pane.
func TestGoldenScreens(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		shot := func(t *testing.T, h *harness, name string) {
			t.Helper()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, name+"_"+variant.name+".png", img)
			writeScreenshot(t, name+"_"+variant.name+".png", img)
		}
		t.Run(variant.name, func(t *testing.T) {
			t.Run("welcome", func(t *testing.T) {
				h := newHarness(t, newFake())
				shot(t, h, "welcome")
			})
			t.Run("firstrun", func(t *testing.T) {
				h := newHarness(t, newFake())
				s := NewFirstRun(fyne.CurrentApp(), nil, nil, nil)
				h.w.SetContent(s.Content())
				shot(t, h, "firstrun")
			})
			t.Run("main", func(t *testing.T) {
				h := newHarness(t, newFake())
				livingCommunity(h)
				shot(t, h, "main")
				h.a.setInfoShown(true)
				shot(t, h, "info")
			})
		})
	}
}
