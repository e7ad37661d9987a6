package ui

import (
	"fmt"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// imageViewer shows one image of a group large, with the group's other
// images a key away: Left for the one before, Right for the one after.
// It shows the downloaded picture, else the thumbnail while the picture
// downloads.
type imageViewer struct {
	a        *App
	d        *dlg
	cid, gid crdt.ID
	images   []api.FileEntry // the group's images, oldest first
	at       int
	img      *canvas.Image
	caption  *widget.Label
	count    *widget.Label
}

// showViewer opens the viewer at image message msg of group gid.
func (a *App) showViewer(cid, gid, msg crdt.ID) {
	fs, err := a.b.Files(cid, gid)
	if err != nil {
		a.showError("Could not list the group's images", err)
		return
	}
	v := &imageViewer{a: a, cid: cid, gid: gid}
	for _, f := range slices.Backward(fs) { // Files is newest first
		if isImage(f.Mime) {
			v.images = append(v.images, f)
		}
	}
	v.at = slices.IndexFunc(v.images, func(f api.FileEntry) bool { return f.Message == msg })
	if v.at < 0 {
		return
	}
	v.img = canvas.NewImageFromImage(nil)
	v.img.FillMode = canvas.ImageFillContain
	v.img.ScaleMode = canvas.ImageScaleSmooth
	v.img.SetMinSize(fyne.NewSize(640, 420))
	v.caption = widget.NewLabel("")
	v.caption.Truncation = fyne.TextTruncateEllipsis
	v.count = widget.NewLabel("")
	prev := widget.NewButtonWithIcon("", theme.NavigateBackIcon(), func() { v.step(-1) })
	next := widget.NewButtonWithIcon("", theme.NavigateNextIcon(), func() { v.step(1) })
	v.d = a.newDialog("Images", nil)
	v.d.width = 700
	v.d.onClose = func() {
		if a.viewer == v {
			a.viewer = nil
		}
	}
	closeBtn := widget.NewButton("Close", v.d.hide)
	v.d.setContent(container.NewBorder(nil, container.NewBorder(nil, nil, prev, container.NewHBox(v.count, next), v.caption), nil, nil, v.img), closeBtn)
	v.d.cancel = closeBtn
	v.d.handles = v
	a.viewer = v
	v.show()
	v.d.show()
	a.win.Canvas().Unfocus()
}

// key moves between images with the arrow keys; it reports whether it
// used the key.
func (v *imageViewer) key(k fyne.KeyName) bool {
	switch k {
	case fyne.KeyLeft:
		v.step(-1)
	case fyne.KeyRight:
		v.step(1)
	default:
		return false
	}
	return true
}

// step shows the image d places further, staying at either end.
func (v *imageViewer) step(d int) {
	if n := v.at + d; n >= 0 && n < len(v.images) {
		v.at = n
		v.show()
	}
}

// show shows image v.at: its picture when downloaded (starting the
// download when it is not here), else its thumbnail.
func (v *imageViewer) show() {
	e := v.images[v.at]
	v.caption.SetText(e.Name + " · " + e.AuthorName + " · " + formatSize(e.Size))
	v.count.SetText(fmt.Sprintf("%d of %d", v.at+1, len(v.images)))
	v.img.Image = nil
	fm := v.a.files
	t := fm.byMsg[e.Message]
	if t == nil {
		t = v.transferOf(e)
	}
	if t != nil {
		switch t.state {
		case fileUnknown, fileRemote, filePaused, fileFailed:
			fm.start(t) // shown once here (fileManager.changed)
		}
		v.img.Image = t.preview
		if v.img.Image == nil {
			v.img.Image = t.thumbnail()
		}
	}
	v.img.Refresh()
}

// transferOf finds the transfer of entry e through its message.
func (v *imageViewer) transferOf(e api.FileEntry) *transfer {
	m, err := v.a.b.Message(v.cid, e.Group, e.Message)
	if err != nil || m.File == nil {
		return nil
	}
	return v.a.files.of(v.cid, e.Group, m)
}

// name is the name of the image shown, for tests.
func (v *imageViewer) name() string { return v.images[v.at].Name }
