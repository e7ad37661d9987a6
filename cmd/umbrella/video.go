package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"log/slog"
	"slices"
	"sync"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/tile"
	"github.com/umbrella-p2p/umbrella/call/vision"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// Video in calls: the camera (call/device/camera, V4L2) through VP8
// (call/codec/vpx) into the call, and each sender's frames decoded into
// the pictures the call window's tiles draw (call/vision). The test
// pattern is for tests and demos: without a camera the app says so and
// sends audio only.

// noteNoCamera is what the call window says when a video call has no
// camera to send.
const noteNoCamera = "No camera found: the others hear you but do not see you."

// cameraRequest is the picture asked of a camera; the encoder takes the
// size the camera delivers.
var cameraRequest = camera.Request{Width: 640, Height: 360, FrameRate: 30}

// callVideo is the app's video of calls: which camera, and the running
// calls' pipelines.
type callVideo struct {
	sound *callSound // keeps the camera choice in its file
	log   *slog.Logger
	// list and open are the cameras (camera.List, camera.Open; tests
	// replace them).
	list func() ([]camera.Info, error)
	open func(path string) (vision.Camera, camera.Mode, error)

	view selfView // the camera's latest picture, for the member's own tile

	mu   sync.Mutex
	live []*vision.Pipeline // calls' pipelines, the latest last; guarded by mu
}

func newCallVideo(sound *callSound, log *slog.Logger) *callVideo {
	return &callVideo{sound: sound, log: log.With("component", "video"), list: camera.List,
		open: func(path string) (vision.Camera, camera.Mode, error) {
			d, err := camera.Open(path, cameraRequest)
			if err != nil {
				return nil, camera.Mode{}, err
			}
			return d, d.Mode(), nil
		}}
}

// local is CallOptions.Local: the call's sound and, joined to it, its
// video, received always and sent while the camera is on: from the start
// in a video call, once the member turns it on in a voice call (the
// call's Session carries a video track either way).
func (v *callVideo) local(c call.MediaConfig) (media.Local, error) {
	sound, err := v.sound.local(c)
	if err != nil {
		return nil, err
	}
	p, err := vision.New(vision.Config{
		Send:            true,
		OpenCamera:      v.openCamera,
		NewLayerEncoder: newLayerEncoder,
		NewDecoder:      func() (vision.Decoder, error) { return vpx.NewDecoder() },
		NeedKeyFrame:    vpx.ErrNeedKeyFrame,
		Logger:          v.log,
	})
	if err != nil {
		_ = sound.Close()
		return nil, err
	}
	p.SetCamera(c.Video) // before Start: a voice call starts with the camera off
	v.mu.Lock()
	v.live = append(v.live, p)
	v.mu.Unlock()
	return &videoLocal{Local: vision.Join(sound, p), v: v, p: p}, nil
}

// videoLocal forgets its pipeline when the call closes.
type videoLocal struct {
	media.Local
	v *callVideo
	p *vision.Pipeline
}

var _ media.Routed = (*videoLocal)(nil)

// ThroughSFU tells the call's sound whether the call runs through an SFU
// (media.Routed).
func (l *videoLocal) ThroughSFU(sfu bool) {
	if r, ok := l.Local.(media.Routed); ok {
		r.ThroughSFU(sfu)
	}
}

func (l *videoLocal) Close() error {
	l.v.mu.Lock()
	l.v.live = slices.DeleteFunc(l.v.live, func(o *vision.Pipeline) bool { return o == l.p })
	l.v.mu.Unlock()
	return l.Local.Close()
}

// openCamera opens the chosen camera (or, when it is gone or none was
// chosen, the first that opens) and an encoder of its size.
func (v *callVideo) openCamera() (vision.Camera, vision.Encoder, error) {
	chosen := v.sound.choiceNow().Camera
	infos, err := v.list()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", vision.ErrNoCamera, err)
	}
	paths := make([]string, 0, len(infos)+1)
	if chosen != "" {
		paths = append(paths, chosen)
	}
	for _, in := range infos {
		if in.Path != chosen {
			paths = append(paths, in.Path)
		}
	}
	var errs []error
	for _, path := range paths {
		src, mode, err := v.open(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		enc, err := newEncoder(mode)
		if err != nil {
			_ = src.Close()
			return nil, nil, err
		}
		return viewedCamera{Camera: src, view: &v.view}, enc, nil
	}
	if len(errs) == 0 {
		return nil, nil, fmt.Errorf("%w: none found", vision.ErrNoCamera)
	}
	return nil, nil, fmt.Errorf("%w: %w", vision.ErrNoCamera, errors.Join(errs...))
}

// newEncoder is a call's VP8 encoder for pictures of mode.
func newEncoder(mode camera.Mode) (*vpx.Encoder, error) {
	cfg := vpx.DefaultEncoderConfig()
	cfg.Width, cfg.Height = mode.Width, mode.Height
	if mode.FrameRate >= 1 {
		cfg.FrameRate = min(int(mode.FrameRate+0.5), vpx.MaxFrameRate)
	}
	return vpx.NewEncoder(cfg)
}

// videoLayers is how many simulcast layers the app sends of its camera
// through an SFU: the speaker's tile (the camera's 640x360) and the grid
// tiles' (320x180), as vision.PlanLayers sizes them.
const videoLayers = 2

// newLayerEncoder is the VP8 encoder of a simulcast layer below the
// camera's size.
func newLayerEncoder(s vision.LayerSpec) (vision.Encoder, error) {
	cfg := vpx.DefaultEncoderConfig()
	cfg.Width, cfg.Height = s.Width, s.Height
	if s.Bitrate > 0 {
		cfg.Bitrate = s.Bitrate
	}
	return vpx.NewEncoder(cfg)
}

// current is the latest call's pipeline (nil: no call).
func (v *callVideo) current() *vision.Pipeline {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.live) == 0 {
		return nil
	}
	return v.live[len(v.live)-1]
}

// setCamera turns the camera of the current call on or off.
func (v *callVideo) setCamera(on bool) error {
	p := v.current()
	if p == nil {
		return api.ErrNotInCall
	}
	p.SetCamera(on)
	if sending, problem := p.CameraState(); on && !sending {
		return fmt.Errorf("the camera did not start: %w", problem)
	}
	return nil
}

// picture draws participant peer's latest picture into dst (see
// vision.Pipeline.Draw).
func (v *callVideo) picture(peer string, dst *image.RGBA, since uint64) (uint64, bool) {
	p := v.current()
	if p == nil {
		return 0, false
	}
	return p.Draw(peer, dst, color.RGBA{A: 255}, since)
}

// fill marks whether the member's camera sends and says when it should
// but cannot (no camera).
func (v *callVideo) fill(st *api.CallStatus) {
	p := v.current()
	if p == nil {
		return
	}
	sending, problem := p.CameraState()
	for i := range st.Participants {
		if st.Participants[i].Self {
			st.Participants[i].Video = sending
		}
	}
	if problem != nil { // only while the camera should be on

		if st.SoundProblem != "" {
			st.SoundProblem += " "
		}
		st.SoundProblem += noteNoCamera
	}
}

// cameras lists the cameras and the choice.
func (v *callVideo) cameras() ([]api.AudioDevice, string) {
	chosen := v.sound.choiceNow().Camera
	out := []api.AudioDevice{}
	infos, err := v.list()
	if err != nil {
		v.log.Debug("no cameras listed", "err", err)
		return out, chosen
	}
	for i, in := range infos {
		out = append(out, api.AudioDevice{ID: in.Path, Name: in.Name, Default: i == 0})
	}
	return out, chosen
}

// chooseCamera keeps the choice of camera; a running call's camera, if
// on, moves to it.
func (v *callVideo) chooseCamera(path string) error {
	if len(path) > maxDeviceID {
		return errors.New("video: a device path that long is no camera's")
	}
	if err := v.sound.setCamera(path); err != nil {
		return err
	}
	if p := v.current(); p != nil {
		if on, _ := p.CameraState(); on {
			p.SetCamera(false)
			p.SetCamera(true)
		}
	}
	return nil
}

// SetCallVideo turns the member's camera on or off in the current call
// and tells the other participants.
func (b appBackend) SetCallVideo(ctx context.Context, cid, id crdt.ID, on bool) error {
	if err := b.video.setCamera(on); err != nil {
		return err
	}
	if b.Node == nil { // the camera's own tests run with no node
		return nil
	}
	return b.Node.AnnounceCallVideo(ctx, cid, id, on)
}

// CallPicture draws participant peer's latest video picture into dst when
// one came after picture number since (the call window's tiles).
func (b appBackend) CallPicture(peer string, dst *image.RGBA, since uint64) (uint64, bool) {
	return b.video.picture(peer, dst, since)
}

// SetCallCamera keeps the member's choice of camera.
func (b appBackend) SetCallCamera(_ context.Context, path string) error {
	return b.video.chooseCamera(path)
}

// selfView keeps the latest picture of the member's camera for the call
// window's own tile. It is safe for concurrent use.
type selfView struct {
	mu  sync.Mutex
	pic *image.YCbCr // a copy of the latest picture, reused; guarded by mu
	seq uint64       // pictures kept; guarded by mu
}

// keep copies img as the latest picture.
func (s *selfView) keep(img *image.YCbCr) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pic
	if p == nil || p.Rect != img.Rect || p.SubsampleRatio != img.SubsampleRatio || p.YStride != img.YStride ||
		p.CStride != img.CStride || len(p.Y) != len(img.Y) || len(p.Cb) != len(img.Cb) || len(p.Cr) != len(img.Cr) {
		p = &image.YCbCr{Y: make([]byte, len(img.Y)), Cb: make([]byte, len(img.Cb)), Cr: make([]byte, len(img.Cr)),
			YStride: img.YStride, CStride: img.CStride, SubsampleRatio: img.SubsampleRatio, Rect: img.Rect}
		s.pic = p
	}
	copy(p.Y, img.Y)
	copy(p.Cb, img.Cb)
	copy(p.Cr, img.Cr)
	s.seq++
}

// forget drops the picture (the camera stopped).
func (s *selfView) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pic = nil
}

// draw draws the latest picture into dst, fitted, when one was kept
// after picture number since.
func (s *selfView) draw(dst *image.RGBA, since uint64) (uint64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pic == nil || s.seq == since {
		return s.seq, false
	}
	tile.Fit(dst, s.pic, color.RGBA{A: 255})
	return s.seq, true
}

// viewedCamera is a camera whose pictures the self view keeps as they
// are read.
type viewedCamera struct {
	vision.Camera
	view *selfView
}

func (c viewedCamera) Read(ctx context.Context) (*image.YCbCr, error) {
	img, err := c.Camera.Read(ctx)
	if err == nil {
		c.view.keep(img)
	}
	return img, err
}

func (c viewedCamera) Close() error {
	c.view.forget()
	return c.Camera.Close()
}

// CallSelfPicture draws the latest picture of the member's own camera
// into dst, as it was taken (the call window mirrors it), when one came
// after picture number since.
func (b appBackend) CallSelfPicture(dst *image.RGBA, since uint64) (uint64, bool) {
	return b.video.view.draw(dst, since)
}
