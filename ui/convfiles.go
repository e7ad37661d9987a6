package ui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// upload is a file being shared from this device: the node encrypts and
// stores it, then posts its message (or the promotion showing it).
type upload struct {
	name string
	size int64
	have int64 // bytes encrypted and stored so far, as the node reports
	// ctx is the sharing's context; stop, its cancel, is what the row's
	// Cancel button does: the node stops storing the file, keeps nothing
	// of it and posts nothing.
	ctx       context.Context
	stop      context.CancelFunc
	cancelled bool
}

// newUpload is an upload of size bytes named name, not yet cancelled.
func newUpload(name string, size int64) *upload {
	u := &upload{name: name, size: size}
	u.ctx, u.stop = context.WithCancel(context.Background())
	return u
}

// cancel stops u, which ends as its work notices; done then tells it from
// a failure (wasCancelled).
func (u *upload) cancel() {
	u.cancelled = true
	u.stop()
}

// wasCancelled reports whether err ended u because its Cancel was tapped.
func (u *upload) wasCancelled(err error) bool {
	return u.cancelled && errors.Is(err, context.Canceled)
}

// uploadText is what an upload's row says.
func uploadText(u *upload) string {
	if u.have <= 0 || u.size <= 0 {
		return "Sharing " + u.name + " · " + formatSize(u.size) + " (encrypting)…"
	}
	return fmt.Sprintf("Sharing %s · %s · %d %%", u.name, formatSize(u.size), 100*u.have/u.size)
}

// fileAction implements rowActions: what a file's button does.
func (c *conversation) fileAction(i int, what string) {
	m, ok := c.message(i)
	if !ok || m.File == nil {
		return
	}
	fm := c.a.files
	t := fm.of(c.a.community, c.a.group, m)
	switch what {
	case "Download", "Resume", "Retry":
		fm.start(t)
	case "Pause":
		fm.pause(t)
	case "Cancel":
		fm.stop(t)
	case "Open":
		fm.open(t)
	case "Save as…":
		fm.saveAs(t)
	case "View":
		c.a.showViewer(c.a.community, c.a.group, m.ID)
	}
}

// fileChanged shows the new state of message msg's file in its row, if
// the row is in view.
func (c *conversation) fileChanged(msg crdt.ID) {
	if c.win == nil || c.list.inUpdate {
		return // a row bound now reads the transfer as it is
	}
	for i, o := range c.list.shown {
		r := o.(*msgRow)
		if r.d.m.ID != msg {
			continue
		}
		h := r.heightAt(c.list.width)
		r.bind(c.rowData(i))
		if r.heightAt(c.list.width) != h {
			c.list.update(false)
		}
		return
	}
}

// attach asks for files to share in the open group.
func (c *conversation) attach() {
	c.a.files.pickFiles(c.confirmSend)
}

// dropped shares files dropped on the window in the open group.
func (c *conversation) dropped(uris []fyne.URI) {
	var paths []string
	for _, u := range uris {
		if u.Scheme() == "file" {
			paths = append(paths, u.Path())
		}
	}
	if len(paths) == 0 {
		return
	}
	if c.win == nil || !c.openGroup.CanPost {
		c.a.showErrorText("Files cannot be shared here", "Open a group you can write in, then drop the files on it.")
		return
	}
	c.confirmSend(paths)
}

// confirmSend shows the files about to be shared in the open group with
// a caption to add, and shares them on Send.
func (c *conversation) confirmSend(paths []string) {
	if len(paths) == 0 || c.win == nil {
		return
	}
	cid, gid := c.a.community, c.a.group
	var ups []*upload
	list := container.NewVBox()
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			c.a.showErrorText("Cannot share "+filepath.Base(p), "It is not a file that can be read.")
			return
		}
		ups = append(ups, newUpload(filepath.Base(p), fi.Size()))
		list.Add(widget.NewLabel("📎 " + filepath.Base(p) + " · " + formatSize(fi.Size())))
	}
	title := "Share a file in " + c.openGroup.Name
	if len(paths) > 1 {
		title = "Share files in " + c.openGroup.Name
	}
	d := c.a.newDialog(title, nil)
	caption := newKeyEntry(c.a)
	caption.SetPlaceHolder("Add a caption (optional)")
	caption.SetText(c.composer.Text)
	send := widget.NewButton("Send", func() {
		d.hide()
		if c.composer.Text == caption.Text {
			c.composer.SetText("")
		}
		c.sendFiles(cid, gid, paths, ups, caption.Text)
	})
	send.Importance = widget.HighImportance
	caption.OnSubmitted = func(string) { send.OnTapped() }
	cancel := widget.NewButton("Cancel", d.hide)
	d.setContent(container.NewVBox(list, caption), cancel, send)
	d.createEntry, d.confirm, d.cancel = caption, send, cancel
	d.show()
	c.a.focus(caption)
}

// sendFiles shares paths one after the other in group gid, the caption
// with the first; each shows above the composer, with its Cancel, until
// its message is posted.
func (c *conversation) sendFiles(cid, gid crdt.ID, paths []string, ups []*upload, caption string) {
	c.uploading[gid] = append(c.uploading[gid], ups...)
	c.showUploads()
	var sendOne func(i int)
	sendOne = func(i int) {
		if i == len(paths) {
			return
		}
		text := ""
		if i == 0 {
			text = caption
		}
		u := ups[i]
		g := c.uploadProgress(gid, u)
		var sent api.SentFile
		c.a.background(func() error {
			var err error
			sent, err = c.a.b.SendFileWithProgress(u.ctx, cid, gid, paths[i], text, g.report)
			return err
		}, func(err error) {
			g.stop()
			c.dropUpload(gid, u)
			switch {
			case u.wasCancelled(err):
			case err != nil:
				c.a.showError(u.name+" was not shared", err)
			default:
				c.a.files.watchRelay(sent.ID)
				if c.a.community == cid && c.a.group == gid {
					c.list.scrollToBottom()
					c.reload()
				}
			}
			sendOne(i + 1)
		})
	}
	sendOne(0)
}

// uploadProgress shows the progress of upload u of group gid as the node
// reports it, at most every progressEvery; stop it when u ends.
func (c *conversation) uploadProgress(gid crdt.ID, u *upload) *progressGate {
	return &progressGate{now: c.a.now, every: progressEvery, show: func(p api.FileProgress) {
		fyne.Do(func() {
			u.have = p.Have
			if c.a.group == gid {
				c.showUploads()
			}
		})
	}}
}

// dropUpload takes upload u of group gid off the uploads shown.
func (c *conversation) dropUpload(gid crdt.ID, u *upload) {
	u.stop() // its context's resources
	c.uploading[gid] = slices.DeleteFunc(c.uploading[gid], func(x *upload) bool { return x == u })
	if len(c.uploading[gid]) == 0 {
		delete(c.uploading, gid)
	}
	c.showUploads()
}

// showUploads lists the open group's files being shared, each with its
// progress and a Cancel button.
func (c *conversation) showUploads() {
	c.uploads.Objects = nil
	c.uploadCancels = nil
	for _, u := range c.uploading[c.a.group] {
		var bar fyne.CanvasObject = widget.NewProgressBarInfinite()
		if u.have > 0 && u.size > 0 {
			b := widget.NewProgressBar()
			b.SetValue(float64(u.have) / float64(u.size))
			bar = b
		}
		label := widget.NewLabel(uploadText(u))
		label.Truncation = fyne.TextTruncateEllipsis
		stop := widget.NewButtonWithIcon("Cancel", theme.CancelIcon(), nil)
		stop.OnTapped = func() {
			u.cancel()
			stop.Disable()
			label.SetText("Cancelling " + u.name + "…")
		}
		if u.cancelled {
			stop.Disable()
			label.SetText("Cancelling " + u.name + "…")
		}
		stop.Importance = widget.LowImportance
		c.uploadCancels = append(c.uploadCancels, stop)
		c.uploads.Add(container.NewBorder(nil, nil, nil, container.NewHBox(container.NewGridWrap(fyne.NewSize(120, bar.MinSize().Height), bar), stop), label))
	}
	c.uploads.Refresh()
}

// uploadTexts is what the uploads shown say, for tests.
func (c *conversation) uploadTexts() []string {
	var out []string
	for _, u := range c.uploading[c.a.group] {
		out = append(out, uploadText(u))
	}
	return out
}

// uploadNames lists the uploads shown, for tests.
func (c *conversation) uploadNames() []string {
	var out []string
	for _, u := range c.uploading[c.a.group] {
		out = append(out, u.name)
	}
	return out
}

// TypedShortcut shares the files a paste names (files copied in a file
// manager paste as their file:// addresses), and otherwise passes the
// shortcut on. Fyne's clipboard holds text only: a paste with no text
// (or bytes that are not text) may be a picture copied as pixels, which the app reads from the
// system's clipboard itself and shares as a PNG file (pasteImage).
func (c *composer) TypedShortcut(s fyne.Shortcut) {
	if p, ok := s.(*fyne.ShortcutPaste); ok && p.Clipboard != nil && c.onPasteFiles != nil {
		text := p.Clipboard.Content()
		if paths := pastedFiles(text); len(paths) > 0 {
			c.onPasteFiles(paths)
			return
		}
		// Some programs (xclip -t image/png) hand a picture's bytes to a
		// request for text: bytes that are not UTF-8 are no text either.
		if (strings.TrimSpace(text) == "" || !utf8.ValidString(text)) && c.onPasteImage != nil {
			c.onPasteImage()
			return
		}
	}
	c.keyEntry.TypedShortcut(s)
}

// pastedFiles returns the files text names, one per line as file:// URLs
// or absolute paths, when every line names a regular file; else nil.
func pastedFiles(text string) []string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		path := line
		if strings.HasPrefix(line, "file://") {
			u, err := url.Parse(line)
			if err != nil {
				return nil
			}
			path = filepath.FromSlash(u.Path)
		}
		if !filepath.IsAbs(path) {
			return nil
		}
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return nil
		}
		out = append(out, path)
	}
	return out
}
