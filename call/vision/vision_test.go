package vision

import (
	"context"
	"errors"
	"image"
	"image/color"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// fakeCamera delivers a flat picture every 1/30 s until closed.
type fakeCamera struct {
	closed chan struct{}
	once   sync.Once
}

func newFakeCamera() *fakeCamera { return &fakeCamera{closed: make(chan struct{})} }

func (c *fakeCamera) Read(ctx context.Context) (*image.YCbCr, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.closed:
		return nil, errors.New("closed")
	case <-time.After(time.Second / 30):
	}
	return image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420), nil
}

func (c *fakeCamera) Close() error { c.once.Do(func() { close(c.closed) }); return nil }

func (c *fakeCamera) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// fakeEncoder makes VP8-headed frames: a key frame when forced.
type fakeEncoder struct{ closed bool }

func (e *fakeEncoder) Encode(_ *image.YCbCr, force bool) ([]byte, bool, error) {
	if force {
		return []byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 4, 0, 2, 0}, true, nil
	}
	return []byte{0x31, 0, 0, 1}, false, nil
}
func (e *fakeEncoder) Close() error { e.closed = true; return nil }

func (e *fakeEncoder) SetBitrate(int) error { return nil }

func (e *fakeEncoder) Bitrate() int { return 600_000 }

// fakeSender records what is sent and which key frames are asked for.
type fakeSender struct {
	mu    sync.Mutex
	sent  []media.Frame
	asked []string
}

func (s *fakeSender) Send(f media.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, media.Frame{Kind: f.Kind, KeyFrame: f.KeyFrame})
	return nil
}

func (s *fakeSender) VideoLayers() int                      { return 1 }
func (s *fakeSender) VideoBitrates() []int                  { return nil }
func (s *fakeSender) ShowLayers(map[string]sfu.Layer) error { return nil }

func (s *fakeSender) RequestKeyFrame(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, id)
	return nil
}

func (s *fakeSender) counts() (sent, keys, asked int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.sent {
		if f.KeyFrame {
			keys++
		}
	}
	return len(s.sent), keys, len(s.asked)
}

var errNeedKey = errors.New("need a key frame")

// fakeDecoder decodes a key frame (P bit 0) to a picture whose Y is the
// frame's 4th byte, and a delta frame only after a key frame and in
// sequence (its 4th byte one more than the last's).
type fakeDecoder struct {
	last   int // -1: no key frame yet, or a frame was lost
	closed bool
}

func (d *fakeDecoder) DecodeTo(f []byte, dst *image.YCbCr) (*image.YCbCr, error) {
	key := f[0]&1 == 0
	n := int(f[3])
	if !key && (d.last < 0 || n != d.last+1) {
		d.last = -1
		return nil, errNeedKey
	}
	d.last = n
	if dst == nil {
		dst = image.NewYCbCr(image.Rect(0, 0, 4, 2), image.YCbCrSubsampleRatio420)
	}
	for i := range dst.Y {
		dst.Y[i] = byte(n)
	}
	for i := range dst.Cb {
		dst.Cb[i], dst.Cr[i] = 128, 128
	}
	return dst, nil
}
func (d *fakeDecoder) Close() error { d.closed = true; return nil }

func newTest(t *testing.T, send bool, cam *fakeCamera, enc *fakeEncoder) (*Pipeline, *fakeSender) {
	t.Helper()
	cfg := Config{Send: send, NeedKeyFrame: errNeedKey,
		NewDecoder: func() (Decoder, error) { return &fakeDecoder{last: -1}, nil }}
	if cam != nil {
		cfg.OpenCamera = func() (Camera, Encoder, error) { return cam, enc, nil }
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := &fakeSender{}
	if err := p.start(out); err != nil {
		t.Fatal(err)
	}
	return p, out
}

// TestCameraOffStopsFrames: the camera's pictures are sent, a key frame
// first; turned off, the camera closes and nothing more is sent; on
// again, a new camera sends, again from a key frame.
func TestCameraOffStopsFrames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cam, enc := newFakeCamera(), &fakeEncoder{}
		p, out := newTest(t, true, cam, enc)
		defer p.Close()
		<-time.After(time.Second) // virtual time: 30 pictures
		synctest.Wait()
		sent, keys, _ := out.counts()
		if sent < 28 || keys != 1 || !out.sent[0].KeyFrame {
			t.Fatalf("sent %d frames, %d key frames (first %+v), want about 30 starting with one key frame", sent, keys, out.sent[0])
		}
		if on, err := p.CameraState(); !on || err != nil {
			t.Fatalf("camera state %t %v", on, err)
		}
		p.SetCamera(false)
		if !cam.isClosed() || !enc.closed {
			t.Fatal("the camera or encoder stayed open with the camera off")
		}
		off, _, _ := out.counts()
		<-time.After(time.Second)
		synctest.Wait()
		if n, _, _ := out.counts(); n != off {
			t.Fatalf("%d frames sent with the camera off", n-off)
		}
		if on, err := p.CameraState(); on || err != nil {
			t.Fatalf("camera state off: %t %v", on, err)
		}
		cam2 := newFakeCamera()
		p.cfg.OpenCamera = func() (Camera, Encoder, error) { return cam2, &fakeEncoder{}, nil }
		p.SetCamera(true)
		<-time.After(time.Second)
		synctest.Wait()
		n, keys, _ := out.counts()
		if n < off+28 || keys != 2 || !out.sent[off].KeyFrame {
			t.Fatalf("camera on again: %d more frames, %d key frames in all", n-off, keys)
		}
	})
}

// TestNoCameraSendsNothing: without a camera the pipeline says so and
// sends no video (the call is audio only); it still decodes others'.
func TestNoCameraSendsNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := New(Config{Send: true, NewDecoder: func() (Decoder, error) { return &fakeDecoder{last: -1}, nil },
			OpenCamera: func() (Camera, Encoder, error) { return nil, nil, ErrNoCamera }})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		out := &fakeSender{}
		if err := p.start(out); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		synctest.Wait()
		if on, err := p.CameraState(); on || !errors.Is(err, ErrNoCamera) {
			t.Fatalf("camera state %t %v, want off with ErrNoCamera", on, err)
		}
		if n, _, _ := out.counts(); n != 0 {
			t.Fatalf("%d frames sent without a camera", n)
		}
		p.Frame("bob", media.Frame{Kind: media.Video, Data: []byte{0x30, 0, 0, 7}})
		if _, ok := p.Draw("bob", image.NewRGBA(image.Rect(0, 0, 8, 8)), color.RGBA{}, 0); !ok {
			t.Fatal("bob's picture not drawn")
		}
	})
}

// TestKeyFrameRequests: a request from a receiver makes the next frame a
// key frame.
func TestKeyFrameRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, out := newTest(t, true, newFakeCamera(), &fakeEncoder{})
		defer p.Close()
		<-time.After(500 * time.Millisecond)
		synctest.Wait()
		p.KeyFrameRequest("bob")
		<-time.After(100 * time.Millisecond)
		synctest.Wait()
		if _, keys, _ := out.counts(); keys != 2 {
			t.Fatalf("%d key frames, want the first and one on request", keys)
		}
	})
}

// TestLostFrameAsksForKeyFrame: a frame the decoder cannot use after a
// lost one asks its sender for a key frame, at most once a second; the
// key frame's picture is then drawn.
func TestLostFrameAsksForKeyFrame(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, out := newTest(t, false, nil, nil)
		defer p.Close()
		frame := func(key bool, n byte) media.Frame {
			if key {
				return media.Frame{Kind: media.Video, KeyFrame: true, Data: []byte{0x30, 0, 0, n}}
			}
			return media.Frame{Kind: media.Video, Data: []byte{0x31, 0, 0, n}}
		}
		dst := image.NewRGBA(image.Rect(0, 0, 4, 2))
		p.Frame("bob", frame(true, 10))
		p.Frame("bob", frame(false, 11))
		seq, ok := p.Draw("bob", dst, color.RGBA{}, 0)
		if !ok || seq != 2 || dst.Pix[0] != 11 {
			t.Fatalf("drew %t seq %d pixel %d", ok, seq, dst.Pix[0])
		}
		if _, ok := p.Draw("bob", dst, color.RGBA{}, seq); ok {
			t.Fatal("drew again with no new picture")
		}
		p.Frame("bob", frame(false, 13)) // 12 was lost
		p.Frame("bob", frame(false, 14))
		if _, _, asked := out.counts(); asked != 1 {
			t.Fatalf("%d key-frame requests after a lost frame, want 1", asked)
		}
		<-time.After(KeyFrameRequestEvery)
		p.Frame("bob", frame(false, 15))
		if _, _, asked := out.counts(); asked != 2 || out.asked[1] != "bob" {
			t.Fatalf("requests %v a second later, want a second one to bob", out.asked)
		}
		p.Frame("bob", frame(true, 40))
		if seq2, ok := p.Draw("bob", dst, color.RGBA{}, seq); !ok || seq2 != seq+1 || dst.Pix[0] != 40 {
			t.Fatalf("after the key frame drew %t seq %d pixel %d", ok, seq2, dst.Pix[0])
		}
	})
}

// TestJoinRoutesByKind: the joined Local gives audio to the sound and
// video and key-frame requests to the video.
func TestJoinRoutesByKind(t *testing.T) {
	p, out := newTest(t, false, nil, nil)
	sound := &soundFake{}
	j := Join(sound, p)
	j.Frame("bob", media.Frame{Kind: media.Audio, Data: []byte{0xf8}})
	j.Frame("bob", media.Frame{Kind: media.Video, Data: []byte{0x30, 0, 0, 5}})
	if sound.frames != 1 {
		t.Fatalf("sound got %d frames, want the audio one", sound.frames)
	}
	if _, ok := p.Draw("bob", image.NewRGBA(image.Rect(0, 0, 2, 2)), color.RGBA{}, 0); !ok {
		t.Fatal("the video frame did not reach the video")
	}
	j.KeyFrameRequest("bob")
	if !p.forceKey[0].Load() {
		t.Fatal("the key-frame request did not reach the video")
	}
	if err := j.Close(); err != nil || !sound.closed {
		t.Fatalf("close: %v, sound closed %t", err, sound.closed)
	}
	_ = out
}

type soundFake struct {
	frames int
	closed bool
}

func (s *soundFake) Frame(string, media.Frame)  { s.frames++ }
func (s *soundFake) KeyFrameRequest(string)     {}
func (s *soundFake) Start(*media.Session) error { return nil }
func (s *soundFake) Close() error               { s.closed = true; return nil }
