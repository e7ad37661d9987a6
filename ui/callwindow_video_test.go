package ui

import (
	"context"
	"image"
	"image/color"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
)

// videoFake is the desktop app's backend in a video call: devices with
// cameras, a camera choice, and decoded pictures of some participants.
type videoFake struct {
	deviceFake
	v *tilePictures
}

type tilePictures struct {
	mu      sync.Mutex
	seq     map[string]uint64     // the latest picture's number by peer
	colour  map[string]color.RGBA // what it shows
	cameras []string              // every SetCallCamera
	self    uint64                // the number of the member's camera's latest picture (0: none)
}

var (
	_ callPictures     = videoFake{}
	_ callCameraPicker = videoFake{}
	_ callSelfView     = videoFake{}
)

// Colours of the member's camera's pictures: its left half and its
// right half, as taken.
var (
	selfLeft  = color.RGBA{R: 230, G: 120, B: 20, A: 255}
	selfRight = color.RGBA{R: 30, G: 90, B: 200, A: 255}
)

func (f videoFake) CallSelfPicture(dst *image.RGBA, since uint64) (uint64, bool) {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	if f.v.self == 0 || f.v.self == since {
		return f.v.self, false
	}
	b := dst.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := selfLeft
			if x >= b.Min.X+b.Dx()/2 {
				c = selfRight
			}
			dst.SetRGBA(x, y, c)
		}
	}
	return f.v.self, true
}

func (f videoFake) CallPicture(peer string, dst *image.RGBA, since uint64) (uint64, bool) {
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	seq := f.v.seq[peer]
	if seq == 0 || seq == since {
		return seq, false
	}
	c := f.v.colour[peer]
	for i := 0; i < len(dst.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = c.R, c.G, c.B, 255
	}
	return seq, true
}

func (f videoFake) SetCallCamera(_ context.Context, cam string) error {
	f.d.mu.Lock()
	f.d.list.Camera = cam
	f.d.mu.Unlock()
	f.v.mu.Lock()
	defer f.v.mu.Unlock()
	f.v.cameras = append(f.v.cameras, cam)
	return nil
}

// newPicture makes peer's next picture, all of colour c.
func (p *tilePictures) newPicture(peer string, c color.RGBA) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq[peer]++
	p.colour[peer] = c
}

func newVideoHarness(t *testing.T, d *devices, p *tilePictures) *harness {
	test.NewTempApp(t)
	f := newFake()
	h := newBackendHarness(t, videoFake{deviceFake{callFake{f}, d}, p})
	h.f = f
	h.a.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.clock
	}
	h.a.calls.frames = false
	h.a.start()
	return h
}

func videoDevices() *devices {
	return &devices{list: api.CallDevices{
		Microphones: []api.AudioDevice{{ID: "mic-1", Name: "Built-in Microphone", Default: true}},
		Speakers:    []api.AudioDevice{{ID: "spk-1", Name: "Speakers", Default: true}},
		Cameras:     []api.AudioDevice{{ID: "/dev/video0", Name: "Integrated Camera", Default: true}, {ID: "/dev/video2", Name: "HD Webcam C525"}},
		Camera:      "/dev/video2",
	}}
}

// joinVideoCall joins, in the desktop app with video, Ben's video call
// with Chloe, and returns its window.
func joinVideoCall(t *testing.T) (*harness, *tilePictures, *callWindow) {
	pics := &tilePictures{seq: map[string]uint64{}, colour: map[string]color.RGBA{}}
	h := newVideoHarness(t, videoDevices(), pics)
	c := h.community("Glow Team", "member", 12, "General")
	h.f.ringCall(c.ID, h.a.group, "Ben", true, "Chloe")
	h.drain()
	test.Tap(h.a.calls.bannerJoin)
	h.drain()
	return h, pics, h.a.calls.window
}

// TestCallTileShowsVideo: a participant's decoded pictures replace its
// avatar in its tile (the initials hidden), each new one drawn; once no
// picture came for a second (the camera went off) the avatar is back.
func TestCallTileShowsVideo(t *testing.T) {
	_, pics, w := joinVideoCall(t)
	chloe := w.tiles["peer-Chloe"]
	if chloe == nil {
		t.Fatalf("no tile of Chloe among %d", len(w.tiles))
	}
	at := time.Unix(100, 0)
	w.frame(at)
	if chloe.showing || !chloe.initial.Visible() {
		t.Fatal("Chloe's tile shows video before any picture")
	}
	pics.newPicture("peer-Chloe", color.RGBA{R: 200, G: 30, B: 40, A: 255})
	at = at.Add(time.Second)
	w.frame(at)
	img, ok := chloe.img.Image.(*image.RGBA)
	if !chloe.showing || chloe.initial.Visible() || !ok || img.RGBAAt(10, 10) != (color.RGBA{200, 30, 40, 255}) {
		t.Fatalf("Chloe's tile after a picture: showing %t, initials %t, image %T", chloe.showing, chloe.initial.Visible(), chloe.img.Image)
	}
	pics.newPicture("peer-Chloe", color.RGBA{R: 20, G: 180, B: 40, A: 255})
	at = at.Add(100 * time.Millisecond)
	w.frame(at)
	if img, _ := chloe.img.Image.(*image.RGBA); img == nil || img.RGBAAt(10, 10) != (color.RGBA{20, 180, 40, 255}) {
		t.Fatal("Chloe's next picture was not drawn")
	}
	if ben := w.tiles["peer-Ben"]; ben == nil || ben.showing {
		t.Fatal("Ben, with no pictures, shows video")
	}
	at = at.Add(videoStale)
	w.frame(at)
	if chloe.showing || !chloe.initial.Visible() {
		t.Fatal("Chloe's tile still shows video a second after her last picture")
	}
	if _, ok := chloe.img.Image.(*image.RGBA); !ok || chloe.img.Image == chloe.video[0] || chloe.img.Image == chloe.video[1] {
		t.Fatal("Chloe's tile does not show her avatar again")
	}
}

// TestCallCameraPicker: the camera picker lists the cameras beside the
// sound devices with the member's earlier choice, and a new choice goes
// to the backend.
func TestCallCameraPicker(t *testing.T) {
	h, pics, w := joinVideoCall(t)
	if !w.camSel.Visible() || !w.camLabel.Visible() {
		t.Fatal("no camera picker")
	}
	if want := []string{anyCamera, "Integrated Camera", "HD Webcam C525"}; !slices.Equal(w.camSel.Options, want) {
		t.Fatalf("cameras %q, want %q", w.camSel.Options, want)
	}
	if w.camSel.Selected != "HD Webcam C525" || len(pics.cameras) != 0 {
		t.Fatalf("chosen %q (sent %v), want the earlier choice unsent", w.camSel.Selected, pics.cameras)
	}
	w.camSel.SetSelected("Integrated Camera")
	h.drain()
	w.camSel.SetSelected(anyCamera)
	h.drain()
	if want := []string{"/dev/video0", ""}; !slices.Equal(pics.cameras, want) {
		t.Fatalf("cameras sent %q, want %q", pics.cameras, want)
	}
	// Without a camera picker in the backend, none shows.
	p := newDeviceHarness(t, videoDevices())
	pc := p.community("Glow Team", "member", 12, "General")
	p.f.ringCall(pc.ID, p.a.group, "Ben", true)
	p.drain()
	test.Tap(p.a.calls.bannerJoin)
	p.drain()
	if p.a.calls.window.camLabel.Visible() {
		t.Fatal("a camera picker with a backend that has none")
	}
}

// TestGoldenCallVideo: the call window of a video call: Chloe's video
// in the large tile, Ben's avatar, the member's own camera mirrored in
// its tile ("You"), and the camera picker beside the sound devices.
func TestGoldenCallVideo(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			pics := &tilePictures{seq: map[string]uint64{}, colour: map[string]color.RGBA{}}
			h := newVideoHarness(t, videoDevices(), pics)
			c := h.community("Glow Team", "member", 12, "General")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			id := h.f.ringCall(c.ID, h.a.group, "Ben", true, "Chloe")
			h.drain()
			h.f.setSpeaking(id, "Chloe")
			test.Tap(h.a.calls.bannerJoin)
			w := h.a.calls.window
			pics.newPicture("peer-Chloe", color.RGBA{R: 40, G: 110, B: 170, A: 255})
			pics.self = 1 // the member's own camera, mirrored in its tile
			w.frame(time.Unix(0, 0))
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := w.win.Canvas().Capture()
			name := "callvideo_" + variant.name + ".png"
			test.AssertImageMatches(t, name, img)
			writeScreenshot(t, name, img)
		})
	}
}

// TestCallSelfView: in a video call the member's own tile, marked "You",
// shows the member's camera mirrored (what was on the left of the
// picture is on the right); when the camera goes off it shows the avatar
// at once, and the camera's pictures are no longer drawn.
func TestCallSelfView(t *testing.T) {
	h, pics, w := joinVideoCall(t)
	me := w.tiles[h.f.self.PeerID]
	if me == nil || me.name.Text != "You" {
		t.Fatalf("the member's own tile: %v", me != nil)
	}
	pics.mu.Lock()
	pics.self = 1
	pics.mu.Unlock()
	at := time.Unix(100, 0)
	w.frame(at)
	img, ok := me.img.Image.(*image.RGBA)
	if !me.showing || me.initial.Visible() || !ok {
		t.Fatalf("the own tile does not show the camera: showing %t, initials %t", me.showing, me.initial.Visible())
	}
	b := img.Bounds()
	if l, r := img.RGBAAt(b.Min.X+2, b.Dy()/2), img.RGBAAt(b.Max.X-3, b.Dy()/2); l != selfRight || r != selfLeft {
		t.Fatalf("the own tile is not mirrored: left %v, right %v", l, r)
	}
	if w.camera.Text != "Turn off camera" {
		t.Fatalf("the camera button says %q with the camera on", w.camera.Text)
	}
	test.Tap(w.camera) // off
	h.drain()
	pics.mu.Lock()
	pics.self = 2 // a picture still comes: it is not drawn
	pics.mu.Unlock()
	at = at.Add(100 * time.Millisecond)
	w.frame(at)
	if me.showing || !me.initial.Visible() || me.img.Image == me.video[0] || me.img.Image == me.video[1] {
		t.Fatal("the own tile still shows the camera once it is off")
	}
	if w.camera.Text != "Turn on camera" {
		t.Fatalf("the camera button says %q with the camera off", w.camera.Text)
	}
}
