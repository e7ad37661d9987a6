package ui

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// The call window: a grid of tiles (the active speaker large, the others
// smaller, each with its name, whether it is muted and a ring while it
// speaks) and the controls: mute, camera, leave and, for the caller and
// admins, end for everyone and remove a participant. Each tile is a
// canvas.Image redrawn through fyne.Do at most speakerFPS times a second
// for the speaker and otherFPS for the others. With no decoded video yet,
// a tile draws the participant's initials in a circle of its colour.
// Under the controls, where the backend has sound devices (the desktop
// app), the microphone and speaker pickers; over the grid, what is wrong
// with the member's own sound (no microphone: listening only).

// Frame rates of the tiles.
const (
	speakerFPS = 30
	otherFPS   = 15
)

// statusEvery is how often the open window re-reads the call's status
// (who speaks, who is muted).
const statusEvery = 500 * time.Millisecond

// callWindow is the window of the call the member is in.
type callWindow struct {
	k     *calls
	cid   crdt.ID
	call  api.Call
	win   fyne.Window
	group string

	status  api.CallStatus
	speaker string // peer id of the large tile
	tiles   map[string]*callTile
	grid    *fyne.Container
	title   *widget.Label
	mute    *widget.Button
	camera  *widget.Button
	endBtn  *widget.Button
	leave   *widget.Button
	// The sound: what is wrong with the member's own (hidden when
	// nothing), and the device pickers (hidden without callDevices).
	soundNote *widget.Label
	micSel    *widget.Select
	spkSel    *widget.Select
	camSel    *widget.Select // hidden without callCameraPicker
	camLabel  *widget.Label
	devRow    *fyne.Container
	devices   api.CallDevices
	micIDs    map[string]string // picker option → device id
	spkIDs    map[string]string
	camIDs    map[string]string
	loadingDv bool          // the pickers are being filled: their changes are not the member's
	stop      chan struct{} // closes the refresh loop; nil when none runs
	// loop: run the refresh loop while shown (tests draw frames
	// themselves).
	loop bool
}

func newCallWindow(k *calls, cid crdt.ID, c api.Call, group string) *callWindow {
	w := &callWindow{k: k, cid: cid, call: c, group: group, tiles: map[string]*callTile{}, loop: k.frames}
	w.win = fyne.CurrentApp().NewWindow("Call · " + group)
	w.win.Resize(fyne.NewSize(960, 640))
	w.title = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	w.grid = container.New(&speakerLayout{w: w})
	w.mute = widget.NewButtonWithIcon("Mute", theme.VolumeMuteIcon(), w.toggleMute)
	w.camera = widget.NewButtonWithIcon(cameraLabel(c.Video), theme.MediaVideoIcon(), w.toggleCamera)
	w.leave = widget.NewButtonWithIcon("Leave", theme.LogoutIcon(), k.leave)
	w.leave.Importance = widget.DangerImportance
	w.endBtn = widget.NewButton("End for everyone", k.end)
	w.endBtn.Importance = widget.DangerImportance
	if _, ok := k.a.b.(callMuter); !ok {
		w.mute.Hide()
	}
	if _, ok := k.a.b.(callCamera); !ok {
		w.camera.Hide()
	}
	controls := container.NewCenter(container.NewHBox(w.mute, w.camera, w.leave, w.endBtn))
	w.soundNote = widget.NewLabel("")
	w.soundNote.Wrapping = fyne.TextWrapWord
	w.soundNote.Importance = widget.WarningImportance
	w.soundNote.Hide()
	w.micSel = widget.NewSelect(nil, func(string) { w.chooseDevices() })
	w.spkSel = widget.NewSelect(nil, func(string) { w.chooseDevices() })
	w.camSel = widget.NewSelect(nil, func(string) { w.chooseCamera() })
	w.camLabel = widget.NewLabel("Camera")
	pickerSize := fyne.NewSize(220, w.micSel.MinSize().Height) // device names are long
	camBox := container.NewGridWrap(pickerSize, w.camSel)
	w.devRow = container.NewCenter(container.NewHBox(
		widget.NewLabel("Microphone"), container.NewGridWrap(pickerSize, w.micSel),
		widget.NewLabel("Speaker"), container.NewGridWrap(pickerSize, w.spkSel),
		w.camLabel, camBox))
	if _, ok := k.a.b.(callCameraPicker); !ok {
		w.camLabel.Hide()
		camBox.Hide()
	}
	w.devRow.Hide()
	if _, ok := k.a.b.(callDevices); ok {
		w.devRow.Show()
		w.loadDevices()
	}
	w.win.SetContent(container.NewBorder(container.NewVBox(container.NewPadded(w.title), w.soundNote),
		container.NewPadded(container.NewVBox(controls, w.devRow)), nil, nil, w.grid))
	w.win.SetOnClosed(func() {
		w.stopLoop()
		if k.window == w {
			k.window = nil
		}
	})
	w.setCall(c)
	w.reload()
	return w
}

// setCall follows the call's record (CanEnd, who joined).
func (w *callWindow) setCall(c api.Call) {
	w.call = c
	if c.CanEnd {
		w.endBtn.Show()
	} else {
		w.endBtn.Hide()
	}
}

func (w *callWindow) show() {
	w.win.Show()
	if w.loop && w.stop == nil {
		w.stop = make(chan struct{})
		go w.run(w.stop, w.k.cb, w.cid, w.call.ID)
	}
}

func (w *callWindow) close() {
	w.stopLoop()
	w.win.Close()
}

func (w *callWindow) stopLoop() {
	if w.stop != nil {
		close(w.stop)
		w.stop = nil
	}
}

// run draws frames at the speaker's rate and re-reads the status of call
// id every statusEvery, until stop closes. It touches the window only
// through fyne.Do.
func (w *callWindow) run(stop chan struct{}, cb callBackend, cid, id crdt.ID) {
	frames := time.NewTicker(time.Second / speakerFPS)
	defer frames.Stop()
	status := time.NewTicker(statusEvery)
	defer status.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-frames.C:
			fyne.Do(func() { w.frame(now) })
		case <-status.C:
			st, err := cb.CallStatus(cid, id)
			fyne.Do(func() {
				if err == nil && w.stop == stop {
					w.update(st)
				}
			})
		}
	}
}

// reload re-reads the call's status now.
func (w *callWindow) reload() {
	st, err := w.k.cb.CallStatus(w.cid, w.call.ID)
	if err != nil {
		w.k.a.log("call status", err)
		return
	}
	w.update(st)
}

// update shows status st: a tile per participant, the speaker large.
func (w *callWindow) update(st api.CallStatus) {
	w.status = st
	if st.SoundProblem != "" {
		w.soundNote.SetText("⚠ " + st.SoundProblem)
		w.soundNote.Show()
	} else {
		w.soundNote.Hide()
	}
	w.title.SetText("📞 " + w.group + " · " + joinedText(len(st.Participants)))
	seen := map[string]bool{}
	objs := make([]fyne.CanvasObject, 0, len(st.Participants))
	w.speaker = activeSpeaker(st.Participants, w.speaker)
	for _, p := range st.Participants {
		seen[p.PeerID] = true
		t := w.tiles[p.PeerID]
		if t == nil {
			t = newCallTile(w, p)
			w.tiles[p.PeerID] = t
		}
		t.set(p, p.PeerID == w.speaker, w.call.CanEnd && !p.Self)
		if p.PeerID == w.speaker {
			objs = append([]fyne.CanvasObject{t.root}, objs...)
		} else {
			objs = append(objs, t.root)
		}
		if p.Self {
			w.setSelf(p)
		}
	}
	for id := range w.tiles {
		if !seen[id] {
			delete(w.tiles, id)
		}
	}
	w.grid.Objects = objs
	w.grid.Refresh()
}

// activeSpeaker picks the large tile: the one who speaks (the previous
// speaker while it still does), else the previous speaker while it takes
// part, else the first other participant, else the member.
func activeSpeaker(ps []api.CallParticipant, prev string) string {
	for _, p := range ps {
		if p.PeerID == prev && p.Speaking {
			return prev
		}
	}
	for _, p := range ps {
		if p.Speaking && !p.Self {
			return p.PeerID
		}
	}
	for _, p := range ps {
		if p.PeerID == prev {
			return prev
		}
	}
	for _, p := range ps {
		if !p.Self {
			return p.PeerID
		}
	}
	if len(ps) > 0 {
		return ps[0].PeerID
	}
	return ""
}

func (w *callWindow) setSelf(p api.CallParticipant) {
	if p.Muted {
		w.mute.SetText("Unmute")
		w.mute.SetIcon(theme.VolumeUpIcon())
	} else {
		w.mute.SetText("Mute")
		w.mute.SetIcon(theme.VolumeMuteIcon())
	}
	w.camera.SetText(cameraLabel(p.Video))
}

// cameraLabel is what the camera button offers while the member's camera
// is on or off. It shows in voice calls too: the camera may turn on in
// any call (its media carries video either way), as in WhatsApp.
func cameraLabel(on bool) string {
	if on {
		return "Turn off camera"
	}
	return "Turn on camera"
}

func (w *callWindow) self() api.CallParticipant {
	for _, p := range w.status.Participants {
		if p.Self {
			return p
		}
	}
	return api.CallParticipant{}
}

func (w *callWindow) toggleMute() {
	m, ok := w.k.a.b.(callMuter)
	if !ok {
		return
	}
	muted := !w.self().Muted
	w.k.a.act("Could not change the microphone", func(ctx context.Context) error {
		return m.SetCallMuted(ctx, w.cid, w.call.ID, muted)
	}, w.reload)
}

func (w *callWindow) toggleCamera() {
	c, ok := w.k.a.b.(callCamera)
	if !ok {
		return
	}
	on := !w.self().Video
	w.k.a.act("Could not change the camera", func(ctx context.Context) error {
		return c.SetCallVideo(ctx, w.cid, w.call.ID, on)
	}, w.reload)
}

// callDevices lists the sound devices of calls and keeps the member's
// choice for this call and the next (the desktop app).
type callDevices interface {
	CallDevices() (api.CallDevices, error)
	SetCallDevices(ctx context.Context, microphone, speaker string) error
}

// callCameraPicker keeps the member's choice of camera (the desktop
// app); CallDevices lists the cameras.
type callCameraPicker interface {
	SetCallCamera(ctx context.Context, camera string) error
}

// systemDefault is the pickers' option for the system's default device.
const systemDefault = "System default"

// anyCamera is the camera picker's option for the first camera that
// opens.
const anyCamera = "First camera found"

// loadDevices fills the pickers from the backend's devices and choice.
func (w *callWindow) loadDevices() {
	d, ok := w.k.a.b.(callDevices)
	if !ok {
		return
	}
	devs, err := d.CallDevices()
	if err != nil {
		w.k.a.log("call devices", err)
		return
	}
	w.devices = devs
	w.loadingDv = true
	defer func() { w.loadingDv = false }()
	fill := func(sel *widget.Select, list []api.AudioDevice, chosen string, def string) map[string]string {
		ids := map[string]string{def: ""}
		opts := []string{def}
		pick := def
		for _, dev := range list {
			label := dev.Name
			if label == "" {
				label = dev.ID
			}
			for n := 2; ids[label] != "" || label == def; n++ {
				label = fmt.Sprintf("%s (%d)", dev.Name, n)
			}
			ids[label] = dev.ID
			opts = append(opts, label)
			if dev.ID == chosen {
				pick = label
			}
		}
		sel.Options = opts
		sel.SetSelected(pick)
		return ids
	}
	w.micIDs = fill(w.micSel, devs.Microphones, devs.Microphone, systemDefault)
	w.spkIDs = fill(w.spkSel, devs.Speakers, devs.Speaker, systemDefault)
	w.camIDs = fill(w.camSel, devs.Cameras, devs.Camera, anyCamera)
	if devs.Problem != "" {
		w.micSel.Disable()
		w.spkSel.Disable()
	}
}

// chooseDevices keeps the member's choice of microphone and speaker.
func (w *callWindow) chooseDevices() {
	d, ok := w.k.a.b.(callDevices)
	if !ok || w.loadingDv {
		return
	}
	mic, spk := w.micIDs[w.micSel.Selected], w.spkIDs[w.spkSel.Selected]
	if mic == w.devices.Microphone && spk == w.devices.Speaker {
		return
	}
	w.devices.Microphone, w.devices.Speaker = mic, spk
	w.k.a.act("Could not change the sound devices", func(ctx context.Context) error {
		return d.SetCallDevices(ctx, mic, spk)
	}, w.reload)
}

// chooseCamera keeps the member's choice of camera.
func (w *callWindow) chooseCamera() {
	c, ok := w.k.a.b.(callCameraPicker)
	if !ok || w.loadingDv {
		return
	}
	cam := w.camIDs[w.camSel.Selected]
	if cam == w.devices.Camera {
		return
	}
	w.devices.Camera = cam
	w.k.a.act("Could not change the camera", func(ctx context.Context) error {
		return c.SetCallCamera(ctx, cam)
	}, w.reload)
}

// remove drops participant p from the call, once the member confirms.
func (w *callWindow) remove(p api.CallParticipant) {
	r, ok := w.k.a.b.(callRemover)
	if !ok {
		return
	}
	w.k.a.confirmActionOn(w.win, "Remove "+p.Name+" from the call?", p.Name+" is disconnected and hears nothing said after.", "Remove", func() {
		w.k.a.act("Could not remove "+p.Name, func(ctx context.Context) error {
			return r.RemoveCallPeer(ctx, w.cid, w.call.ID, p.PeerID)
		}, w.reload)
	})
}

// frame redraws the tiles whose picture changed and whose frame interval
// has passed at now.
func (w *callWindow) frame(now time.Time) {
	for _, t := range w.tiles {
		t.frame(now)
	}
}

// callTile is one participant's tile.
type callTile struct {
	w       *callWindow
	p       api.CallParticipant
	large   bool
	img     *canvas.Image
	bg      *canvas.Rectangle
	initial *canvas.Text
	// discSize is the diameter of the avatar's disc as last laid out.
	discSize float32
	name     *widget.Label
	remove   *widget.Button
	root     *fyne.Container

	dirty bool      // the picture changed since it was drawn
	drawn time.Time // when it was last drawn
	draws int       // how many times it was drawn

	// Video, when the backend decodes it (callPictures): two pictures
	// drawn in turn (the one shown is never drawn into), the number of
	// the last decoded picture drawn, and when it came; showing: the
	// tile shows video, not the avatar.
	video   [2]*image.RGBA
	flip    int
	picSeq  uint64
	picAt   time.Time
	showing bool
}

// callPictures draws participants' decoded video (the desktop app).
type callPictures interface {
	// CallPicture draws participant peerID's latest picture into dst
	// when one was decoded after picture number since; it returns the
	// latest number and whether it drew.
	CallPicture(peerID string, dst *image.RGBA, since uint64) (uint64, bool)
}

// callSelfView draws the member's own camera (the desktop app).
type callSelfView interface {
	// CallSelfPicture draws the latest picture of the member's camera
	// into dst, as taken (not mirrored), when one came after picture
	// number since; it returns the latest number and whether it drew.
	CallSelfPicture(dst *image.RGBA, since uint64) (uint64, bool)
}

// videoStale is how long a tile shows a participant's last picture with
// no new one before it shows the avatar again (the camera went off).
const videoStale = time.Second

// Sizes of the pictures a tile draws video into.
var (
	largeVideo = image.Rect(0, 0, 640, 360)
	smallVideo = image.Rect(0, 0, 320, 180)
)

func newCallTile(w *callWindow, p api.CallParticipant) *callTile {
	t := &callTile{w: w, p: p, dirty: true}
	t.img = canvas.NewImageFromImage(image.NewRGBA(image.Rect(0, 0, 1, 1)))
	t.img.FillMode = canvas.ImageFillContain
	t.img.ScaleMode = canvas.ImageScaleSmooth
	t.bg = canvas.NewRectangle(themeColor(theme.ColorNameInputBackground))
	t.bg.CornerRadius = 8
	t.initial = canvas.NewText(initials(p.Name), color.White)
	t.initial.TextStyle.Bold = true
	t.initial.Alignment = fyne.TextAlignCenter
	t.name = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.name.Truncation = fyne.TextTruncateEllipsis
	t.remove = widget.NewButtonWithIcon("", theme.ContentRemoveIcon(), func() { w.remove(t.p) })
	t.remove.Importance = widget.LowImportance
	bottom := container.NewBorder(nil, nil, nil, t.remove, t.name)
	picture := container.NewStack(container.NewPadded(t.img), container.New(initialsLayout{t}, t.initial))
	t.root = container.NewStack(t.bg, container.NewBorder(nil, bottom, nil, nil, picture))
	return t
}

// set shows participant p, large or small, with the remove button when
// removable.
func (t *callTile) set(p api.CallParticipant, large, removable bool) {
	if p.Speaking != t.p.Speaking || p.Name != t.p.Name || large != t.large {
		t.dirty = true
	}
	t.p, t.large = p, large
	name := p.Name
	if name == "" {
		name = shortPeerID(p.PeerID)
	}
	if p.Self {
		name = "You"
	}
	if p.Muted {
		name = "🔇 " + name
	}
	if p.Speaking {
		name = "🔊 " + name
	}
	t.name.SetText(name)
	t.initial.Text = initials(p.Name)
	t.initial.Color = themeColor(theme.ColorNameBackground)
	t.initial.TextSize = initialsSize(t.initial.Text, large, t.discSize)
	t.initial.Refresh()
	if removable {
		t.remove.Show()
	} else {
		t.remove.Hide()
	}
}

// interval is the shortest time between two draws of the tile.
func (t *callTile) interval() time.Duration {
	if t.large {
		return time.Second / speakerFPS
	}
	return time.Second / otherFPS
}

// frame draws the tile at now if its picture changed and its interval
// passed since the last draw.
func (t *callTile) frame(now time.Time) {
	if !t.drawn.IsZero() && now.Sub(t.drawn) < t.interval() {
		return
	}
	if t.drawVideo(now) {
		return
	}
	if !t.dirty {
		return
	}
	t.dirty, t.drawn = false, now
	t.draws++
	t.img.Image = avatarFrame(themeColor(authorColor(t.p.PeerID)), themeColor(colorNameOnline), t.p.Speaking, t.large)
	t.img.Refresh()
}

// drawVideo draws the participant's latest decoded picture, if a new one
// came, and reports whether it did; once none came for videoStale the
// tile goes back to the avatar.
//
// The member's own tile is the self view: it shows the member's camera,
// mirrored as a mirror shows one's face (as every call app does), while
// the camera is on, and the avatar at once when it goes off.
func (t *callTile) drawVideo(now time.Time) bool {
	var draw func(dst *image.RGBA, since uint64) (uint64, bool)
	if t.p.Self {
		sv, ok := t.w.k.a.b.(callSelfView)
		if !ok {
			return false
		}
		if !t.p.Video {
			t.hideVideo()
			return false
		}
		draw = sv.CallSelfPicture
	} else {
		pics, ok := t.w.k.a.b.(callPictures)
		if !ok {
			return false
		}
		draw = func(dst *image.RGBA, since uint64) (uint64, bool) { return pics.CallPicture(t.p.PeerID, dst, since) }
	}
	size := smallVideo
	if t.large {
		size = largeVideo
	}
	next := 1 - t.flip
	if t.video[next] == nil || t.video[next].Rect != size {
		t.video[0], t.video[1] = image.NewRGBA(size), image.NewRGBA(size)
		t.picSeq = 0 // redraw the latest picture at the new size
	}
	seq, drew := draw(t.video[next], t.picSeq)
	if !drew {
		if now.Sub(t.picAt) >= videoStale {
			t.hideVideo()
		}
		return false
	}
	if t.p.Self {
		mirror(t.video[next])
	}
	t.picSeq, t.picAt, t.flip = seq, now, next
	if !t.showing {
		t.showing = true
		t.initial.Hide()
	}
	t.drawn = now
	t.draws++
	t.img.Image = t.video[next]
	t.img.Refresh()
	return true
}

// hideVideo shows the avatar instead of video, if the tile shows video.
func (t *callTile) hideVideo() {
	if t.showing {
		t.showing, t.dirty = false, true
		t.initial.Show()
	}
}

// mirror flips img left to right in place.
func mirror(img *image.RGBA) {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := img.Pix[img.PixOffset(b.Min.X, y) : img.PixOffset(b.Max.X-1, y)+4]
		for i, j := 0, len(row)-4; i < j; i, j = i+4, j-4 {
			var px [4]byte
			copy(px[:], row[i:i+4])
			copy(row[i:i+4], row[j:j+4])
			copy(row[j:j+4], px[:])
		}
	}
}

// initialsLayout centres a tile's initials on the disc avatarFrame draws
// in the space the tile gives its picture, and sizes them to fit it: two
// letters at the full size spilled out of a small tile's disc.
type initialsLayout struct{ t *callTile }

func (l initialsLayout) MinSize([]fyne.CanvasObject) fyne.Size {
	return fyne.MeasureText(l.t.initial.Text, initialsSize(l.t.initial.Text, l.t.large, 0), l.t.initial.TextStyle)
}

func (l initialsLayout) Layout(_ []fyne.CanvasObject, size fyne.Size) {
	t := l.t
	t.discSize = min(size.Width, size.Height) - 2*theme.Padding()
	if ts := initialsSize(t.initial.Text, t.large, t.discSize); ts != t.initial.TextSize {
		t.initial.TextSize = ts
		t.initial.Refresh()
	}
	m := t.initial.MinSize()
	t.initial.Resize(m)
	t.initial.Move(fyne.NewPos((size.Width-m.Width)/2, (size.Height-m.Height)/2))
}

// initialsSize is the text size of initials on a disc of diameter disc
// (0: not laid out yet): 28, or 56 on the large tile, smaller when that
// would be wider than the disc's inner part (avatarFrame's 0.78) leaves.
func initialsSize(text string, large bool, disc float32) float32 {
	size := float32(28)
	if large {
		size = 56
	}
	room := disc * 0.78 * 0.85
	if w := fyne.MeasureText(text, size, fyne.TextStyle{Bold: true}).Width; disc > 0 && w > room {
		size *= room / w
	}
	return size
}

// avatarFrame draws a participant's picture while there is no video: a
// disc of its colour, ringed while it speaks.
func avatarFrame(fill, ring color.Color, speaking, large bool) *image.RGBA {
	size := 128
	if large {
		size = 256
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	c := float64(size) / 2
	outer := c - 1
	inner := c * 0.78
	fr, fg, fb, _ := fill.RGBA()
	rr, rg, rb, _ := ring.RGBA()
	for y := range size {
		for x := range size {
			d := math.Hypot(float64(x)+0.5-c, float64(y)+0.5-c)
			switch {
			case d <= inner:
				img.SetRGBA(x, y, color.RGBA{uint8(fr >> 8), uint8(fg >> 8), uint8(fb >> 8), 255})
			case speaking && d >= inner+c*0.06 && d <= outer:
				img.SetRGBA(x, y, color.RGBA{uint8(rr >> 8), uint8(rg >> 8), uint8(rb >> 8), 255})
			}
		}
	}
	return img
}

// speakerLayout puts the first object (the speaker) large on top and the
// others in a grid under it.
type speakerLayout struct{ w *callWindow }

const tileGap = 6

// MinSize implements fyne.Layout.
func (l *speakerLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 240) }

// Layout implements fyne.Layout.
func (l *speakerLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	if len(objs) == 1 {
		objs[0].Move(fyne.NewPos(tileGap, tileGap))
		objs[0].Resize(fyne.NewSize(size.Width-2*tileGap, size.Height-2*tileGap))
		return
	}
	others := objs[1:]
	cols := int(math.Ceil(math.Sqrt(float64(len(others)) * 3)))
	cols = min(max(cols, 1), len(others))
	rows := (len(others) + cols - 1) / cols
	bigH := size.Height * 0.62
	if rows > 2 {
		bigH = size.Height * 0.5
	}
	objs[0].Move(fyne.NewPos(tileGap, tileGap))
	objs[0].Resize(fyne.NewSize(size.Width-2*tileGap, bigH-tileGap))
	cellW := (size.Width - tileGap) / float32(cols)
	cellH := (size.Height - bigH - tileGap) / float32(rows)
	for i, o := range others {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(tileGap+float32(c)*cellW, bigH+tileGap+float32(r)*cellH))
		o.Resize(fyne.NewSize(cellW-tileGap, cellH-tileGap))
	}
}
