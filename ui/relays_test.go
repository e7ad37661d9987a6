package ui

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The peer ids of the relays in these tests.
const (
	relayOne = "12D3KooWRelayOneOfGlowTeamAbCdEfGhKp7x"
	relayTwo = "12D3KooWRelayTwoOfGlowTeamZyXwVuTsQr9m"
)

// relaysDialog opens the relays dialog and returns its view.
func (h *harness) relaysDialog(cid crdt.ID) *relaysView {
	h.t.Helper()
	h.a.showRelays(cid)
	v, ok := h.a.lastDialog.handles.(*relaysView)
	if !ok {
		h.t.Fatalf("the relays dialog has handles %T: %q", h.a.lastDialog.handles, h.dialogText())
	}
	return v
}

// rowTexts is the text of the relay rows, top to bottom.
func (v *relaysView) rowTexts() []string {
	var out []string
	for _, r := range v.rows {
		out = append(out, r.text())
	}
	return out
}

// TestRelaysAdmin: an owner reaches the relays from the community
// settings, is told in the dialog what is wrong with a bad address (and
// keeps what was pasted), adds a relay by its address, sees its state
// change as the device syncs with it, and removes it after confirming.
func TestRelaysAdmin(t *testing.T) {
	h, c := adminHarness(t, "owner")
	h.a.showCommunitySettings(c.ID)
	sv := h.a.lastDialog.handles.(*settingsView)
	if got := h.dialogText(); !strings.Contains(got, "No relay keeps this community yet") {
		t.Fatalf("settings say %q", got)
	}
	test.Tap(sv.relays)
	v, ok := h.a.lastDialog.handles.(*relaysView)
	if !ok {
		t.Fatalf("Relays… opened %T", h.a.lastDialog.handles)
	}
	d := v.d
	if v.count.Text != "No relays" || !v.empty.Visible() || v.addr == nil {
		t.Fatalf("empty dialog: count %q, empty shown %v, form %v", v.count.Text, v.empty.Visible(), v.addr != nil)
	}

	test.Tap(v.add)
	if !d.errLabel.Visible() || d.errLabel.Text != "Paste the relay's address first." {
		t.Fatalf("nothing pasted: %q", d.errLabel.Text)
	}
	test.Type(v.addr, "relay.example.com:4001")
	test.Tap(v.add)
	h.drain()
	if !d.open || !strings.HasPrefix(d.errLabel.Text, "Could not add the relay: Not a relay address") || v.addr.Text != "relay.example.com:4001" {
		t.Fatalf("bad address: open %v, error %q, entry %q", d.open, d.errLabel.Text, v.addr.Text)
	}
	if len(v.rows) != 0 {
		t.Fatalf("a bad address listed %v", v.rowTexts())
	}

	v.addr.SetText("")
	test.Type(v.addr, " /ip4/203.0.113.5/udp/4001/quic-v1/p2p/"+relayOne+" ")
	v.addr.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.drain()
	if d.errLabel.Visible() || v.addr.Text != "" {
		t.Fatalf("after adding: error %q, entry %q", d.errLabel.Text, v.addr.Text)
	}
	want := []string{"Relay 12D3KooW…Kp7x · /ip4/203.0.113.5/udp/4001/quic-v1 · Offline · not synced yet"}
	if got := v.rowTexts(); !slices.Equal(got, want) || v.count.Text != "1 relay" || v.empty.Visible() {
		t.Fatalf("after adding: %q %q, want %q", v.count.Text, got, want)
	}
	if got := h.f.relaysOf(c.ID); len(got) != 1 || got[0].PeerID != relayOne {
		t.Fatalf("backend holds %+v", got)
	}

	synced := time.Date(2026, 11, 25, 9, 31, 0, 0, time.UTC)
	h.f.setRelay(c.ID, api.RelayState{PeerID: relayOne, Addrs: []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}, Online: true, LastSync: &synced})
	h.drain()
	if got := v.rows[0].text(); !strings.HasSuffix(got, " · Online · last sync Nov 25, 09:31") {
		t.Fatalf("online relay: %q", got)
	}
	h.f.setRelay(c.ID, api.RelayState{PeerID: relayOne, Addrs: []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}, Online: true, LastSync: &synced, Refused: "the relay's disk quota is full"})
	h.drain()
	if got := v.rows[0]; !strings.HasSuffix(got.text(), " · refused: the relay's disk quota is full") || got.state.Importance != widget.DangerImportance {
		t.Fatalf("refusing relay: %q (importance %v)", got.text(), got.state.Importance)
	}

	test.Tap(v.rows[0].remove)
	confirm := h.a.lastDialog
	if confirm == d || !strings.Contains(h.dialogText(), "may delete its copy of Glow Team") {
		t.Fatalf("remove asked %q", h.dialogText())
	}
	h.confirm(confirm)
	if len(v.rows) != 0 || v.count.Text != "No relays" || len(h.f.relaysOf(c.ID)) != 0 {
		t.Fatalf("after removing: %q %q, backend %v", v.count.Text, v.rowTexts(), h.f.relaysOf(c.ID))
	}
}

// TestRelaysRefused: a failing backend is explained in the dialog, which
// stays open with what was pasted.
func TestRelaysRefused(t *testing.T) {
	h, c := adminHarness(t, "admin")
	v := h.relaysDialog(c.ID)
	h.f.failNext("AddRelayAddr", errors.New("the database is locked"))
	test.Type(v.addr, "/ip4/203.0.113.5/tcp/4001/p2p/"+relayOne)
	test.Tap(v.add)
	h.drain()
	if !v.d.open || v.d.errLabel.Text != "Could not add the relay: The database is locked" || v.addr.Text == "" {
		t.Fatalf("open %v, error %q, entry %q", v.d.open, v.d.errLabel.Text, v.addr.Text)
	}
}

// TestRelaysMemberReadOnly: a member finds the relays in the community's
// menu and sees each with its state, but no form and no Remove: the
// backend's CanManageRelays says so.
func TestRelaysMemberReadOnly(t *testing.T) {
	h, c := adminHarness(t, "member")
	if c.CanManageRelays {
		t.Fatal("crdt lets a member manage relays")
	}
	h.f.setRelay(c.ID, api.RelayState{PeerID: relayOne, Addrs: []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}, Online: true})
	h.drain()
	if got := menuLabels(h.a.home.menu()); !slices.Contains(got, "Relays") || slices.Contains(got, "Community settings") {
		t.Fatalf("a member's menu: %q", got)
	}
	h.choose(h.a.home.menu(), "Relays")
	v, ok := h.a.lastDialog.handles.(*relaysView)
	if !ok {
		t.Fatalf("Relays opened %T", h.a.lastDialog.handles)
	}
	if v.addr != nil || v.add != nil || v.rows[0].remove != nil {
		t.Fatal("a member is offered to add or remove relays")
	}
	if got := h.dialogText(); !strings.Contains(got, "Only admins add or remove relays.") || !strings.Contains(got, "Online · not synced yet") {
		t.Fatalf("a member reads %q", got)
	}
}

// TestNetworkIndicatorCountsRelays: relays are counted apart from
// peers.
func TestNetworkIndicatorCountsRelays(t *testing.T) {
	f := newFake()
	h := newHarness(t, f)
	f.setStatus(api.Status{Network: "online", Peers: []api.PeerStatus{{PeerID: "a"}, {PeerID: "b"}, {PeerID: "c", Relayed: true}, {PeerID: "r", Relay: true}}})
	h.waitEvent(api.EventPeers)
	if got := h.a.rail.netStatus.String(); got != "● Online · 3 peers, 1 through a relay · 1 relay" {
		t.Fatalf("indicator %q", got)
	}
	f.setStatus(api.Status{Network: "online", Peers: []api.PeerStatus{{PeerID: "r", Relay: true}, {PeerID: "s", Relay: true}}})
	h.waitEvent(api.EventPeers)
	if got := h.a.rail.netStatus.String(); got != "● Online · 0 peers · 2 relays" {
		t.Fatalf("indicator with relays only %q", got)
	}
}

// TestGoldenRelays renders an owner's relays dialog with a relay in sync
// and one that refuses, light and dark.
func TestGoldenRelays(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h, c := adminHarness(t, "owner")
			synced := time.Date(2026, 11, 25, 9, 28, 0, 0, time.UTC)
			h.f.setRelay(c.ID, api.RelayState{PeerID: relayOne, Addrs: []string{"/ip4/203.0.113.5/udp/4001/quic-v1"}, Online: true, LastSync: &synced})
			h.f.setRelay(c.ID, api.RelayState{PeerID: relayTwo, Addrs: []string{"/dns4/relay.glowteam.example/tcp/4001"}, LastSync: &synced, Refused: "the relay's quota for this community is full"})
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			h.relaysDialog(c.ID)
			name := "relays_" + variant.name + ".png"
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, name, img)
			writeScreenshot(t, name, img)
		})
	}
}
