package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The relays of a community (Community settings → Relays, and the
// community's menu): always-on computers that keep the community's
// encrypted logs for members who are offline. Everyone sees the list with
// the state of each relay as this device sees it; admins
// (Community.CanManageRelays, as crdt decides) add one by pasting the
// address `umbrellad relay` prints, and remove one.

// relaysIntro says what a relay is, in the relays dialog.
const relaysIntro = "A relay is an always-on computer that keeps an encrypted copy of the community for members who are offline: what you post reaches them when they next open Umbrella, even if you have closed yours. A relay cannot read anything."

// relaysView is the relays dialog's widgets: the relays of one community
// with the state of each and, for admins, the entry to add one. Touched
// only on the UI goroutine.
type relaysView struct {
	a   *App
	d   *dlg
	cid crdt.ID

	count *widget.Label
	list  *fyne.Container // one relayRow box per relay
	empty *widget.Label
	rows  []*relayRow
	// addr and add are the admins' form; nil for members.
	addr *keyEntry
	add  *widget.Button
}

// relayRow is one relay of the list: who it is, where it is dialled, its
// state and, for admins, the Remove button.
type relayRow struct {
	rs     api.RelayState
	box    *fyne.Container
	name   *widget.Label
	addr   *widget.RichText
	state  *widget.Label
	remove *widget.Button // nil for members
}

// text is what the row shows, for tests: "Relay 12D3…Kp7x · /ip4/… ·
// Online · last sync Nov 25, 09:31".
func (r *relayRow) text() string {
	return r.name.Text + " · " + r.addr.String() + " · " + r.state.Text
}

// showRelays lists community cid's relays with the state of each; admins
// add and remove them.
func (a *App) showRelays(cid crdt.ID) {
	d := a.newDialog("Relays of "+a.communityName(cid), nil)
	d.width = 560
	v := &relaysView{a: a, d: d, cid: cid}
	d.handles = v
	d.errLabel = errorLabel()
	v.count = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.list = container.NewVBox()
	v.empty = wrapped("")
	v.empty.Importance = widget.LowImportance
	v.empty.Hide()
	parts := []fyne.CanvasObject{hint(relaysIntro), v.count, v.list, v.empty}
	if a.communityInfo(cid).CanManageRelays {
		v.addr = newKeyEntry(a)
		v.addr.SetPlaceHolder("/ip4/203.0.113.5/udp/4001/quic-v1/p2p/12D3KooW…")
		v.add = widget.NewButtonWithIcon("Add relay", theme.ContentAddIcon(), v.addRelay)
		v.add.Importance = widget.HighImportance
		v.addr.OnSubmitted = func(string) { v.addRelay() }
		parts = append(parts, sectionTitle("Add a relay"),
			container.NewBorder(nil, nil, nil, v.add, v.addr),
			hint("Paste the address that umbrellad relay prints on the relay's computer. Every member's device then sends what it writes to the relay and catches up from it."))
	} else {
		parts = append(parts, hint("Only admins add or remove relays."))
	}
	parts = append(parts, d.errLabel)
	closeBtn := widget.NewButton("Close", d.hide)
	d.cancel = closeBtn
	v.refresh()
	d.setContent(a.fitToWindow(container.NewVBox(parts...)), closeBtn)
	if v.addr != nil {
		d.createEntry, d.confirm = v.addr, v.add
	}
	d.show()
	if v.addr != nil {
		a.focus(v.addr)
	}
}

// communityID implements adminView.
func (v *relaysView) communityID() crdt.ID { return v.cid }

// refresh implements adminView: it re-reads the relays and their state.
// What the admin is typing stays.
func (v *relaysView) refresh() {
	rs, err := v.a.b.Relays(v.cid)
	if err != nil {
		v.d.fail("Could not list the relays", err)
		return
	}
	v.rows = v.rows[:0]
	v.list.Objects = nil
	for _, r := range rs {
		row := v.newRow(r)
		v.rows = append(v.rows, row)
		v.list.Objects = append(v.list.Objects, row.box)
	}
	v.list.Refresh()
	switch len(rs) {
	case 0:
		v.count.SetText("No relays")
		v.empty.SetText("Without a relay, a message reaches a member only when someone who has it is online at the same time.")
		v.empty.Show()
	case 1:
		v.count.SetText("1 relay")
		v.empty.Hide()
	default:
		v.count.SetText(itoa(len(rs)) + " relays")
		v.empty.Hide()
	}
	v.d.relayout()
}

// newRow makes the row of relay r.
func (v *relaysView) newRow(r api.RelayState) *relayRow {
	row := &relayRow{rs: r}
	row.name = widget.NewLabelWithStyle("Relay "+shortPeerID(r.PeerID), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	row.addr = widget.NewRichText(&widget.TextSegment{Text: strings.Join(r.Addrs, ", "), Style: widget.RichTextStyle{
		SizeName: theme.SizeNameCaptionText, ColorName: theme.ColorNamePlaceHolder, TextStyle: fyne.TextStyle{Monospace: true}}})
	row.addr.Truncation = fyne.TextTruncateEllipsis
	row.state = widget.NewLabel(v.a.relayState(r))
	row.state.Wrapping = fyne.TextWrapWord
	switch {
	case r.Refused != "":
		row.state.Importance = widget.DangerImportance
	case r.Online:
		row.state.Importance = widget.SuccessImportance
	default:
		row.state.Importance = widget.LowImportance
	}
	var right fyne.CanvasObject
	if v.add != nil {
		row.remove = widget.NewButtonWithIcon("Remove", theme.DeleteIcon(), func() { v.confirmRemove(row.rs) })
		row.remove.Importance = widget.LowImportance
		right = container.NewCenter(row.remove)
	}
	icon := widget.NewIcon(theme.StorageIcon())
	row.box = container.NewBorder(nil, nil, container.NewCenter(icon), right, container.New(tightVBox{}, row.name, row.addr, row.state))
	return row
}

// relayState is how this device sees relay r: online or not, its last
// sync, and the relay's refusal (or why it could not be reached).
func (a *App) relayState(r api.RelayState) string {
	s := "Offline"
	if r.Online {
		s = "Online"
	}
	if r.LastSync != nil {
		s += " · last sync " + a.shortTime(*r.LastSync)
	} else {
		s += " · not synced yet"
	}
	if r.Refused != "" {
		s += " · refused: " + r.Refused
	}
	return s
}

// shortPeerID is a peer id cut to its start and end, as people compare
// them: "12D3KooW…Kp7x".
func shortPeerID(p string) string {
	if len(p) <= 16 {
		return p
	}
	return p[:8] + "…" + p[len(p)-4:]
}

// addRelay registers the relay whose address the admin pasted; the
// backend judges the address and says what is wrong with it.
func (v *relaysView) addRelay() {
	addr := strings.TrimSpace(v.addr.Text)
	if addr == "" {
		v.d.invalid("Paste the relay's address first.")
		return
	}
	v.d.run("Could not add the relay", v.add, func(ctx context.Context) error {
		return v.a.b.AddRelayAddr(ctx, v.cid, addr)
	}, func() {
		v.addr.SetText("")
		v.refresh()
	})
}

// confirmRemove asks, then takes relay r off the community.
func (v *relaysView) confirmRemove(r api.RelayState) {
	community := v.a.communityName(v.cid)
	text := "Members stop sending to this relay and catching up from it, and it may delete its copy of " + community + ". Members who are offline then get new messages only when someone who has them is online."
	v.a.confirmAction("Remove relay "+shortPeerID(r.PeerID)+"?", text, "Remove", func() {
		v.d.run("Could not remove the relay", nil, func(ctx context.Context) error {
			return v.a.b.RemoveRelayPeer(ctx, v.cid, r.PeerID)
		}, v.refresh)
	})
}

// relaysSummary is the Relays line of the community settings: how many
// relays keep the community.
func relaysSummary(n int) string {
	switch n {
	case 0:
		return "No relay keeps this community yet: a message reaches a member only when someone who has it is online at the same time."
	case 1:
		return "1 relay keeps this community for members who are offline."
	}
	return itoa(n) + " relays keep this community for members who are offline."
}
