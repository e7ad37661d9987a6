package ui

import (
	"context"
	"fmt"
	"os"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fileFilters are the Files view's type filters, with the kinds each
// shows (fileKind).
var fileFilters = []string{"All files", "Images", "Videos", "Documents", "Other"}

// maxFilesShown bounds the rows the Files view lays out; a search or a
// filter finds the rest.
const maxFilesShown = 200

// filesView is the content library of a group or a community: every file
// shared there, newest first, filtered by type and searched by name, with
// where and by whom it was posted and how much of it is here.
type filesView struct {
	a        *App
	d        *dlg
	cid, gid crdt.ID // gid zero: the whole community
	all      []api.FileEntry
	filter   *widget.Select
	search   *widget.Entry
	rows     *fyne.Container
	status   *widget.Label
	// shown are the entries listed, in order (a test hook).
	shown []api.FileEntry
	// pins are the files pinned in the announcements, listed first as
	// Start here (top, a test hook), with their pin buttons by message
	// (filespins.go).
	pins       startHere
	top        []api.FileEntry
	pinButtons map[crdt.ID]*widget.Button
}

// showCommunityFiles opens the selected community's Files view.
func (a *App) showCommunityFiles() {
	if a.community.IsZero() {
		return
	}
	a.showFiles(a.community, crdt.ID{})
}

// showFiles opens the Files view of group gid of community cid, or of
// the whole community when gid is zero.
func (a *App) showFiles(cid, gid crdt.ID) *filesView {
	v := &filesView{a: a, cid: cid, gid: gid}
	title := "Files"
	if gid.IsZero() {
		for _, c := range a.communities {
			if c.ID == cid {
				title = "Files in " + c.Name
			}
		}
	} else {
		title = "Files in " + a.groupName(gid)
	}
	v.d = a.newDialog(title, nil)
	v.d.width = 620
	v.d.handles = v
	v.filter = widget.NewSelect(fileFilters, func(string) { v.refresh() })
	v.filter.SetSelectedIndex(0)
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder("Search by name")
	v.search.OnChanged = func(string) { v.refresh() }
	v.rows = container.NewVBox()
	v.status = widget.NewLabel("")
	v.status.Importance = widget.LowImportance
	v.load()
	scroll := container.NewVScroll(v.rows)
	scroll.SetMinSize(fyne.NewSize(580, 380))
	closeBtn := widget.NewButton("Close", v.d.hide)
	storage := widget.NewButton("Storage…", func() { a.showStorage() })
	v.d.setContent(container.NewBorder(container.NewBorder(nil, nil, nil, v.filter, v.search), v.status, nil, nil, scroll), storage, closeBtn)
	v.d.cancel = closeBtn
	v.d.show()
	return v
}

// load reads the files again and shows them.
func (v *filesView) load() {
	v.loadPins()
	fs, err := v.a.b.Files(v.cid, v.gid)
	if err != nil {
		v.all = nil
		v.status.SetText("Could not list the files: " + explain(err))
	} else {
		v.all = fs
	}
	v.refresh()
}

// matches reports whether entry e passes the filter and the search.
func (v *filesView) matches(e api.FileEntry) bool {
	want := map[string]string{"Images": "image", "Videos": "video", "Documents": "document", "Other": "other"}[v.filter.Selected]
	if k := fileKind(e.Mime); want != "" && k != want && !(want == "other" && k == "audio") {
		return false
	}
	q := strings.ToLower(strings.TrimSpace(v.search.Text))
	return q == "" || strings.Contains(strings.ToLower(e.Name), q)
}

// refresh lists the files that match, newest first.
func (v *filesView) refresh() {
	if v.rows == nil {
		return
	}
	v.shown = v.shown[:0]
	v.rows.Objects = nil
	v.pinButtons = map[crdt.ID]*widget.Button{}
	v.top = v.startHereEntries()
	if len(v.top) > 0 {
		v.rows.Add(sectionTitle("Start here"))
		for _, e := range v.top {
			v.rows.Add(v.row(e))
		}
		v.rows.Add(sectionTitle("All files"))
	}
	n := 0
	for _, e := range v.all {
		if !v.matches(e) {
			continue
		}
		n++
		if v.isPinned(e) {
			continue // in Start here
		}
		if len(v.shown) < maxFilesShown {
			v.shown = append(v.shown, e)
			v.rows.Add(v.row(e))
		}
	}
	switch {
	case len(v.all) == 0 && v.status.Text == "":
		v.status.SetText("No files shared here yet. Share one with 📎 beside the message box, or drop it on the window.")
	case n == 0 && len(v.all) > 0:
		v.status.SetText("No file matches.")
	case n > len(v.shown)+len(v.top):
		v.status.SetText(fmt.Sprintf("The newest %d of %d files; search to find the others.", len(v.shown)+len(v.top), n))
	case n == 1:
		v.status.SetText("1 file")
	case len(v.all) > 0:
		v.status.SetText(fmt.Sprintf("%d files", n))
	}
	v.rows.Refresh()
}

// where says where and by whom e was posted, and when.
func (v *filesView) where(e api.FileEntry) string {
	parts := []string{formatSize(e.Size)}
	switch {
	case e.Promo:
		parts = append(parts, "in a promotion")
	case v.gid.IsZero():
		parts = append(parts, "in "+v.a.groupName(e.Group))
	}
	parts = append(parts, "by "+e.AuthorName, e.Time.Local().Format("Jan 2, 15:04"))
	switch e.State {
	case api.FileComplete:
		parts = append(parts, "on this computer")
	case api.FilePartial:
		parts = append(parts, fmt.Sprintf("%s here", formatSize(e.HaveBytes)))
	}
	return strings.Join(parts, " · ")
}

// row is one file: icon, name, where, and what can be done with it.
func (v *filesView) row(e api.FileEntry) fyne.CanvasObject {
	name := widget.NewLabelWithStyle(e.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	info := widget.NewLabel(v.where(e))
	info.Importance = widget.LowImportance
	info.Truncation = fyne.TextTruncateEllipsis
	action := "Download"
	switch e.State {
	case api.FileComplete:
		action = "Open"
	case api.FilePartial:
		action = "Resume"
	}
	var btn fyne.CanvasObject = widget.NewButton(action, func() { v.act(e, action) })
	if action != "Open" && v.promoEnded(e) {
		ended := widget.NewLabel("Promotion ended")
		ended.Importance = widget.LowImportance
		btn = ended
	}
	show := widget.NewButton("Show", func() {
		v.d.hide()
		v.a.showMessage(v.cid, e.Group, e.Message)
	})
	show.Importance = widget.LowImportance
	btns := container.NewHBox(show, btn)
	if pin := v.pinButton(e); pin != nil { // filespins.go
		btns.Objects = append([]fyne.CanvasObject{pin}, btns.Objects...)
	}
	return container.NewBorder(nil, nil, widget.NewIcon(fileIcon(e.Mime)), container.NewCenter(btns),
		container.NewVBox(name, info))
}

// promoEnded reports whether e is the file of a promotion that has ended:
// members no longer serve it to each other, so it cannot be downloaded.
func (v *filesView) promoEnded(e api.FileEntry) bool {
	return e.Promo && promoOver(e.PromoEnds, v.a.now())
}

// act downloads or opens file e.
func (v *filesView) act(e api.FileEntry, what string) {
	m, err := v.a.b.Message(v.cid, e.Group, e.Message)
	if err != nil || m.File == nil {
		v.a.showError("Could not find the file's message", err)
		return
	}
	t := v.a.files.of(v.cid, e.Group, m)
	if what == "Open" {
		v.a.files.open(t)
		return
	}
	v.a.files.start(t)
	v.load()
}

// showMessage opens group gid of community cid at message msg.
func (a *App) showMessage(cid, gid, msg crdt.ID) {
	if a.community != cid {
		a.selectCommunity(cid)
	}
	if a.group != gid {
		a.selectGroup(gid)
	}
	if m, err := a.b.Message(cid, gid, msg); err == nil {
		a.convo.jumpTo(m.Index)
	}
}

// storageRow is one community's usage in the Storage dialog.
type storageRow struct {
	cid   crdt.ID
	name  string
	bytes int64
	files int
}

// autoSizes are the auto-download sizes offered, in bytes.
var autoSizes = []struct {
	label string
	n     int64
}{{"Never", 0}, {"1 MiB", 1 << 20}, {"5 MiB", 5 << 20}, {"10 MiB", 10 << 20}, {"25 MiB", 25 << 20}, {"100 MiB", 100 << 20}}

// storageView is the Storage dialog's widgets, for tests.
type storageView struct {
	auto  *widget.Select
	rows  []storageRow
	texts []string
	free  map[crdt.ID]*widget.Button
}

// showStorage is Storage: the size up to which images download by
// themselves, and how much each community's files take on this computer,
// with a button to delete the local copies.
func (a *App) showStorage() *dlg {
	d := a.newDialog("Storage", nil)
	sv := &storageView{free: map[crdt.ID]*widget.Button{}}
	d.handles = sv
	labels := make([]string, len(autoSizes))
	cur := a.files.autoDownload()
	sel := 0
	for i, s := range autoSizes {
		labels[i] = s.label
		if s.n == cur {
			sel = i
		}
	}
	sv.auto = widget.NewSelect(labels, func(l string) {
		for _, s := range autoSizes {
			if s.label == l {
				a.files.setAutoDownload(s.n)
			}
		}
	})
	sv.auto.SetSelectedIndex(sel)
	box := container.NewVBox(
		container.NewBorder(nil, nil, widget.NewLabel("Download images by themselves up to"), nil, sv.auto),
		widget.NewSeparator())
	for _, c := range a.communities {
		fs, err := a.b.Files(c.ID, crdt.ID{})
		if err != nil {
			continue
		}
		r := storageRow{cid: c.ID, name: c.Name}
		for _, f := range fs {
			if f.HaveBytes > 0 {
				r.bytes += f.HaveBytes
				r.files++
			}
		}
		sv.rows = append(sv.rows, r)
		text := fmt.Sprintf("%s: %s in %d files", c.Name, formatSize(r.bytes), r.files)
		if r.files == 1 {
			text = fmt.Sprintf("%s: %s in 1 file", c.Name, formatSize(r.bytes))
		}
		if r.files == 0 {
			text = c.Name + ": no files on this computer"
		}
		sv.texts = append(sv.texts, text)
		free := widget.NewButton("Delete local copies", func() {
			a.confirmAction("Delete local copies?", "The files of "+c.Name+" are deleted from this computer. They stay in the conversations, and you can download them again while a member who has them is online.", "Delete", func() {
				a.freeCommunity(c.ID, fs, d)
			})
		})
		if r.files == 0 {
			free.Disable()
		}
		sv.free[c.ID] = free
		box.Add(container.NewBorder(nil, nil, nil, free, widget.NewLabel(text)))
	}
	if len(a.communities) == 0 {
		box.Add(widget.NewLabel("You are in no community yet."))
	}
	box.Add(layout.NewSpacer())
	closeBtn := widget.NewButton("Close", d.hide)
	d.setContent(box, closeBtn)
	d.cancel = closeBtn
	d.show()
	return d
}

// freeCommunity deletes this computer's copies of a community's files fs
// (those a download or upload holds are kept), then shows Storage again.
func (a *App) freeCommunity(cid crdt.ID, fs []api.FileEntry, d *dlg) {
	var kept int
	a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		for _, f := range fs {
			if f.HaveBytes == 0 {
				continue
			}
			if err := a.b.DeleteLocalFile(ctx, cid, f.Message); err != nil {
				kept++
				continue
			}
			os.RemoveAll(a.files.folder(f.Message))
		}
		return nil
	}, func(error) {
		for _, f := range fs {
			if t := a.files.byMsg[f.Message]; t != nil && t.state != fileDownloading {
				delete(a.files.byMsg, f.Message)
			}
		}
		d.hide()
		a.convo.reload()
		a.showStorage()
		if kept > 0 {
			a.showErrorText("Some files were kept", fmt.Sprintf("%d files are being downloaded or shared right now; delete them once that ends.", kept))
		}
	})
}
