package ui

import (
	"fmt"
	"image/color"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
)

// fileView shows the file a message shares, inside its row: the image
// (the downloaded picture, else the thumbnail the message carries) or a
// type icon, the name, its size and type or how far its download is
// (size, speed, time left) with a bar, and the buttons of its state:
// Download; Pause and Cancel; Resume and Cancel; Open and Save as…;
// Retry. Tapping the image opens the viewer; tapping a file that is here
// opens it, one that is not downloads it.
type fileView struct {
	widget.BaseWidget
	row *msgRow
	t   *transfer

	bg      *canvas.Rectangle
	img     *canvas.Image
	icon    *widget.Icon
	name    *canvas.Text
	info    *canvas.Text
	barBg   *canvas.Rectangle
	barFg   *canvas.Rectangle
	buttons map[string]*widget.Button
	shown   []*widget.Button // the buttons of the state, in order
	imgW    float32          // the image's aspect: width over height, 0 when none
	full    string           // the name uncut
	status  string           // the info line uncut
	part    filePart         // what of the file this view shows

	heightW, height float32
}

// filePart is what of a file a fileView shows: all of it, or, on a
// promotion's card, its image alone under the card's title and the rest
// (name, state, buttons) under the card's text.
type filePart int

const (
	fileWhole filePart = iota
	fileImageOnly
	fileBlockOnly
)

// fileButtons are the buttons a file can show, in the order they appear.
var fileButtons = []string{"Download", "Pause", "Resume", "Retry", "Cancel", "Open", "Save as…"}

func newFileView(row *msgRow) *fileView {
	v := &fileView{row: row, buttons: map[string]*widget.Button{}}
	v.bg = canvas.NewRectangle(color.Transparent)
	v.bg.CornerRadius = 6
	v.img = canvas.NewImageFromImage(nil)
	v.img.FillMode = canvas.ImageFillContain
	v.img.ScaleMode = canvas.ImageScaleSmooth
	v.icon = widget.NewIcon(theme.FileIcon())
	v.name = canvas.NewText("", color.Transparent)
	v.name.TextStyle.Bold = true
	v.info = canvas.NewText("", color.Transparent)
	v.info.TextSize = theme.CaptionTextSize()
	v.barBg = canvas.NewRectangle(color.Transparent)
	v.barBg.CornerRadius = 2
	v.barFg = canvas.NewRectangle(color.Transparent)
	v.barFg.CornerRadius = 2
	for _, label := range fileButtons {
		b := widget.NewButton(label, func() { v.row.act.fileAction(v.row.d.index, label) })
		b.Importance = widget.LowImportance
		if label == "Download" || label == "Open" {
			b.Importance = widget.HighImportance
		}
		v.buttons[label] = b
	}
	v.ExtendBaseWidget(v)
	return v
}

// fileIcon is the icon of a media type.
func fileIcon(mime string) fyne.Resource {
	switch fileKind(mime) {
	case "image":
		return theme.FileImageIcon()
	case "video":
		return theme.FileVideoIcon()
	case "audio":
		return theme.FileAudioIcon()
	case "document":
		return theme.FileTextIcon()
	}
	return theme.FileIcon()
}

// bind shows transfer t.
func (v *fileView) bind(t *transfer) {
	v.t = t
	f := t.file
	v.icon.SetResource(fileIcon(f.Mime))
	v.full = f.Name
	v.img.Image = t.preview
	if v.img.Image == nil {
		v.img.Image = t.thumbnail()
	}
	v.imgW = 0
	if v.img.Image != nil {
		b := v.img.Image.Bounds()
		v.imgW = float32(b.Dx()) / float32(max(1, b.Dy()))
	}
	v.img.Refresh()
	info, buttons := fileStatus(t, v.row.act.now())
	v.status = info
	v.info.Text = info
	v.shown = v.shown[:0]
	for _, b := range buttons {
		v.shown = append(v.shown, v.buttons[b])
	}
	v.heightW = 0
}

// fileStatus says where t's file is at now, in words, and which buttons
// it offers. The file of a promotion that has ended offers no download
// (nobody serves it any more) but says so; a copy here still opens, and
// what came of one partly here can be thrown away.
func fileStatus(t *transfer, now time.Time) (string, []string) {
	f := t.file
	var info []string
	var buttons []string
	if t.state != fileDone && t.promoEnded(now) {
		info = append(info, formatSize(f.Size), typeLabel(f.Name, f.Mime), "Promotion ended")
		if t.have > 0 || t.state == fileDownloading {
			buttons = []string{"Cancel"}
		}
		return strings.Join(info, " · "), buttons
	}
	switch t.state {
	case fileDownloading:
		info = append(info, fmt.Sprintf("%s of %s", formatSize(t.have), formatSize(f.Size)))
		if t.speed > 0 {
			info = append(info, formatSize(int64(t.speed))+"/s")
		}
		if l := formatLeft(t.left()); l != "" {
			info = append(info, l)
		}
		if d := droppedText(t.dropped); d != "" {
			info = append(info, d)
		}
		buttons = []string{"Pause", "Cancel"}
	case filePaused:
		info = append(info, fmt.Sprintf("Paused · %s of %s", formatSize(t.have), formatSize(f.Size)))
		buttons = []string{"Resume", "Cancel"}
	case fileFailed:
		info = append(info, "Not downloaded: "+ellipsize(explain(t.err), 90))
		buttons = []string{"Retry"}
		if t.have > 0 {
			buttons = append(buttons, "Cancel")
		}
	case fileDone:
		info = append(info, formatSize(f.Size), typeLabel(f.Name, f.Mime))
		buttons = []string{"Open", "Save as…"}
	default:
		info = append(info, formatSize(f.Size), typeLabel(f.Name, f.Mime))
		buttons = []string{"Download"}
	}
	if r := relayText(t.relay); r != "" {
		info = append(info, ellipsize(r, 90))
	}
	return strings.Join(info, " · "), buttons
}

// droppedText says which sources a download dropped: "dropped 1 source
// (bad data)", "dropped 2 sources (bad data, stalled)".
func droppedText(rs []api.RefusedSource) string {
	if len(rs) == 0 {
		return ""
	}
	var why []string
	for _, r := range rs {
		w := "bad data"
		if r.Reason == api.RefusedStalled {
			w = "stalled"
		}
		if !slices.Contains(why, w) {
			why = append(why, w)
		}
	}
	n := "1 source"
	if len(rs) > 1 {
		n = fmt.Sprintf("%d sources", len(rs))
	}
	return "dropped " + n + " (" + strings.Join(why, ", ") + ")"
}

// progressing reports whether the bar shows.
func (v *fileView) progressing() bool {
	return v.t != nil && (v.t.state == fileDownloading || v.t.state == filePaused)
}

// summary is the file as text, for tests: name, info and buttons.
func (v *fileView) summary() string {
	if v.t == nil {
		return ""
	}
	if v.part == fileImageOnly {
		return "[image]"
	}
	parts := []string{"📎 " + v.full, v.status}
	if v.img.Image != nil && v.part == fileWhole {
		parts = append(parts, "[image]")
	}
	if v.progressing() && v.t.file.Size > 0 {
		parts = append(parts, fmt.Sprintf("[%d%%]", v.t.have*100/v.t.file.Size))
	}
	for _, b := range v.shown {
		parts = append(parts, "["+b.Text+"]")
	}
	return strings.Join(parts, " ")
}

const (
	fileIconSize = 32
	fileMaxW     = 420
	fileMaxImgH  = 240
)

func (v *fileView) heightAt(w float32) float32 {
	if v.heightW == w && v.height > 0 {
		return v.height
	}
	v.height = v.layout(w, false)
	v.heightW = w
	return v.height
}

// hasImage reports whether the view draws the file's image.
func (v *fileView) hasImage() bool { return v.imgW > 0 && v.part != fileBlockOnly }

func (v *fileView) layout(w float32, place bool) float32 {
	if v.t == nil {
		return 0
	}
	pad := float32(rowPad)
	y := float32(0)
	if v.hasImage() {
		// At most w by fileMaxImgH, its aspect kept.
		ih := min(fileMaxImgH, w/v.imgW)
		iw := min(w, ih*v.imgW)
		if place {
			v.img.Move(fyne.NewPos(0, 0))
			v.img.Resize(fyne.NewSize(iw, ih))
		}
		if v.part == fileImageOnly {
			return ih
		}
		y += ih + pad
	} else if v.part == fileImageOnly {
		return 0
	}
	nh := v.name.MinSize().Height
	ih := v.info.MinSize().Height
	tx := fileIconSize + 2*pad
	fitText(v.name, v.full, max(20, w-tx-pad))
	// A long status (a relay's refusal, a failure) is cut to the card,
	// never drawn past it.
	fitText(v.info, v.status, max(20, w-tx-pad))
	if place {
		v.icon.Move(fyne.NewPos(pad, y+pad+(nh+ih-fileIconSize)/2))
		v.icon.Resize(fyne.NewSize(fileIconSize, fileIconSize))
		v.name.Move(fyne.NewPos(tx, y+pad))
		v.name.Resize(fyne.NewSize(w-tx-pad, nh))
		v.info.Move(fyne.NewPos(tx, y+pad+nh))
		v.info.Resize(fyne.NewSize(w-tx-pad, ih))
	}
	y += pad + nh + ih + pad
	if v.progressing() {
		if place {
			bw := w - tx - pad
			v.barBg.Move(fyne.NewPos(tx, y))
			v.barBg.Resize(fyne.NewSize(bw, 4))
			share := float32(0)
			if v.t.file.Size > 0 {
				share = float32(v.t.have) / float32(v.t.file.Size)
			}
			v.barFg.Move(fyne.NewPos(tx, y))
			v.barFg.Resize(fyne.NewSize(bw*min(1, share), 4))
		}
		y += 4 + pad
	}
	x := tx - pad
	bh := float32(0)
	for _, b := range v.shown {
		s := b.MinSize()
		if place {
			b.Move(fyne.NewPos(x, y))
			b.Resize(s)
		}
		x += s.Width + pad/2
		bh = s.Height
	}
	y += bh + pad/2
	if place {
		top := float32(0)
		if v.hasImage() {
			top = min(fileMaxImgH, w/v.imgW) + pad
		}
		v.bg.Move(fyne.NewPos(0, top))
		v.bg.Resize(fyne.NewSize(w, y-top))
	}
	return y
}

// Tapped opens the image in the viewer, or the file when it is here, or
// downloads it.
func (v *fileView) Tapped(*fyne.PointEvent) {
	if v.t == nil {
		return
	}
	switch {
	case isImage(v.t.file.Mime):
		v.row.act.fileAction(v.row.d.index, "View")
	case v.t.state == fileDone:
		v.row.act.fileAction(v.row.d.index, "Open")
	case v.t.state == fileRemote || v.t.state == filePaused:
		v.row.act.fileAction(v.row.d.index, "Download")
	}
}

// CreateRenderer implements fyne.Widget.
func (v *fileView) CreateRenderer() fyne.WidgetRenderer {
	r := &fileRenderer{v: v}
	r.Refresh()
	return r
}

type fileRenderer struct{ v *fileView }

func (r *fileRenderer) Layout(s fyne.Size) { r.v.layout(s.Width, true) }

func (r *fileRenderer) MinSize() fyne.Size {
	w := r.v.Size().Width
	if w <= 0 {
		w = fileMaxW
	}
	return fyne.NewSize(100, r.v.heightAt(w))
}

func (r *fileRenderer) Refresh() {
	v := r.v
	v.bg.FillColor = themeColor(colorNameQuote)
	v.name.Color = themeColor(theme.ColorNameForeground)
	v.info.Color = themeColor(theme.ColorNamePlaceHolder)
	if v.t != nil && v.t.state == fileFailed {
		v.info.Color = themeColor(theme.ColorNameError)
	}
	v.barBg.FillColor = themeColor(theme.ColorNameSeparator)
	v.barFg.FillColor = themeColor(theme.ColorNamePrimary)
	for _, b := range v.shown {
		b.Refresh()
	}
	r.Layout(v.Size())
	for _, o := range r.Objects() {
		if _, ok := o.(fyne.Widget); !ok {
			canvas.Refresh(o)
		}
	}
}

func (r *fileRenderer) Objects() []fyne.CanvasObject {
	v := r.v
	if v.part == fileImageOnly {
		if v.hasImage() {
			return []fyne.CanvasObject{v.img}
		}
		return nil
	}
	objs := []fyne.CanvasObject{v.bg}
	if v.hasImage() {
		objs = append(objs, v.img)
	}
	objs = append(objs, v.icon, v.name, v.info)
	if v.progressing() {
		objs = append(objs, v.barBg, v.barFg)
	}
	for _, b := range v.shown {
		objs = append(objs, b)
	}
	return objs
}

func (r *fileRenderer) Destroy() {}
