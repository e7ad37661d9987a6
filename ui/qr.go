package ui

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	qrcode "github.com/skip2/go-qrcode"
)

// qrLevel is the error correction of invite QR codes: M, which a phone
// reads off a glossy screen or a creased print. A short link (under 200
// characters) stays within version 10 at this level, 57 modules a side.
const qrLevel = qrcode.Medium

// qrMaxSide is the most room an invite's QR code takes, in Fyne units.
const qrMaxSide = 260

// qrImage renders text as a QR code with one pixel per module, its quiet
// zone included: black on white whatever the theme, as scanners expect.
func qrImage(text string) (*image.Gray, error) {
	q, err := qrcode.New(text, qrLevel)
	if err != nil {
		return nil, fmt.Errorf("make the QR code: %w", err)
	}
	return bitmapImage(q.Bitmap(), 1), nil
}

// bitmapImage draws a QR bitmap (true is a dark module) with scale
// pixels per module.
func bitmapImage(bm [][]bool, scale int) *image.Gray {
	n := len(bm) * scale
	img := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		row := bm[y/scale]
		for x := range n {
			if !row[x/scale] {
				img.Pix[y*img.Stride+x] = 0xff
			}
		}
	}
	return img
}

// qrDisplaySize is the side at which a code of the given number of
// modules (quiet zone included) is shown: a whole number of units per
// module, at least two so phones read it off a screen, within qrMaxSide.
// Denser codes (very long links) fill qrMaxSide at a fractional scale;
// pixel scaling still keeps their edges sharp.
func qrDisplaySize(modules int) float32 {
	if per := qrMaxSide / modules; per >= 2 {
		return float32(modules * per)
	}
	return qrMaxSide
}

// newQRImage is the on-screen QR code of img: scaled by whole pixels, so
// its modules stay sharp.
func newQRImage(img image.Image) *canvas.Image {
	ci := canvas.NewImageFromImage(img)
	ci.FillMode = canvas.ImageFillContain
	ci.ScaleMode = canvas.ImageScalePixels
	side := qrDisplaySize(img.Bounds().Dx())
	ci.SetMinSize(fyne.NewSize(side, side))
	return ci
}

// qrPrintScale is how many pixels per module a saved QR code has: big
// enough to print on a flyer.
const qrPrintScale = 8

// writeQRPNG writes the QR code of text to w as a PNG for printing or
// sharing.
func writeQRPNG(w io.Writer, text string) error {
	q, err := qrcode.New(text, qrLevel)
	if err != nil {
		return fmt.Errorf("make the QR code: %w", err)
	}
	if err := png.Encode(w, bitmapImage(q.Bitmap(), qrPrintScale)); err != nil {
		return fmt.Errorf("write the QR code: %w", err)
	}
	return nil
}

// qrFileName is the suggested file name of a community's invite QR code:
// "glow-team-invite.png".
func qrFileName(community string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(community) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSuffix(b.String(), "-")
	if name == "" {
		name = "umbrella"
	}
	return name + "-invite.png"
}
