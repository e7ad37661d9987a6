package crdt

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
)

// Pictures. A member's profile photo (photo op) and the community's icon
// (icon op, admins) are small square-ish pictures carried whole in one
// sealed control op, like names: JPEG or PNG, at most MaxImageSize bytes
// and MaxImageSide pixels on a side. An empty picture removes the photo or
// icon. Each photo or icon op replaces the one before it in the
// deterministic replay order; strong removal applies to an icon as to any
// admin action.
//
// A picture comes from a peer, and a hostile peer sends decompression
// bombs: a few kilobytes that claim a 60,000 × 60,000 image. So nothing
// decodes a picture's pixels before CheckImage has read its header and
// refused what is too large; DecodeImage is the one way to decode one.

// ErrImage is wrapped by every error of CheckImage and DecodeImage.
var ErrImage = errors.New("bad picture")

// PhotoBody sets (or, empty, removes) the author's profile photo.
type PhotoBody struct {
	Image []byte `cbor:"1,keyasint,omitempty"`
	Time  int64  `cbor:"2,keyasint,omitempty"`
}

func (b *PhotoBody) check() error { return checkImageField("photo", b.Image) }

// IconBody sets (or, empty, removes) the community's icon (admins).
type IconBody struct {
	Image []byte `cbor:"1,keyasint,omitempty"`
	Time  int64  `cbor:"2,keyasint,omitempty"`
}

func (b *IconBody) check() error { return checkImageField("icon", b.Image) }

func checkImageField(field string, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := CheckImage(b); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

// Picture is a photo or icon in the state: the op that set it and its
// encoded bytes (JPEG or PNG, checked by CheckImage). Never mutated once
// in a state; a newer op replaces the pointer.
type Picture struct {
	Op   ID
	Data []byte
}

// CheckImage reports whether b is a picture the protocol carries: at most
// MaxImageSize bytes, a JPEG or PNG whose header says at most MaxImageSide
// pixels on each side. It reads only the header, never the pixels.
func CheckImage(b []byte) error {
	_, _, err := imageConfig(b)
	return err
}

func imageConfig(b []byte) (image.Config, string, error) {
	if len(b) > MaxImageSize {
		return image.Config{}, "", fmt.Errorf("%w: %d bytes, at most %d", ErrImage, len(b), MaxImageSize)
	}
	var (
		cfg    image.Config
		err    error
		format string
	)
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		format = "png"
		cfg, err = png.DecodeConfig(bytes.NewReader(b))
	case bytes.HasPrefix(b, []byte("\xff\xd8")):
		format = "jpeg"
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
	default:
		return image.Config{}, "", fmt.Errorf("%w: not a JPEG or PNG image", ErrImage)
	}
	if err != nil {
		return image.Config{}, "", fmt.Errorf("%w: %s header: %v", ErrImage, format, err)
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxImageSide || cfg.Height > MaxImageSide {
		return image.Config{}, "", fmt.Errorf("%w: %d × %d pixels, at most %d × %d", ErrImage, cfg.Width, cfg.Height, MaxImageSide, MaxImageSide)
	}
	return cfg, format, nil
}

// DecodeImage decodes picture b after CheckImage accepts its header, so
// it never allocates more than MaxImageSide² pixels.
func DecodeImage(b []byte) (image.Image, error) {
	_, format, err := imageConfig(b)
	if err != nil {
		return nil, err
	}
	var img image.Image
	if format == "png" {
		img, err = png.Decode(bytes.NewReader(b))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(b))
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrImage, format, err)
	}
	return img, nil
}

// picture is the Picture op id sets: nil when data is empty (removed).
func picture(id ID, data []byte) *Picture {
	if len(data) == 0 {
		return nil
	}
	return &Picture{Op: id, Data: data}
}
