package camera

import (
	"errors"
	"testing"
)

func sizes(fps float64, wh ...int) []FrameSize {
	var out []FrameSize
	for i := 0; i < len(wh); i += 2 {
		out = append(out, FrameSize{MinWidth: wh[i], MaxWidth: wh[i], MinHeight: wh[i+1], MaxHeight: wh[i+1], MaxFrameRate: fps})
	}
	return out
}

func concat(ss ...[]FrameSize) []FrameSize {
	var out []FrameSize
	for _, s := range ss {
		out = append(out, s...)
	}
	return out
}

func TestChoose(t *testing.T) {
	// A common USB webcam: raw YUYV is slow at large sizes, MJPEG is not.
	webcam := []Format{
		{Pixel: YUYV, Sizes: concat(sizes(30, 640, 480, 320, 240), sizes(10, 1280, 720), sizes(5, 1920, 1080))},
		{Pixel: MJPEG, Sizes: sizes(30, 640, 480, 1280, 720, 1920, 1080)},
		{Pixel: PixelFormat('H' | '2'<<8 | '6'<<16 | '4'<<24), Sizes: sizes(30, 1280, 720)},
	}
	stepwise := []Format{{Pixel: I420, Sizes: []FrameSize{{
		MinWidth: 160, MaxWidth: 1920, StepWidth: 16, MinHeight: 120, MaxHeight: 1080, StepHeight: 8,
	}}}}
	for _, c := range []struct {
		name    string
		formats []Format
		want    Request
		mode    Mode
		err     error
	}{
		{"720p is MJPEG: YUYV is too slow there", webcam, Request{1280, 720, 30}, Mode{MJPEG, 1280, 720, 30}, nil},
		{"360p is the nearest YUYV size", webcam, Request{640, 360, 30}, Mode{YUYV, 640, 480, 30}, nil},
		{"15 fps allows nothing slower", webcam, Request{1280, 720, 15}, Mode{MJPEG, 1280, 720, 15}, nil},
		{"10 fps takes raw 720p", webcam, Request{1280, 720, 10}, Mode{YUYV, 1280, 720, 10}, nil},
		{"raw before MJPEG", []Format{{Pixel: MJPEG, Sizes: sizes(30, 640, 480)}, {Pixel: YUYV, Sizes: sizes(30, 640, 480)}},
			Request{640, 480, 30}, Mode{YUYV, 640, 480, 30}, nil},
		{"I420 before YUYV", []Format{{Pixel: YUYV, Sizes: sizes(30, 640, 480)}, {Pixel: I420, Sizes: sizes(30, 640, 480)}},
			Request{640, 480, 30}, Mode{I420, 640, 480, 30}, nil},
		{"rate before size", []Format{{Pixel: YUYV, Sizes: concat(sizes(10, 1280, 720), sizes(30, 640, 480))}},
			Request{1280, 720, 30}, Mode{YUYV, 640, 480, 30}, nil},
		{"nothing fast enough: the nearest size, at its rate", []Format{{Pixel: YUYV, Sizes: sizes(10, 1280, 720, 640, 480)}},
			Request{1280, 720, 30}, Mode{YUYV, 1280, 720, 10}, nil},
		{"a tie in distance goes to the larger", []Format{{Pixel: YUYV, Sizes: sizes(30, 640, 360, 640, 440)}},
			Request{640, 400, 30}, Mode{YUYV, 640, 440, 30}, nil},
		{"unknown rate counts as fast enough", []Format{{Pixel: MJPEG, Sizes: sizes(0, 1280, 720)}, {Pixel: YUYV, Sizes: sizes(15, 1280, 720)}},
			Request{1280, 720, 30}, Mode{MJPEG, 1280, 720, 30}, nil},
		{"a range gives the exact size", stepwise, Request{640, 360, 30}, Mode{I420, 640, 360, 30}, nil},
		{"a range rounds to its steps", stepwise, Request{1000, 700, 30}, Mode{I420, 1008, 704, 30}, nil},
		{"a range clamps", stepwise, Request{100, 90, 30}, Mode{I420, 160, 120, 30}, nil},
		{"only formats it cannot convert", webcam[2:], Request{1280, 720, 30}, Mode{}, ErrNoMode},
		{"only sizes beyond the limits", []Format{{Pixel: MJPEG, Sizes: sizes(30, 3840, 2160)}}, Request{1280, 720, 30}, Mode{}, ErrNoMode},
		{"nothing offered", nil, Request{640, 360, 30}, Mode{}, ErrNoMode},
		{"a request of 0 fps", webcam, Request{640, 360, 0}, Mode{}, ErrRequest},
		{"a request too large", webcam, Request{3840, 2160, 30}, Mode{}, ErrRequest},
	} {
		got, err := Choose(c.formats, c.want)
		if !errors.Is(err, c.err) || got != c.mode {
			t.Errorf("%s: %+v, %v; want %+v, %v", c.name, got, err, c.mode, c.err)
		}
	}
}

func TestPixelFormatString(t *testing.T) {
	for f, want := range map[PixelFormat]string{YUYV: "YUYV", MJPEG: "MJPG", I420: "YU12", 7: "PixelFormat(0x7)"} {
		if got := f.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint32(f), got, want)
		}
	}
}
