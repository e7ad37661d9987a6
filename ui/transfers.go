package ui

import (
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

// transfersView is the Transfers panel: every download of this session
// that runs, is paused or failed, with its progress and buttons (Pause,
// Resume, Cancel, Retry), whichever group it is in. It follows the
// downloads while open.
type transfersView struct {
	a      *App
	d      *dlg
	box    *fyne.Container
	scroll *container.Scroll
	rows   []string // what each row says, for tests
	// buttons are the rows' buttons by file name and label, for tests.
	buttons map[string]*widget.Button
}

// showTransfers opens the Transfers panel.
func (a *App) showTransfers() *transfersView {
	v := &transfersView{a: a, box: container.NewVBox()}
	v.scroll = container.NewVScroll(v.box)
	v.d = a.newDialog("Transfers", nil)
	v.d.width = 560
	v.d.handles = v
	v.d.onClose = func() {
		if a.transfers == v {
			a.transfers = nil
		}
	}
	a.transfers = v
	v.refresh()
	closeBtn := widget.NewButton("Close", v.d.hide)
	v.d.setContent(v.scroll, closeBtn)
	v.d.cancel = closeBtn
	v.d.show()
	return v
}

// refresh lists the transfers again.
func (v *transfersView) refresh() {
	fm := v.a.files
	var ts []*transfer
	for _, t := range fm.byMsg {
		switch t.state {
		case fileDownloading, filePaused, fileFailed:
			ts = append(ts, t)
		}
	}
	slices.SortFunc(ts, func(a, b *transfer) int {
		if c := strings.Compare(a.file.Name, b.file.Name); c != 0 {
			return c
		}
		return strings.Compare(a.msg.String(), b.msg.String())
	})
	v.box.Objects, v.rows, v.buttons = nil, nil, map[string]*widget.Button{}
	for _, t := range ts {
		info, labels := fileStatus(t, v.a.now())
		where := v.a.groupName(t.gid)
		v.rows = append(v.rows, t.file.Name+" · "+where+" · "+info)
		name := widget.NewLabelWithStyle(t.file.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		name.Truncation = fyne.TextTruncateEllipsis
		detail := widget.NewLabel(where + " · " + info)
		detail.Importance = widget.LowImportance
		detail.Truncation = fyne.TextTruncateEllipsis
		bar := widget.NewProgressBar()
		if t.file.Size > 0 {
			bar.SetValue(float64(t.have) / float64(t.file.Size))
		}
		buttons := container.NewHBox()
		for _, l := range labels {
			b := widget.NewButton(l, func() {
				switch l {
				case "Pause":
					fm.pause(t)
				case "Resume", "Retry":
					fm.start(t)
				case "Cancel":
					fm.stop(t)
				}
			})
			b.Importance = widget.LowImportance
			v.buttons[t.file.Name+"/"+l] = b
			buttons.Add(b)
		}
		v.box.Add(container.NewBorder(nil, nil, widget.NewIcon(fileIcon(t.file.Mime)), container.NewCenter(buttons),
			container.NewVBox(name, detail, bar)))
	}
	if len(ts) == 0 {
		v.box.Add(widget.NewLabel("No downloads running, paused or failed."))
	}
	v.box.Refresh()
	// A scroll is one line tall unless told otherwise: show every row, up
	// to transfersHeight, and scroll beyond.
	v.scroll.SetMinSize(fyne.NewSize(0, min(v.box.MinSize().Height, transfersHeight)))
	if v.d.open {
		v.d.d.Resize(fyne.NewSize(v.d.width, v.d.d.MinSize().Height))
	}
}

// transfersHeight is the most the Transfers panel's list takes before it
// scrolls.
const transfersHeight = 420
