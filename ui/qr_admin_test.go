package ui

import (
	"bytes"
	"image/png"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"
)

// TestSaveQRCode: the saved PNG is the link's code at print size; its
// file is named after the community.
func TestSaveQRCode(t *testing.T) {
	link := "umbrella://join/" + strings.Repeat("Q", 40)
	var buf bytes.Buffer
	if err := writeQRPNG(&buf, link); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := qrcode.New(link, qrLevel)
	if got, want := img.Bounds().Dx(), len(q.Bitmap())*qrPrintScale; got != want {
		t.Fatalf("saved code is %d px, want %d", got, want)
	}
	if got := qrFileName("Glow Team — Spring 2027!"); got != "glow-team-spring-2027-invite.png" {
		t.Fatalf("file name %q", got)
	}
	if err := writeQRPNG(&buf, strings.Repeat("x", 4000)); err == nil {
		t.Fatal("a link too long for a QR code made one")
	}
}

// TestQRDisplaySize: codes are shown at whole units per module, at least
// two, within qrMaxSide.
func TestQRDisplaySize(t *testing.T) {
	for _, modules := range []int{21 + 8, 41 + 8, 77 + 8, 129 + 8, 177 + 8} {
		side := qrDisplaySize(modules)
		per := side / float32(modules)
		if side > qrMaxSide || (per >= 2 && per != float32(int(per))) || (per < 2 && side != qrMaxSide) {
			t.Fatalf("%d modules shown %v wide", modules, side)
		}
	}
}
