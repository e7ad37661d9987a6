package ui

import (
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif"  // inline previews of GIF images
	_ "image/jpeg" // inline previews of JPEG and PNG images
	_ "image/png"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	xdraw "golang.org/x/image/draw"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The local state of a shared file, as the app shows it.
type fileState int

const (
	fileUnknown     fileState = iota // not asked yet
	fileRemote                       // nothing of it here: Download
	fileDownloading                  // a download runs: Pause, Cancel
	filePaused                       // part of it here: Resume, Cancel
	fileDone                         // whole and verified: Open, Save as…
	fileFailed                       // the last download failed: Retry
)

// progressEvery is the least time between two progress updates of one
// download on screen: a fast download reports every chunk, and the
// conversation must not stutter repainting them.
const progressEvery = 250 * time.Millisecond

// defaultAutoDownload is the size up to which images download by
// themselves, until the member chooses another in Storage.
const defaultAutoDownload = 10 << 20

// prefAutoDownload is the preference that keeps that size, in bytes.
const prefAutoDownload = "files.autoDownload"

// maxPreviewPixels bounds the images the app decodes to show inline or in
// the viewer, checked in their header first.
const maxPreviewPixels = 48 << 20

// maxPreviewFile bounds the images shown inline once here: a larger one
// shows its thumbnail (and opens with the system's app).
const maxPreviewFile = 32 << 20

// previewSide is the longest side of an inline preview, in pixels.
const previewSide = 640

// transfer is what the app knows of one file message on this device: how
// much of it is here, and the download running, if any.
type transfer struct {
	cid, gid, msg crdt.ID
	file          api.File
	state         fileState
	have          int64   // clear bytes here
	speed         float64 // bytes per second, while downloading
	sources       int
	dropped       []api.RefusedSource // the sources the download running dropped, and why
	err           error
	path          string // the clear copy, once written
	preview       image.Image
	thumb         image.Image // the message's thumbnail decoded, once thumbDone
	thumbDone     bool
	cancel        context.CancelFunc
	stopping      bool // Cancel (not Pause) was pressed: forget what came
	auto          bool // it started by itself (an image under the size)
	started       time.Time
	startHave     int64
	// relay is how the push of the member's own file to the relays goes
	// (nil: none since the node started); relayAsking while a refresh of
	// it runs.
	relay       *api.RelayPush
	relayAsking bool
	// promoEnds is when the promotion whose file this is ends (zero for a
	// message's file), as its message last said (an edit may move it).
	promoEnds time.Time
}

// promoOver reports whether a promotion ending at ends (zero: not a
// promotion's) has ended at now: from then on members no longer serve its
// file to each other (crdt.MayFetch), so it cannot be downloaded.
func promoOver(ends, now time.Time) bool { return !ends.IsZero() && !now.Before(ends) }

// promoEnded reports whether t is the file of a promotion that has ended
// at now.
func (t *transfer) promoEnded(now time.Time) bool { return promoOver(t.promoEnds, now) }

// thumbnail is the message's thumbnail, decoded the first time only.
func (t *transfer) thumbnail() image.Image {
	if !t.thumbDone {
		t.thumb, t.thumbDone = thumbOf(&t.file), true
	}
	return t.thumb
}

// left is the time the download still needs at its speed, 0 when unknown.
func (t *transfer) left() time.Duration {
	if t.speed <= 0 || t.have >= t.file.Size {
		return 0
	}
	return time.Duration(float64(t.file.Size-t.have) / t.speed * float64(time.Second))
}

// fileManager keeps the transfers of the files the member has seen, runs
// downloads off the UI goroutine and shows their progress at most every
// progressEvery. Its fields are touched only on the UI goroutine.
type fileManager struct {
	a *App
	// dir is where downloaded files are written, each in a folder of its
	// message's id.
	dir string
	// byMsg holds the transfers by file message.
	byMsg map[crdt.ID]*transfer
	// openPath opens a file with the system's default app (a seam tests
	// fake); pickFiles asks for files to share, pickSave where to save
	// one.
	openPath  func(path string) error
	pickFiles func(use func(paths []string))
	pickSave  func(name string, use func(path string))
	// updates counts the progress updates shown (a test hook).
	updates int
	// images reads a picture copied as pixels from the system's
	// clipboard (a seam tests fake), and pasteDir is where it is saved
	// as a PNG file to share.
	images   clipImages
	pasteDir string
	// watch holds the files just shared whose push to the relays has not
	// shown yet: how many refreshes more to ask for it.
	watch map[crdt.ID]int
}

// relayEvery is how often the rows of files being pushed to a relay ask
// how far the push is.
const relayEvery = 2 * time.Second

// relayWatch is how many refreshes a file just shared waits for its push
// to the relays to show (none shows in a community without relays).
const relayWatch = 5

func newFileManager(a *App) *fileManager {
	m := &fileManager{a: a, byMsg: map[crdt.ID]*transfer{}, watch: map[crdt.ID]int{}}
	if home, err := os.UserHomeDir(); err == nil {
		m.dir = filepath.Join(home, "Downloads", "Umbrella")
	} else {
		m.dir = filepath.Join(os.TempDir(), "umbrella-downloads")
	}
	m.openPath = func(path string) error {
		return fyne.CurrentApp().OpenURL(&url.URL{Scheme: "file", Path: filepath.ToSlash(path)})
	}
	m.images = newToolClipboard()
	m.pasteDir = filepath.Join(os.TempDir(), "umbrella-pasted")
	m.pickFiles = a.pickFilesDialog
	m.pickSave = a.saveFileDialog
	return m
}

// autoDownload is the size up to which images download by themselves
// (0: never).
func (m *fileManager) autoDownload() int64 {
	return int64(fyne.CurrentApp().Preferences().IntWithFallback(prefAutoDownload, defaultAutoDownload))
}

func (m *fileManager) setAutoDownload(n int64) {
	fyne.CurrentApp().Preferences().SetInt(prefAutoDownload, int(n))
}

// of returns the transfer of message msg. The first time, it asks the
// backend in the background how much of the file is here (a lookup on
// disk, kept off the UI goroutine); then an image up to the auto-download
// size that is not here starts downloading.
func (m *fileManager) of(cid, gid crdt.ID, msg api.Message) *transfer {
	var ends time.Time
	if msg.Promo != nil {
		ends = msg.Promo.Ends
	}
	t, ok := m.byMsg[msg.ID]
	if ok {
		t.promoEnds = ends
		return t
	}
	t = &transfer{cid: cid, gid: gid, msg: msg.ID, file: *msg.File, state: fileUnknown, promoEnds: ends}
	m.byMsg[msg.ID] = t
	var e api.FileEntry
	auto := isImage(t.file.Mime) && !msg.Mine && t.file.Size <= m.autoDownload() && !t.promoEnded(m.a.now())
	m.a.background(func() error {
		var err error
		e, err = m.a.b.FileStatus(cid, msg.ID)
		return err
	}, func(err error) {
		if t.state != fileUnknown {
			return // a tap came first
		}
		t.state = fileRemote
		if err == nil {
			t.have, t.relay = e.HaveBytes, e.Relay
			switch e.State {
			case api.FileComplete:
				t.state = fileDone
				m.loadPreview(t)
			case api.FilePartial:
				t.state = filePaused
			}
		} else {
			m.a.log("file status", err)
		}
		if t.state == fileRemote && auto {
			t.auto = true
			m.start(t)
			return
		}
		m.changed(t)
	})
	return t
}

// folder is where message msg's file is written.
func (m *fileManager) folder(msg crdt.ID) string {
	return filepath.Join(m.dir, msg.String()[:16])
}

// start downloads t's file (or resumes it) in the background.
func (m *fileManager) start(t *transfer) {
	if t.state == fileDownloading {
		return
	}
	if t.promoEnded(m.a.now()) { // a row bound before it ended: show why not
		m.changed(t)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.state, t.err, t.cancel, t.stopping = fileDownloading, nil, cancel, false
	t.started, t.startHave, t.speed, t.dropped = m.a.now(), t.have, 0, nil
	m.changed(t)
	g := &progressGate{now: m.a.now, every: progressEvery, show: func(p api.FileProgress) {
		fyne.Do(func() { m.progress(t, p) })
	}}
	cid, gid, msg, dir := t.cid, t.gid, t.msg, m.folder(t.msg)
	var got api.GotFile
	var preview image.Image
	m.a.background(func() error {
		defer cancel()
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("make %s: %w", dir, err)
		}
		var err error
		got, err = m.a.b.GetFile(ctx, cid, gid, msg, dir, g.report)
		if err == nil && isImage(t.file.Mime) {
			preview = decodePreview(got.Path)
		}
		return err
	}, func(err error) {
		if p, ok := g.stop(); ok {
			t.have = p.Have // the last report, which the gate may have held back
		}
		t.cancel = nil
		switch {
		case err == nil:
			t.state, t.have, t.path, t.preview = fileDone, t.file.Size, got.Path, preview
		case t.stopping:
			t.state, t.have = fileRemote, 0
			m.forget(t)
		case errors.Is(err, context.Canceled):
			t.state = filePaused
		default:
			t.state, t.err = fileFailed, err
			if t.have > 0 {
				t.err = fmt.Errorf("%w (what came is kept; Retry goes on from there)", err)
			}
		}
		m.changed(t)
	})
}

// progress shows how far t's download is.
func (m *fileManager) progress(t *transfer, p api.FileProgress) {
	if t.state != fileDownloading {
		return
	}
	m.updates++
	t.have, t.sources, t.dropped = p.Have, p.Sources, p.Dropped
	if s := m.a.now().Sub(t.started).Seconds(); s > 0 && p.Have > t.startHave {
		t.speed = float64(p.Have-t.startHave) / s
	}
	m.changed(t)
}

// pause stops t's download, keeping what came.
func (m *fileManager) pause(t *transfer) {
	if t.cancel != nil {
		t.cancel()
	}
}

// stop cancels t's download and frees what came of it.
func (m *fileManager) stop(t *transfer) {
	switch t.state {
	case fileDownloading:
		t.stopping = true
		t.cancel()
	case filePaused, fileFailed:
		t.state, t.have, t.err = fileRemote, 0, nil
		m.forget(t)
		m.changed(t)
	}
}

// forget frees the node's partial copy of t's file.
func (m *fileManager) forget(t *transfer) {
	cid, msg := t.cid, t.msg
	m.a.background(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), actionTimeout)
		defer cancel()
		return m.a.b.DeleteLocalFile(ctx, cid, msg)
	}, func(err error) {
		if err != nil {
			m.a.log("free a cancelled download", err)
		}
	})
}

// open opens t's file with the system's default app, writing it out
// first if this device has it only in the node's store.
func (m *fileManager) open(t *transfer) {
	m.written(t, func(path string) {
		if err := m.openPath(path); errors.Is(err, exec.ErrNotFound) {
			m.a.showErrorText("Could not open "+t.file.Name, "No program to open files is installed on this computer (xdg-open, from the xdg-utils package). Use Save as… to keep the file where you want it.")
		} else if err != nil {
			m.a.showError("Could not open "+t.file.Name, err)
		}
	})
}

// written calls use with the path of t's clear copy, writing it out of
// the node's store first when it is not there.
func (m *fileManager) written(t *transfer, use func(path string)) {
	if t.path != "" {
		if _, err := os.Stat(t.path); err == nil {
			use(t.path)
			return
		}
	}
	cid, gid, msg, dir := t.cid, t.gid, t.msg, m.folder(t.msg)
	var got api.GotFile
	m.a.background(func() error {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		var err error
		got, err = m.a.b.GetFile(context.Background(), cid, gid, msg, dir, nil)
		return err
	}, func(err error) {
		if err != nil {
			m.a.showError("Could not write out "+t.file.Name, err)
			return
		}
		t.path = got.Path
		use(got.Path)
	})
}

// saveAs asks where to save t's file and writes it there.
func (m *fileManager) saveAs(t *transfer) {
	m.pickSave(t.file.Name, func(path string) {
		cid, gid, msg := t.cid, t.gid, t.msg
		m.a.background(func() error {
			_, err := m.a.b.GetFile(context.Background(), cid, gid, msg, path, nil)
			return err
		}, func(err error) {
			if err != nil {
				m.a.showError("Could not save "+t.file.Name, err)
			}
		})
	})
}

// loadPreview decodes t's downloaded image for inline display, in the
// background.
func (m *fileManager) loadPreview(t *transfer) {
	if !isImage(t.file.Mime) || t.preview != nil || t.file.Size > maxPreviewFile {
		return
	}
	m.written(t, func(path string) {
		var img image.Image
		m.a.background(func() error {
			img = decodePreview(path)
			return nil
		}, func(error) {
			if img != nil {
				t.preview = img
				m.changed(t)
			}
		})
	})
}

// changed shows t's new state in the conversation, if its message is in
// view, and in the image viewer, if it shows it.
func (m *fileManager) changed(t *transfer) {
	m.a.convo.fileChanged(t.msg)
	if m.a.transfers != nil {
		m.a.transfers.refresh()
	}
	if v := m.a.viewer; v != nil && v.images[v.at].Message == t.msg {
		v.img.Image = t.preview
		if v.img.Image == nil {
			v.img.Image = t.thumbnail()
		}
		v.img.Refresh()
	}
}

// watchRelay follows the push of the file message msg, just shared, to
// the community's relays on its row.
func (m *fileManager) watchRelay(msg crdt.ID) {
	m.watch[msg] = relayWatch
}

// tickRelays refreshes the rows of files being pushed to a relay every
// relayEvery until done closes.
func (m *fileManager) tickRelays(done <-chan struct{}) {
	t := time.NewTicker(relayEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			fyne.Do(m.refreshRelays)
		}
	}
}

// refreshRelays asks, in the background, how far the pushes to the
// relays shown as pending are, and those of files just shared, and shows
// it on their rows.
func (m *fileManager) refreshRelays() {
	for _, t := range m.byMsg {
		pending := t.relay != nil && t.relay.Pending > 0
		if t.relayAsking || t.state == fileUnknown || (!pending && m.watch[t.msg] == 0) {
			continue
		}
		if !pending {
			if m.watch[t.msg]--; m.watch[t.msg] == 0 {
				delete(m.watch, t.msg)
			}
		}
		t.relayAsking = true
		var e api.FileEntry
		cid, msg := t.cid, t.msg
		m.a.background(func() error {
			var err error
			e, err = m.a.b.FileStatus(cid, msg)
			return err
		}, func(err error) {
			t.relayAsking = false
			if err != nil {
				return // the next refresh asks again
			}
			if e.Relay != nil {
				delete(m.watch, t.msg)
			}
			t.relay = e.Relay
			m.changed(t)
		})
	}
}

// relayText says how the push of a file to the relays goes, "" when
// there is none.
func relayText(p *api.RelayPush) string {
	switch {
	case p == nil:
		return ""
	case p.Held > 0:
		return "on relay"
	case p.Pending > 0 && p.Retrying != "" && p.Percent == 0:
		return "relay unreachable, trying again"
	case p.Pending > 0:
		return fmt.Sprintf("on relay: %d %%", p.Percent)
	case p.Refused != "":
		return "relay refused it: " + p.Refused
	case p.GaveUp != "":
		return "not on relay: " + p.GaveUp
	}
	return ""
}

// progressGate passes on a download's progress at most once every
// interval, and the last one when the download stops: a fast download
// reports every chunk, far more often than a screen can show. report is
// called from the downloading goroutine, one call at a time.
type progressGate struct {
	now   func() time.Time
	every time.Duration
	show  func(api.FileProgress)

	mu      sync.Mutex
	last    time.Time        // when show was last called; guarded by mu
	latest  api.FileProgress // the last report; guarded by mu
	got     bool             // a report came; guarded by mu
	stopped bool             // guarded by mu
}

// report is the GetFile progress callback.
func (g *progressGate) report(p api.FileProgress) {
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		return
	}
	g.latest, g.got = p, true
	now := g.now()
	if !g.last.IsZero() && now.Sub(g.last) < g.every && p.Have < p.Size {
		g.mu.Unlock()
		return
	}
	g.last = now
	g.mu.Unlock()
	g.show(p)
}

// stop ends the gate: nothing is shown after it. It returns the last
// report, if one came.
func (g *progressGate) stop() (api.FileProgress, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	return g.latest, g.got
}

// isImage reports whether media type mime is a picture the app shows.
func isImage(mime string) bool {
	switch mime {
	case "image/jpeg", "image/png", "image/gif":
		return true
	}
	return false
}

// fileKind sorts a media type into what the Files view filters by.
func fileKind(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	case strings.HasPrefix(mime, "text/"), mime == "application/pdf", strings.Contains(mime, "document"),
		strings.Contains(mime, "presentation"), strings.Contains(mime, "spreadsheet"), strings.Contains(mime, "msword"),
		strings.Contains(mime, "ms-excel"), strings.Contains(mime, "ms-powerpoint"), mime == "application/rtf":
		return "document"
	}
	return "other"
}

// typeLabel names a file's type for people: "PDF document", "PNG image".
func typeLabel(name, mime string) string {
	ext := strings.ToUpper(strings.TrimPrefix(filepath.Ext(name), "."))
	if mime == "application/pdf" {
		ext = "PDF"
	} else if _, sub, ok := strings.Cut(mime, "/"); ok && ext == "" && !strings.ContainsAny(sub, ".-+") {
		ext = strings.ToUpper(sub)
	}
	kind := fileKind(mime)
	if kind == "other" {
		kind = "file"
	}
	if ext == "" || len(ext) > 6 {
		return capitalize(kind)
	}
	return ext + " " + kind
}

// formatSize says a size in bytes for people as the CLI and the refusals
// of a file too large do (crdt.SizeText): "840 bytes", "4.2 MiB".
func formatSize(n int64) string { return crdt.SizeText(n) }

// formatLeft says a remaining time: "8 s left", "3 min left".
func formatLeft(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d < time.Minute:
		return fmt.Sprintf("%d s left", int(d.Seconds()+0.5))
	case d < time.Hour:
		return fmt.Sprintf("%d min left", int(d.Minutes()+0.5))
	}
	return fmt.Sprintf("%.1f h left", d.Hours())
}

// decodePreview decodes the image at path, refusing one whose header
// claims more than maxPreviewPixels, and scales it to at most previewSide
// pixels on its longest side. It returns nil when it cannot.
func decodePreview(path string) image.Image {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	cfg, _, err := image.DecodeConfig(f)
	if err != nil || cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > maxPreviewPixels {
		return nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil
	}
	img, _, err := image.Decode(f)
	if err != nil {
		return nil
	}
	return scaleDown(img, previewSide)
}

// thumbOf decodes a message's thumbnail (checked by crdt first), nil when
// it has none or it does not decode.
func thumbOf(f *api.File) image.Image {
	if f == nil || len(f.Thumb) == 0 {
		return nil
	}
	img, err := crdt.DecodeImage(f.Thumb)
	if err != nil {
		return nil
	}
	return img
}

// scaleDown returns img scaled to at most side pixels on its longest side
// (img itself when it is that small).
func scaleDown(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if l := max(w, h); l > side {
		w, h = max(1, w*side/l), max(1, h*side/l)
	} else {
		return img
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.ApproxBiLinear.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	return dst
}

// pickFilesDialog asks for a file to share with the system's file
// dialog and hands its path to use.
func (a *App) pickFilesDialog(use func(paths []string)) {
	fd := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		switch {
		case err != nil:
			a.showError("Could not open the file", err)
		case rc != nil: // nil: cancelled
			path := rc.URI().Path()
			rc.Close()
			use([]string{path})
		}
	}, a.win)
	fd.Show()
}

// saveFileDialog asks where to save a file named name and hands the path
// to use.
func (a *App) saveFileDialog(name string, use func(path string)) {
	fd := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		switch {
		case err != nil:
			a.showError("Could not save the file", err)
		case wc != nil:
			path := wc.URI().Path()
			wc.Close()
			use(path)
		}
	}, a.win)
	fd.SetFileName(name)
	fd.Show()
}
