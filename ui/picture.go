package ui

import (
	"context"
	"image"
	"io"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/widget"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// maxCachedPictures bounds the decoded photos and icons kept: at most
// 256 × 256 pixels each from the app (crdt.MaxImageSide from a peer), a
// few hundred kilobytes, so a full cache holds tens of megabytes.
const maxCachedPictures = 256

// pictures decodes profile photos and community icons once: a picture is
// keyed by the op that set it (unique to its member or community, and
// changed by every new photo), so rows rebinding while the list scrolls
// cost a map lookup.
var pictures = pictureCache{m: map[crdt.ID]image.Image{}}

type pictureCache struct {
	mu sync.Mutex
	m  map[crdt.ID]image.Image // guarded by mu; nil value: did not decode
}

// pictureOf returns p decoded, or nil when there is no picture or it does
// not decode (the app then shows initials). crdt.DecodeImage checks the
// header's size before decoding any pixel.
func pictureOf(p *crdt.Picture) image.Image {
	if p == nil {
		return nil
	}
	c := &pictures
	c.mu.Lock()
	img, ok := c.m[p.Op]
	c.mu.Unlock()
	if ok {
		return img
	}
	img, err := crdt.DecodeImage(p.Data)
	if err != nil {
		img = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedPictures {
		clear(c.m) // rare: a community with that many photos on screen refills what it shows
	}
	c.m[p.Op] = img
	return img
}

// newRoundImage is a canvas image of a picture, drawn as a circle.
func newRoundImage() *canvas.Image {
	img := canvas.NewImageFromImage(nil)
	img.FillMode = canvas.ImageFillContain
	img.ScaleMode = canvas.ImageScaleSmooth
	return img
}

// placeRound moves and sizes img to a circle of diameter d at pos.
func placeRound(img *canvas.Image, pos fyne.Position, d float32) {
	img.Move(pos)
	img.Resize(fyne.NewSize(d, d))
	img.CornerRadius = d / 2
}

// setPicture shows p instead of the initials; nil (or a picture that
// does not decode) shows the initials.
func (a *avatar) setPicture(p *crdt.Picture) {
	if img := pictureOf(p); img != a.photo.Image {
		a.photo.Image = img
		a.Refresh()
	}
}

// pictureExtensions are the files the picture picker offers.
var pictureExtensions = []string{".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG"}

// pickPicture lets the member choose a JPEG or PNG file and hands it to
// use (which closes it).
func (a *App) pickPicture(use func(io.ReadCloser)) {
	fd := dialog.NewFileOpen(func(rc fyne.URIReadCloser, err error) {
		switch {
		case err != nil:
			a.showError("Could not open the picture", err)
		case rc != nil: // nil: cancelled
			use(rc)
		}
	}, a.win)
	fd.SetFilter(storage.NewExtensionFileFilter(pictureExtensions))
	fd.Show()
}

// setPictureFrom makes a picture of the photo in r (the centred square,
// act.PreparePicture) and sets it with set, in the background; it closes
// r. A failure is shown as what; after runs once it is set.
func (a *App) setPictureFrom(r io.ReadCloser, set func(context.Context, []byte) error, what string, after func()) {
	a.background(func() error {
		pic, err := act.PreparePicture(r)
		r.Close()
		if err != nil {
			return err
		}
		return set(context.Background(), pic)
	}, func(err error) {
		if err != nil {
			a.showError(what, err)
			return
		}
		after()
	})
}

// photoButtons are the profile dialog's "Set photo" and "Remove photo".
func (a *App) photoButtons(d *dlg) fyne.CanvasObject {
	set := widget.NewButton("Set photo…", func() {
		a.pickPicture(func(r io.ReadCloser) {
			a.setPictureFrom(r, a.b.SetPhoto, "Could not set your photo", func() { a.selfChanged(); d.hide() })
		})
	})
	remove := widget.NewButton("Remove photo", func() {
		a.background(func() error { return a.b.SetPhoto(context.Background(), nil) }, func(err error) {
			if err != nil {
				a.showError("Could not remove your photo", err)
				return
			}
			a.selfChanged()
			d.hide()
		})
	})
	if h, ok := d.handles.(*profileHandles); ok {
		h.remove = remove
	}
	return container.NewVBox(hint("Your photo is shown to the members of every community you are in, cropped to a square."),
		container.NewHBox(set, remove))
}

// iconRow is the community settings' icon buttons, for who may set it
// (crdt judges: Community.CanSetIcon); the icon changes at once, not on
// Save.
func (a *App) iconRow(cid crdt.ID) fyne.CanvasObject {
	if !a.communityInfo(cid).CanSetIcon {
		return container.NewVBox()
	}
	done := func() { a.reloadCommunities() }
	setIcon := func(ctx context.Context, b []byte) error { return a.b.SetIcon(ctx, cid, b) }
	set := widget.NewButton("Set icon…", func() {
		a.pickPicture(func(r io.ReadCloser) { a.setPictureFrom(r, setIcon, "Could not set the icon", done) })
	})
	remove := widget.NewButton("Remove icon", func() {
		a.background(func() error { return setIcon(context.Background(), nil) }, func(err error) {
			if err != nil {
				a.showError("Could not remove the icon", err)
				return
			}
			done()
		})
	})
	return container.NewVBox(sectionTitle("Icon"), container.NewHBox(set, remove),
		hint("The icon is shown beside the community's name for every member, at once."))
}
