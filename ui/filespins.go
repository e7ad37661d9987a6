package ui

import (
	"context"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The Files view's Start here section: the files pinned in the
// announcement group (the community's library of what a newcomer needs
// first) are listed at the top of the community's Files view and of the
// announcements' own, in the order they were pinned. Those crdt lets pin
// there (Group.CanPin) pin and unpin a file from its row.

// startHere is what the Start here section lists.
type startHere struct {
	// ann is the announcement group; a zero ID when it is not known.
	ann api.Group
	// pinned are the ids of the files pinned there, in pin order.
	pinned []crdt.ID
}

// loadPins reads the announcement group and the files pinned in it.
func (v *filesView) loadPins() {
	v.pins = startHere{}
	gs, err := v.a.b.Groups(v.cid)
	if err != nil {
		v.a.log("groups", err)
		return
	}
	i := slices.IndexFunc(gs, func(g api.Group) bool { return g.Kind == api.GroupAnnouncement })
	if i < 0 || !v.gid.IsZero() && v.gid != gs[i].ID {
		return
	}
	v.pins.ann = gs[i]
	ms, err := v.a.b.Pinned(v.cid, gs[i].ID)
	if err != nil {
		v.a.log("pinned", err)
		return
	}
	for _, m := range ms {
		if m.File != nil && !m.Deleted && m.Hidden == "" {
			v.pins.pinned = append(v.pins.pinned, m.ID)
		}
	}
}

// isPinned reports whether entry e is pinned in the announcements.
func (v *filesView) isPinned(e api.FileEntry) bool {
	return e.Group == v.pins.ann.ID && !e.Group.IsZero() && slices.Contains(v.pins.pinned, e.Message)
}

// startHereEntries are the pinned files that pass the filter and the
// search, in pin order.
func (v *filesView) startHereEntries() []api.FileEntry {
	var out []api.FileEntry
	for _, id := range v.pins.pinned {
		i := slices.IndexFunc(v.all, func(e api.FileEntry) bool { return e.Message == id && e.Group == v.pins.ann.ID })
		if i >= 0 && v.matches(v.all[i]) {
			out = append(out, v.all[i])
		}
	}
	return out
}

// pinButton pins file e to Start here, or unpins it; nil unless e is in
// the announcements and crdt lets the local member pin there.
func (v *filesView) pinButton(e api.FileEntry) fyne.CanvasObject {
	if v.pins.ann.ID.IsZero() || e.Group != v.pins.ann.ID || !v.pins.ann.CanPin {
		return nil
	}
	on := !v.isPinned(e)
	label, what := "Unpin", "The file was not unpinned"
	if on {
		label, what = "Pin", "The file was not pinned"
	}
	cid, gid := v.cid, v.pins.ann.ID
	b := widget.NewButtonWithIcon(label, theme.ContentAddIcon(), nil)
	if !on {
		b.Icon = theme.ContentRemoveIcon()
	}
	b.Importance = widget.LowImportance
	b.OnTapped = func() {
		v.a.act(what, func(ctx context.Context) error { return v.a.b.Pin(ctx, cid, gid, e.Message, on) }, v.load)
	}
	v.pinButtons[e.Message] = b
	return b
}
