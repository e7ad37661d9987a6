package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// testPicture is a 64-pixel square picture: a disc of c on a band of
// sky, set by op id.
func testPicture(t *testing.T, id byte, c color.RGBA) *crdt.Picture {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			px := color.RGBA{170, 210, 240, 255}
			if dx, dy := x-32, y-26; dx*dx+dy*dy < 15*15 || (y > 44 && dx*dx < (y-30)*(y-30)) {
				px = c
			}
			img.SetRGBA(x, y, px)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return &crdt.Picture{Op: crdt.ID{0xfe, id}, Data: b.Bytes()}
}

// setPhoto gives the member with peer id peer photo p, in the member
// lists and on their messages, as the node would after their photo op.
func (f *fakeBackend) setPhoto(cid crdt.ID, peer string, p *crdt.Picture) {
	f.mu.Lock()
	c := f.comm(cid)
	if m := f.member(c, peer); m != nil {
		m.Photo = p
	}
	for _, g := range c.groups {
		for i := range g.msgs {
			if m := f.member(c, peer); m != nil && g.msgs[i].AuthorName == m.Name {
				g.msgs[i].AuthorPhoto = p
			}
		}
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// setIcon gives community cid icon p.
func (f *fakeBackend) setIcon(cid crdt.ID, p *crdt.Picture) {
	f.mu.Lock()
	f.comm(cid).info.Icon = p
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
}

// photoSet is the last photo SetPhoto got, per fake.
var photoSet = map[*fakeBackend][]byte{}

func (f *fakeBackend) SetPhoto(_ context.Context, b []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("SetPhoto"); err != nil {
		return err
	}
	photoSet[f] = b
	f.self.Photo = nil // as the node: Self shows the photo last set
	if len(b) > 0 {
		f.self.Photo = &crdt.Picture{Op: f.id(), Data: b}
	}
	return nil
}

func (f *fakeBackend) SetIcon(_ context.Context, cid crdt.ID, b []byte) error {
	f.mu.Lock()
	if err := f.enter("SetIcon"); err != nil {
		f.mu.Unlock()
		return err
	}
	c := f.comm(cid)
	if c == nil {
		f.mu.Unlock()
		return errors.New("unknown community")
	}
	c.info.Icon = nil
	if len(b) > 0 {
		c.info.Icon = &crdt.Picture{Op: f.id(), Data: b}
	}
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventCommunities, Community: cid})
	return nil
}

// TestSetPhotoAndIconFromFile: a photo file becomes the square picture
// the node is given; a file that is no picture is refused with words
// that say so, and nothing is set. An admin's icon shows in the rail.
func TestSetPhotoAndIconFromFile(t *testing.T) {
	h := newHarness(t, newFake())
	c := h.community("Glow Team", "owner", 4, "General")
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 500, 300)))
	set := false
	h.a.setPictureFrom(io.NopCloser(bytes.NewReader(buf.Bytes())), h.a.b.SetPhoto, "Could not set your photo", func() { set = true })
	h.drain()
	if !set || crdt.CheckImage(photoSet[h.f]) != nil {
		t.Fatalf("photo set %v: %d bytes", set, len(photoSet[h.f]))
	}
	delete(photoSet, h.f)
	h.a.setPictureFrom(io.NopCloser(strings.NewReader("notes, not a photo")), h.a.b.SetPhoto, "Could not set your photo", func() { t.Error("set a text as photo") })
	h.drain()
	if got := h.dialogText(); !strings.Contains(got, "not a JPEG or PNG") {
		t.Fatalf("dialog says %q", got)
	}
	if photoSet[h.f] != nil || h.f.calls["SetPhoto"] != 1 {
		t.Fatalf("a refused file reached the node: %d calls", h.f.calls["SetPhoto"])
	}
	if !h.a.communityInfo(c.ID).CanSetIcon {
		t.Fatal("the owner may not set the icon")
	}
	h.a.setPictureFrom(io.NopCloser(bytes.NewReader(buf.Bytes())), func(ctx context.Context, b []byte) error { return h.a.b.SetIcon(ctx, c.ID, b) }, "Could not set the icon", h.a.reloadCommunities)
	h.drain()
	if h.a.communityInfo(c.ID).Icon == nil {
		t.Fatal("the app does not have the new icon")
	}
}

// TestAvatarShowsPhoto: an avatar with a photo draws the photo and no
// initials; without one, or with one that does not decode (a hostile
// member's), it draws the initials.
func TestAvatarShowsPhoto(t *testing.T) {
	test.NewTempApp(t)
	fyne.CurrentApp().Settings().SetTheme(fixedTheme(theme.VariantLight))
	a := newAvatar("Ben Okafor", "peer-Ben", 36)
	r := test.WidgetRenderer(a)
	shows := func() (photo, initials bool) {
		for _, o := range r.Objects() {
			switch o := o.(type) {
			case *canvas.Image:
				photo = o.Image != nil
			case *canvas.Text:
				initials = o.Text == "BO"
			}
		}
		return
	}
	if p, i := shows(); p || !i {
		t.Fatalf("without a photo: photo %v, initials %v", p, i)
	}
	a.setPicture(testPicture(t, 1, color.RGBA{200, 60, 40, 255}))
	if p, i := shows(); !p || i {
		t.Fatalf("with a photo: photo %v, initials %v", p, i)
	}
	bomb := &crdt.Picture{Op: crdt.ID{0xfe, 99}, Data: []byte("\x89PNG\r\n\x1a\n not really")}
	a.setPicture(bomb)
	if p, i := shows(); p || !i {
		t.Fatalf("with a bad photo: photo %v, initials %v", p, i)
	}
	a.setPicture(nil)
	if p, i := shows(); p || !i {
		t.Fatalf("photo removed: photo %v, initials %v", p, i)
	}
}

// TestPictureDecodedOnce: rows rebinding the same photo reuse one decoded
// image; a new photo op decodes anew.
func TestPictureDecodedOnce(t *testing.T) {
	p := testPicture(t, 2, color.RGBA{40, 160, 90, 255})
	first := pictureOf(p)
	if first == nil {
		t.Fatal("photo did not decode")
	}
	if again := pictureOf(&crdt.Picture{Op: p.Op, Data: p.Data}); again != first {
		t.Fatal("the same photo op decoded twice")
	}
	q := testPicture(t, 3, color.RGBA{40, 160, 90, 255})
	if pictureOf(q) == first {
		t.Fatal("a new photo op reused the old picture")
	}
}

// TestGoldenPhotos renders a living community whose members Ben and
// Chloe have photos and whose icon is set, with the info pane: photos in
// the rail, message rows and member list, initials for the others.
func TestGoldenPhotos(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			h := newHarness(t, newFake())
			livingCommunity(h)
			cid := h.a.community
			h.f.setPhoto(cid, fakePeople[0].PeerID, testPicture(t, 10, color.RGBA{210, 90, 50, 255}))
			h.f.setPhoto(cid, fakePeople[1].PeerID, testPicture(t, 11, color.RGBA{120, 70, 180, 255}))
			h.f.setIcon(cid, testPicture(t, 12, color.RGBA{230, 170, 30, 255}))
			// Message rows take photos as the conversation reloads: on the
			// next message, or here, on coming back to it.
			h.open("Product questions")
			h.drain()
			h.open("General")
			h.drain()
			h.a.setInfoShown(true)
			h.drain()
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := h.w.Canvas().Capture()
			test.AssertImageMatches(t, "photos_"+variant.name+".png", img)
			writeScreenshot(t, "photos_"+variant.name+".png", img)
		})
	}
}

// TestSelfPhoto: your own photo shows in the rail and in your profile, and
// the rail follows when you remove it.
func TestSelfPhoto(t *testing.T) {
	f := newFake()
	f.self.Photo = testPicture(t, 3, color.RGBA{40, 120, 200, 255})
	h := newHarness(t, f)
	h.community("Glow Team", "owner", 4, "General")
	row := h.a.rail.me.content.(*selfRow)
	if row.av.photo.Image == nil {
		t.Fatal("the rail shows your initials, not your photo")
	}
	h.tapOnCanvas(h.a.rail.me)
	ph, ok := h.a.lastDialog.handles.(*profileHandles)
	if !ok || !h.a.lastDialog.open {
		t.Fatal("tapping your name did not open your profile")
	}
	if ph.photo.photo.Image == nil {
		t.Fatal("your profile shows your initials, not your photo")
	}
	test.Tap(ph.remove)
	h.drain()
	if photoSet[h.f] != nil || h.f.calls["SetPhoto"] != 1 {
		t.Fatalf("Remove photo: %d calls, %d bytes set", h.f.calls["SetPhoto"], len(photoSet[h.f]))
	}
	if row.av.photo.Image != nil || h.a.self.Photo != nil {
		t.Fatal("the rail still shows the removed photo")
	}
}
