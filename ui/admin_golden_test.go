package ui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
)

// TestGoldenAdminScreens renders the invite manager with its ready link
// and QR code (light and dark) and the members dialog (light).
func TestGoldenAdminScreens(t *testing.T) {
	for _, tc := range []struct {
		name string
		show func(h *harness, c api.Community)
	}{
		{"admin_invites_light.png", func(h *harness, c api.Community) {
			h.inviteDialog(c.ID)
		}},
		{"admin_invites_dark.png", func(h *harness, c api.Community) {
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(theme.VariantDark))
			h.inviteDialog(c.ID)
		}},
		{"admin_members_light.png", func(h *harness, c api.Community) {
			h.f.setRoleOf(c.ID, chloeID, "admin")
			h.drain()
			h.membersDialog(c.ID)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, c := adminHarness(t, "owner")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(theme.VariantLight))
			tc.show(h, c)
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, tc.name, img)
			writeScreenshot(t, tc.name, img)
		})
	}
}
