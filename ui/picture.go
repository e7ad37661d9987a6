package ui

import (
	"image"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"

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
