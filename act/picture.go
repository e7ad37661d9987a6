package act

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	_ "image/png" // PreparePicture reads PNG photos too
	"io"
	"slices"

	xdraw "golang.org/x/image/draw"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// PreparePicture makes a profile photo or community icon from a JPEG or
// PNG photo read from r: the largest centred square, scaled to
// PictureSide pixels, as a JPEG that crdt.CheckImage accepts. It reads at
// most MaxSourcePictureSize bytes and checks the header's size against
// MaxSourcePixels before decoding, so a hostile file costs little.
func PreparePicture(r io.Reader) ([]byte, error) {
	src, err := io.ReadAll(io.LimitReader(r, MaxSourcePictureSize+1))
	if err != nil {
		return nil, fmt.Errorf("read picture: %w", err)
	}
	if len(src) > MaxSourcePictureSize {
		return nil, fmt.Errorf("%w: the file is larger than %d MiB", crdt.ErrImage, MaxSourcePictureSize>>20)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(src))
	if err != nil || (format != "jpeg" && format != "png") {
		return nil, fmt.Errorf("%w: not a JPEG or PNG image", crdt.ErrImage)
	}
	if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxSourcePixels {
		return nil, fmt.Errorf("%w: %d × %d pixels, at most %d megapixels", crdt.ErrImage, cfg.Width, cfg.Height, MaxSourcePixels>>20)
	}
	img, _, err := image.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", crdt.ErrImage, format, err)
	}
	b := img.Bounds()
	side := min(b.Dx(), b.Dy())
	crop := image.Rect(0, 0, side, side).Add(b.Min).Add(image.Pt((b.Dx()-side)/2, (b.Dy()-side)/2))
	out := min(side, PictureSide)
	dst := image.NewRGBA(image.Rect(0, 0, out, out))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, crop, xdraw.Src, nil)
	for q := 90; q >= 30; q -= 15 {
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: q}); err != nil {
			return nil, fmt.Errorf("encode picture: %w", err)
		}
		if buf.Len() <= crdt.MaxImageSize {
			return buf.Bytes(), crdt.CheckImage(buf.Bytes())
		}
	}
	return nil, fmt.Errorf("%w: does not fit in %d KiB", crdt.ErrImage, crdt.MaxImageSize>>10)
}

// checkPicture checks a picture to set: nil or empty removes one.
func checkPicture(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := crdt.CheckImage(b); err != nil {
		return fmt.Errorf("%w: %w", crdt.ErrInvalid, err)
	}
	return nil
}

// SetIcon sets community cid's icon (admins) to picture b (see
// crdt.CheckImage; PreparePicture makes one), or removes it when b is
// empty.
func (a *Actions) SetIcon(ctx context.Context, cid crdt.ID, b []byte) error {
	if err := checkPicture(b); err != nil {
		return err
	}
	_, err := a.write(ctx, cid, crdt.ZeroID, crdt.KindIcon, &crdt.IconBody{Image: b, Time: a.millis()})
	return err
}

// SetPhoto sets the local member's profile photo to picture b (see
// crdt.CheckImage; PreparePicture makes one), or removes it when b is
// empty, in every community the member is still in. A community whose
// photo op fails does not stop the others; the error joins the failures.
// The photo is kept (Photo) and written to communities joined later
// (Joined).
func (p *Profile) SetPhoto(ctx context.Context, b []byte) error {
	if err := checkPicture(b); err != nil {
		return err
	}
	if p.photos != nil {
		if err := p.photos.SavePhoto(b); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.photo = keptPicture(b)
	p.mu.Unlock()
	var errs []error
	for _, cid := range p.held.Communities() {
		if p.member.StillMember(cid) == nil {
			errs = append(errs, p.writePhoto(ctx, cid, b))
		}
	}
	return errors.Join(errs...)
}

// keptPicture is picture b as Profile keeps it (nil when empty); Op is
// the digest of the bytes, a cache key that is the same for the same
// picture.
func keptPicture(b []byte) *crdt.Picture {
	if len(b) == 0 {
		return nil
	}
	return &crdt.Picture{Op: crdt.ID(sha256.Sum256(b)), Data: slices.Clone(b)}
}
