package vpx_test

import (
	"context"
	"fmt"
	"image"
	"image/color"

	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/tile"
)

// The app's video path: a Source (a camera, here the test pattern) feeds
// an Encoder whose frames go out through the call's media Session; each
// remote sender's frames go through its own Decoder into a tile.
func Example() {
	src, err := camera.NewTestPattern(camera.Request{Width: 640, Height: 360, FrameRate: 30})
	if err != nil {
		panic(err)
	}
	defer src.Close()
	cfg := vpx.DefaultEncoderConfig()
	cfg.Width, cfg.Height = src.Mode().Width, src.Mode().Height
	enc, err := vpx.NewEncoder(cfg)
	if err != nil {
		panic(err)
	}
	defer enc.Close()
	dec, err := vpx.NewDecoder()
	if err != nil {
		panic(err)
	}
	defer dec.Close()
	view := image.NewRGBA(image.Rect(0, 0, 320, 240))

	for n := range 3 {
		pic, err := src.Read(context.Background())
		if err != nil {
			panic(err)
		}
		frame, key, err := enc.Encode(pic, false) // frame: what Session sends
		if err != nil {
			panic(err)
		}
		got, err := dec.Decode(frame) // on the receiving side
		if err != nil {
			panic(err)
		}
		shown := tile.Fit(view, got, color.RGBA{A: 255})
		fmt.Printf("frame %d: key %v, decoded %v, shown at %v\n", n, key, got.Rect.Size(), shown)
	}
	// Output:
	// frame 0: key true, decoded (640,360), shown at (0,30)-(320,210)
	// frame 1: key false, decoded (640,360), shown at (0,30)-(320,210)
	// frame 2: key false, decoded (640,360), shown at (0,30)-(320,210)
}
