package ui

import (
	"context"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// groupOrderView is the dialog in which an admin puts the community's
// groups in the order every member's home lists them.
type groupOrderView struct {
	a     *App
	d     *dlg
	cid   crdt.ID
	order []api.Group // the groups, announcement group left out, as ordered so far
	list  *fyne.Container
	rows  []groupOrderRow // one per group, in order, for tests
	save  *widget.Button
}

// groupOrderRow is one group's row: its name and the buttons that move it.
type groupOrderRow struct {
	name     string
	up, down *widget.Button
}

// showGroupOrder opens the order dialog for the selected community's
// groups.
func (a *App) showGroupOrder(cid crdt.ID) {
	v := &groupOrderView{a: a, cid: cid, list: container.NewVBox()}
	for _, g := range a.groups {
		if g.Kind != api.GroupAnnouncement {
			v.order = append(v.order, g)
		}
	}
	v.d = a.newDialog("Order of groups", nil)
	v.d.handles = v
	v.d.errLabel = errorLabel()
	intro := widget.NewLabel("Every member's home lists the groups in this order, after Announcements.")
	intro.Wrapping = fyne.TextWrapWord
	v.save = widget.NewButton("Save", v.commit)
	v.save.Importance = widget.HighImportance
	v.save.Disable()
	cancel := widget.NewButton("Cancel", v.d.hide)
	v.fill()
	scroll := container.NewVScroll(v.list)
	scroll.SetMinSize(fyne.NewSize(0, min(float32(len(v.order))*44, 360)))
	v.d.setContent(container.NewVBox(intro, scroll, v.d.errLabel), cancel, v.save)
	v.d.confirm, v.d.cancel = v.save, cancel
	v.d.show()
}

// fill lays out the rows in the current order.
func (v *groupOrderView) fill() {
	v.rows = v.rows[:0]
	objs := make([]fyne.CanvasObject, 0, len(v.order))
	for i, g := range v.order {
		name := widget.NewLabel(g.Name)
		name.Truncation = fyne.TextTruncateEllipsis
		up := widget.NewButtonWithIcon("", theme.MoveUpIcon(), func() { v.move(i, -1) })
		down := widget.NewButtonWithIcon("", theme.MoveDownIcon(), func() { v.move(i, 1) })
		if i == 0 {
			up.Disable()
		}
		if i == len(v.order)-1 {
			down.Disable()
		}
		v.rows = append(v.rows, groupOrderRow{name: g.Name, up: up, down: down})
		objs = append(objs, container.NewBorder(nil, nil, nil, container.NewHBox(up, down), name))
	}
	v.list.Objects = objs
	v.list.Refresh()
}

// move moves the group at i by step places.
func (v *groupOrderView) move(i, step int) {
	j := i + step
	if j < 0 || j >= len(v.order) {
		return
	}
	v.order[i], v.order[j] = v.order[j], v.order[i]
	v.fill()
	v.save.Enable()
}

// commit sends the order to the community.
func (v *groupOrderView) commit() {
	ids := make([]crdt.ID, len(v.order))
	for i, g := range v.order {
		ids[i] = g.ID
	}
	v.save.Disable()
	v.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return v.a.b.OrderGroups(ctx, v.cid, ids)
	}, func(err error) {
		if err != nil {
			v.save.Enable()
			v.d.fail("Could not change the order", err)
			return
		}
		v.d.hide()
		v.a.groupsChanged(v.cid)
	})
}
