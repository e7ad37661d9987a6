package vision

import (
	"context"
	"errors"
	"image"
	"image/color"
	"maps"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

func TestPlanLayers(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		n    int
		want []LayerSpec
	}{
		{"mesh", 640, 360, 1, []LayerSpec{{640, 360, 0}}},
		{"grid and speaker", 640, 360, 2, []LayerSpec{{320, 180, 150_000}, {640, 360, 500_000}}},
		{"three", 640, 360, 3, []LayerSpec{{160, 90, 150_000}, {320, 180, 500_000}, {640, 360, 1_200_000}}},
		{"too many asked", 640, 360, 9, []LayerSpec{{160, 90, 150_000}, {320, 180, 500_000}, {640, 360, 1_200_000}}},
		{"small camera", 240, 136, 2, []LayerSpec{{240, 136, 0}}},
		{"odd halves", 642, 362, 2, []LayerSpec{{320, 180, 150_000}, {642, 362, 500_000}}},
	} {
		if got := PlanLayers(tc.w, tc.h, tc.n); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestScaleInto(t *testing.T) {
	src := image.NewYCbCr(image.Rect(0, 0, 4, 4), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i * 10) // rows 0,10,20,30 / 40,…
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = byte(100+i*4), 200
	}
	dst := image.NewYCbCr(image.Rect(0, 0, 2, 2), image.YCbCrSubsampleRatio420)
	scaleInto(dst, src)
	// each output sample is the average of a 2x2 block: (0+10+40+50)/4 = 25 …
	if want := []byte{25, 45, 105, 125}; !slices.Equal(dst.Y, want) {
		t.Errorf("Y %v, want %v", dst.Y, want)
	}
	if want := byte(106); dst.Cb[0] != want || dst.Cr[0] != 200 { // the 4 chroma samples 100,104,108,112
		t.Errorf("chroma %d %d, want %d 200", dst.Cb[0], dst.Cr[0], want)
	}
	if n := testing.AllocsPerRun(10, func() { scaleInto(dst, src) }); n != 0 {
		t.Errorf("%v allocations per scale", n)
	}
	// a ratio other than 2: 6x6 to 2x2, each sample the average of 3x3
	src = image.NewYCbCr(image.Rect(0, 0, 6, 6), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i)
	}
	scaleInto(dst, src)
	if want := []byte{7, 10, 25, 28}; !slices.Equal(dst.Y, want) { // (0+1+2+6+7+8+12+13+14)/9 = 7 …
		t.Errorf("Y of a third %v, want %v", dst.Y, want)
	}
}

// sizedCamera delivers a w×h picture every 1/30 s.
type sizedCamera struct{ w, h int }

func (c sizedCamera) Read(ctx context.Context) (*image.YCbCr, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Second / 30):
	}
	return image.NewYCbCr(image.Rect(0, 0, c.w, c.h), image.YCbCrSubsampleRatio420), nil
}

func (sizedCamera) Close() error { return nil }

// sizeEncoder records the sizes it encodes and the bitrates it is set to
// (it opens at own).
type sizeEncoder struct {
	mu     sync.Mutex
	sizes  map[image.Point]int
	own    int
	rates  []int
	closed bool
}

func (e *sizeEncoder) Encode(img *image.YCbCr, force bool) ([]byte, bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.sizes[img.Rect.Size()]++
	if force {
		return []byte{0x30, 0, 0, 0x9d, 0x01, 0x2a, 4, 0, 2, 0}, true, nil
	}
	return []byte{0x31, 0, 0, 1}, false, nil
}

func (e *sizeEncoder) SetBitrate(bps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rates = append(e.rates, bps)
	return nil
}

func (e *sizeEncoder) Bitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.rates) == 0 {
		return e.own
	}
	return e.rates[len(e.rates)-1]
}

func (e *sizeEncoder) Close() error { e.mu.Lock(); e.closed = true; e.mu.Unlock(); return nil }

func (e *sizeEncoder) isClosed() bool { e.mu.Lock(); defer e.mu.Unlock(); return e.closed }

func (e *sizeEncoder) encoded() map[image.Point]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.sizes)
}

func (e *sizeEncoder) lastRate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.rates) == 0 {
		return 0
	}
	return e.rates[len(e.rates)-1]
}

// layeredSender is a Session through an SFU as a Pipeline sees it: it
// sends layers layers at rates, and records frames by layer and the
// tiles asked for.
type layeredSender struct {
	mu     sync.Mutex
	layers int
	rates  []int
	sent   map[uint8]int
	keys   map[uint8]int
	shown  []map[string]sfu.Layer
}

func (s *layeredSender) Send(f media.Frame) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int(f.Layer) >= s.layers {
		return errors.New("layer not sent")
	}
	s.sent[f.Layer]++
	if f.KeyFrame {
		s.keys[f.Layer]++
	}
	return nil
}
func (s *layeredSender) RequestKeyFrame(string) error { return nil }
func (s *layeredSender) VideoLayers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.layers
}
func (s *layeredSender) VideoBitrates() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rates)
}
func (s *layeredSender) ShowLayers(want map[string]sfu.Layer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.shown = append(s.shown, maps.Clone(want))
	return nil
}
func (s *layeredSender) set(layers int, rates []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.layers, s.rates = layers, rates
}
func (s *layeredSender) counts() (sent, keys map[uint8]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.sent), maps.Clone(s.keys)
}

// TestPipelineEncodesLayers: in a mesh the camera's picture is encoded
// once; through an SFU each layer has its own encoder and size, paced at
// the bitrate the uplink gives it; the top layer stops when the uplink
// cannot carry it and starts again with a key frame when it can.
func TestPipelineEncodesLayers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		top := &sizeEncoder{sizes: map[image.Point]int{}}
		var mu sync.Mutex
		var lowerEncs []*sizeEncoder
		var specs []LayerSpec
		made := func() ([]*sizeEncoder, []LayerSpec) {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(lowerEncs), slices.Clone(specs)
		}
		p, err := New(Config{Send: true,
			OpenCamera: func() (Camera, Encoder, error) { return sizedCamera{640, 360}, top, nil },
			NewLayerEncoder: func(s LayerSpec) (Encoder, error) {
				e := &sizeEncoder{sizes: map[image.Point]int{}}
				mu.Lock()
				lowerEncs, specs = append(lowerEncs, e), append(specs, s)
				mu.Unlock()
				return e, nil
			},
			NewDecoder: func() (Decoder, error) { return &fakeDecoder{last: -1}, nil }})
		if err != nil {
			t.Fatal(err)
		}
		out := &layeredSender{layers: 1, sent: map[uint8]int{}, keys: map[uint8]int{}}
		if err := p.start(out); err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		<-time.After(time.Second)
		if sent, _ := out.counts(); sent[0] < 25 || len(sent) != 1 || len(lowerEncs) != 0 {
			t.Fatalf("in a mesh: sent %v with %d lower encoders, want one layer", sent, len(lowerEncs))
		}
		out.set(2, []int{150_000, 500_000}) // the call moves to an SFU
		<-time.After(time.Second)
		sent, keys := out.counts()
		lower, specs := made()
		if len(lower) != 1 || specs[0] != (LayerSpec{320, 180, 150_000}) {
			t.Fatalf("lower encoders %v, want one of 320x180", specs)
		}
		if sent[0] < 50 || sent[1] < 25 || keys[0] < 2 || keys[1] < 1 {
			t.Fatalf("through the SFU: sent %v, key frames %v", sent, keys)
		}
		if ls, ts := lower[0].encoded(), top.encoded(); ls[image.Pt(320, 180)] < 25 || ts[image.Pt(640, 360)] < 50 || len(ls) != 1 || len(ts) != 1 {
			t.Fatalf("encoded sizes: lower %v, top %v", ls, ts)
		}
		if lower[0].lastRate() != 150_000 || top.lastRate() != 500_000 {
			t.Fatalf("bitrates %d and %d, want the uplink's split", lower[0].lastRate(), top.lastRate())
		}
		out.set(2, []int{120_000, 0}) // the uplink falls: the top layer stops
		<-time.After(100 * time.Millisecond)
		before, _ := out.counts()
		<-time.After(time.Second)
		sent, keys = out.counts()
		if sent[1] != before[1] || sent[0]-before[0] < 25 || lower[0].lastRate() != 120_000 {
			t.Fatalf("uplink 120 kbit/s: top layer frames %d → %d, low %d → %d at %d bit/s", before[1], sent[1], before[0], sent[0], lower[0].lastRate())
		}
		out.set(2, []int{150_000, 500_000})
		<-time.After(time.Second)
		again, keys2 := out.counts()
		if again[1]-sent[1] < 25 || keys2[1] <= keys[1] {
			t.Fatalf("the top layer back: %d frames, key frames %d → %d", again[1]-sent[1], keys[1], keys2[1])
		}
		p.LayerKeyFrameRequest("sfu", 0)
		<-time.After(100 * time.Millisecond)
		if _, k := out.counts(); k[0] <= keys2[0] || k[1] != keys2[1] {
			t.Fatalf("a key frame of layer 0 asked: key frames %v → %v", keys2, k)
		}
		p.SetCamera(false)
		if !lower[0].isClosed() || !top.isClosed() {
			t.Fatal("the camera off left encoders open")
		}
	})
}

// startThroughSFU starts p (made with err) sending through an SFU that
// takes two layers at 150 and 500 kbit/s.
func startThroughSFU(t *testing.T, p *Pipeline, err error) *layeredSender {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	out := &layeredSender{layers: 2, rates: []int{150_000, 500_000}, sent: map[uint8]int{}, keys: map[uint8]int{}}
	if err := p.start(out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFallbackToMeshResetsTheTopBitrate: through an SFU the camera's
// encoder (the 640x360 layer) runs at the bitrate the uplink estimate
// gives it; once the call falls back to a mesh, which has no estimate, it
// returns to the bitrate it opened with, the mesh's, and is the only
// layer sent.
func TestFallbackToMeshResetsTheTopBitrate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		top := &sizeEncoder{sizes: map[image.Point]int{}, own: 600_000}
		p, err := New(Config{Send: true,
			OpenCamera:      func() (Camera, Encoder, error) { return sizedCamera{640, 360}, top, nil },
			NewLayerEncoder: func(LayerSpec) (Encoder, error) { return &sizeEncoder{sizes: map[image.Point]int{}}, nil },
			NewDecoder:      func() (Decoder, error) { return &fakeDecoder{last: -1}, nil }})
		out := startThroughSFU(t, p, err)
		defer p.Close()
		<-time.After(time.Second)
		if r := top.lastRate(); r != 500_000 {
			t.Fatalf("through the SFU the 640x360 layer runs at %d bit/s, want the uplink's 500,000", r)
		}
		out.set(1, nil) // the SFU host is lost: back to the mesh
		<-time.After(100 * time.Millisecond)
		before, _ := out.counts()
		<-time.After(time.Second)
		sent, _ := out.counts()
		if r := top.lastRate(); r != 600_000 {
			t.Errorf("after the fallback to a mesh the 640x360 layer runs at %d bit/s, want its own 600,000", r)
		}
		if sent[0]-before[0] < 25 || sent[1] != before[1] {
			t.Errorf("after the fallback: layer frames %v → %v, want the one layer only", before, sent)
		}
	})
}

// TestDrawAsksForShownTiles: the tiles a window draws say what to ask of
// the SFU: the large tile's sender at the layer of its size, the small
// tiles' at the low layer, and a sender no tile drew for ShownFor not at
// all.
func TestDrawAsksForShownTiles(t *testing.T) {
	clock := time.Unix(1e9, 0)
	p, err := New(Config{NewDecoder: func() (Decoder, error) { return &fakeDecoder{last: -1}, nil },
		Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out := &layeredSender{layers: 2, sent: map[uint8]int{}, keys: map[uint8]int{}}
	if err := p.start(out); err != nil {
		t.Fatal(err)
	}
	large, small := image.NewRGBA(image.Rect(0, 0, 640, 360)), image.NewRGBA(image.Rect(0, 0, 320, 180))
	last := func() map[string]sfu.Layer {
		out.mu.Lock()
		defer out.mu.Unlock()
		if len(out.shown) == 0 {
			return nil
		}
		return out.shown[len(out.shown)-1]
	}
	for range 10 {
		p.Draw("ann", large, color.RGBA{}, 0)
		p.Draw("ben", small, color.RGBA{}, 0)
		p.Draw("cara", small, color.RGBA{}, 0)
		clock = clock.Add(time.Second / 15)
	}
	want := map[string]sfu.Layer{"ann": sfu.LayerMid, "ben": sfu.LayerLow, "cara": sfu.LayerLow}
	if got := last(); !maps.Equal(got, want) {
		t.Fatalf("asked %v, want %v", got, want)
	}
	if n := len(out.shown); n != 3 {
		t.Errorf("asked %d times, want once per new tile", n)
	}
	if n := testing.AllocsPerRun(100, func() { p.Draw("ann", large, color.RGBA{}, 0) }); n != 0 {
		t.Errorf("a draw that changes nothing allocates %v times", n)
	}
	// ben speaks: his tile is the large one, ann's a small one; cara's
	// tile scrolled out of sight.
	for range 30 {
		p.Draw("ben", large, color.RGBA{}, 0)
		p.Draw("ann", small, color.RGBA{}, 0)
		clock = clock.Add(time.Second / 15)
	}
	want = map[string]sfu.Layer{"ann": sfu.LayerLow, "ben": sfu.LayerMid}
	if got := last(); !maps.Equal(got, want) {
		t.Fatalf("after the speaker changed: asked %v, want %v", got, want)
	}
}

// BenchmarkScaleInto: the cost of the grid tiles' layer's picture, a
// 640x360 camera picture shrunk to 320x180, once per camera frame.
func BenchmarkScaleInto(b *testing.B) {
	src := image.NewYCbCr(image.Rect(0, 0, 640, 360), image.YCbCrSubsampleRatio420)
	for i := range src.Y {
		src.Y[i] = byte(i)
	}
	dst := image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420)
	b.ReportAllocs()
	for b.Loop() {
		scaleInto(dst, src)
	}
}

// TestLayerEncoderFails: when a lower layer's encoder cannot be made the
// camera's picture goes alone, with no key frame forced on every frame.
func TestLayerEncoderFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var tries int
		p, err := New(Config{Send: true,
			OpenCamera: func() (Camera, Encoder, error) {
				return sizedCamera{640, 360}, &sizeEncoder{sizes: map[image.Point]int{}}, nil
			},
			NewLayerEncoder: func(LayerSpec) (Encoder, error) { tries++; return nil, errors.New("no encoder") },
			NewDecoder:      func() (Decoder, error) { return &fakeDecoder{last: -1}, nil }})
		out := startThroughSFU(t, p, err)
		<-time.After(time.Second)
		p.SetCamera(false)
		defer p.Close()
		sent, keys := out.counts()
		if sent[0] < 25 || sent[1] != 0 || keys[0] > 2 || tries != 1 {
			t.Fatalf("sent %v, key frames %v, %d encoders tried", sent, keys, tries)
		}
	})
}
