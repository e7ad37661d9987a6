package main

import (
	"errors"
	"image"
	"image/color"
	"log/slog"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/audio"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/vision"
)

// patternCameras makes v's cameras test patterns at the given paths
// (the app itself never uses the pattern); opened records which opened.
func patternCameras(v *callVideo, paths []string, opened *[]string) {
	v.list = func() ([]camera.Info, error) {
		var out []camera.Info
		for _, p := range paths {
			out = append(out, camera.Info{Path: p, Name: "Camera " + p})
		}
		return out, nil
	}
	v.open = func(path string) (vision.Camera, camera.Mode, error) {
		for _, p := range paths {
			if p == path {
				src, err := camera.NewTestPattern(camera.Request{Width: 160, Height: 90, FrameRate: 15})
				if err != nil {
					return nil, camera.Mode{}, err
				}
				*opened = append(*opened, path)
				return src, src.Mode(), nil
			}
		}
		return nil, camera.Mode{}, camera.ErrNotFound
	}
}

// startVideoCall makes a video call's Local and starts it on a Session
// with nobody yet, a send key set.
func startVideoCall(t *testing.T, v *callVideo, video bool) (media.Local, *media.Session) {
	t.Helper()
	l, err := v.local(call.MediaConfig{Self: "me", Video: video})
	if err != nil {
		t.Fatal(err)
	}
	s, err := media.New(media.Config{Self: "me", Video: video, Sink: l, Signal: func(string, []byte) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetSendKey(1, make([]byte, 16)); err != nil {
		t.Fatal(err)
	}
	if err := l.Start(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close(); _ = s.Close() })
	return l, s
}

// TestCameraChoiceKept: the chosen camera is kept in call-devices.json
// beside the sound devices (neither choice loses the other), read back by
// the next start, listed by CallDevices, and opened by the next call;
// when it is gone the call takes another.
func TestCameraChoiceKept(t *testing.T) {
	home := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	s := newCallSound(home, audio.BackendNull, log)
	defer s.close()
	v := newCallVideo(s, log)
	var opened []string
	patternCameras(v, []string{"/dev/video0", "/dev/video2"}, &opened)
	if err := v.chooseCamera("/dev/video2"); err != nil {
		t.Fatal(err)
	}
	if err := s.setDevices("mic-1", ""); err != nil {
		t.Fatal(err)
	}
	again := newCallSound(home, audio.BackendNull, log)
	defer again.close()
	if c := again.choiceNow(); c.Camera != "/dev/video2" || c.Microphone != "mic-1" {
		t.Fatalf("kept %+v, want camera /dev/video2 and microphone mic-1", c)
	}
	v2 := newCallVideo(again, log)
	patternCameras(v2, []string{"/dev/video0", "/dev/video2"}, &opened)
	b := appBackend{sound: again, video: v2}
	devs, err := b.CallDevices()
	if err != nil {
		t.Fatal(err)
	}
	if devs.Camera != "/dev/video2" || len(devs.Cameras) != 2 || devs.Cameras[1].Name != "Camera /dev/video2" {
		t.Fatalf("devices %+v", devs)
	}
	startVideoCall(t, v2, true)
	if len(opened) != 1 || opened[0] != "/dev/video2" {
		t.Fatalf("opened %v, want the chosen /dev/video2", opened)
	}
	opened = nil
	patternCameras(v2, []string{"/dev/video0"}, &opened) // video2 unplugged
	startVideoCall(t, v2, true)
	if len(opened) != 1 || opened[0] != "/dev/video0" {
		t.Fatalf("opened %v, want /dev/video0 with the chosen one gone", opened)
	}
}

// TestNoCameraAudioOnly: a video call without a camera says "No camera
// found" and sends no video; an audio call says nothing of cameras.
func TestNoCameraAudioOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	s := newCallSound("", audio.BackendNull, log)
	defer s.close()
	v := newCallVideo(s, log)
	var opened []string
	patternCameras(v, nil, &opened)
	startVideoCall(t, v, true)
	st := status()
	v.fill(&st)
	if !strings.HasSuffix(st.SoundProblem, noteNoCamera) || st.Participants[0].Video {
		t.Fatalf("status %+v, want %q and no video", st, noteNoCamera)
	}
	if err := v.setCamera(true); !errors.Is(err, vision.ErrNoCamera) || !strings.HasSuffix(err.Error(), "vision: no camera: none found") {
		t.Fatalf("camera on without a camera: %v", err)
	}
	v2 := newCallVideo(s, log)
	patternCameras(v2, nil, &opened)
	startVideoCall(t, v2, false)
	st = status()
	v2.fill(&st)
	if strings.Contains(st.SoundProblem, "camera") {
		t.Fatalf("an audio call speaks of cameras: %q", st.SoundProblem)
	}
}

// bubbleVideo is the app's video with one test-pattern camera and no
// sound devices (so that a synctest bubble holds every goroutine); opened
// records the cameras opened.
func bubbleVideo() (*callVideo, *[]string) {
	log := slog.New(slog.DiscardHandler)
	s := newCallSound("", audio.BackendNull, log)
	s.opened, s.sysErr = true, errors.New("no sound card")
	v := newCallVideo(s, log)
	opened := new([]string)
	patternCameras(v, []string{"/dev/video0"}, opened)
	return v, opened
}

// TestCameraOnOff: in a video call the camera sends; off, it stops and
// the member's tile shows no video; on again, it sends again.
func TestCameraOnOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, opened := bubbleVideo()
		startVideoCall(t, v, true)
		<-time.After(time.Second)
		p := v.current()
		if p.Sent() < 10 {
			t.Fatalf("%d frames sent in 1 s at 15 fps", p.Sent())
		}
		st := status()
		v.fill(&st)
		if !st.Participants[0].Video || st.SoundProblem != "" {
			t.Fatalf("status with the camera on: %+v", st)
		}
		if err := (appBackend{video: v}).SetCallVideo(t.Context(), [32]byte{}, [32]byte{}, false); err != nil {
			t.Fatal(err)
		}
		if p.Sent() != 0 {
			t.Fatal("the camera still sends once off")
		}
		st = status()
		v.fill(&st)
		if st.Participants[0].Video || st.SoundProblem != "" {
			t.Fatalf("status with the camera off: %+v", st)
		}
		if err := v.setCamera(true); err != nil {
			t.Fatal(err)
		}
		<-time.After(time.Second)
		if p.Sent() < 10 || len(*opened) != 2 {
			t.Fatalf("camera on again: %d frames, opened %v", p.Sent(), *opened)
		}
		dst := image.NewRGBA(image.Rect(0, 0, 8, 8))
		if _, ok := v.picture("nobody", dst, 0); ok {
			t.Fatal("drew a picture of nobody")
		}
	})
}

// TestLayerEncoders: the app's lower simulcast layer is a VP8 encoder of
// the layer's size and bitrate, as vision plans it for the camera.
func TestLayerEncoders(t *testing.T) {
	plan := vision.PlanLayers(cameraRequest.Width, cameraRequest.Height, videoLayers)
	if len(plan) != 2 || plan[0].Width != 320 || plan[0].Height != 180 {
		t.Fatalf("layers %v, want 320x180 under the camera's 640x360", plan)
	}
	enc, err := newLayerEncoder(plan[0])
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	v := enc.(*vpx.Encoder)
	if c := v.Config(); c.Width != 320 || c.Height != 180 || v.Bitrate() != plan[0].Bitrate {
		t.Fatalf("encoder %dx%d at %d bit/s, want the plan's %v", c.Width, c.Height, v.Bitrate(), plan[0])
	}
	frame, key, err := enc.Encode(image.NewYCbCr(image.Rect(0, 0, 320, 180), image.YCbCrSubsampleRatio420), true)
	if err != nil || !key || len(frame) == 0 {
		t.Fatalf("encode: %d bytes, key %t, %v", len(frame), key, err)
	}
}

// TestCameraInVoiceCall: in a voice call the camera starts off; the
// member turns it on (as WhatsApp allows) and it sends through the
// call's media like a video call's, then off again and it stops.
func TestCameraInVoiceCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, opened := bubbleVideo()
		m, err := media.ForCalls(media.CallOptions{Local: v.local})(call.MediaConfig{Self: "me", Signal: func(string, []byte) {}})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		if err := m.SetSendKey(1, make([]byte, 16)); err != nil {
			t.Fatal(err)
		}
		p := v.current()
		<-time.After(time.Second)
		st := status()
		v.fill(&st)
		if p.Sent() != 0 || len(*opened) != 0 || st.Participants[0].Video || st.SoundProblem != "" {
			t.Fatalf("a voice call's camera before it is turned on: %d frames, opened %v, status %+v", p.Sent(), *opened, st)
		}
		b := appBackend{video: v}
		if err := b.SetCallVideo(t.Context(), [32]byte{}, [32]byte{}, true); err != nil {
			t.Fatalf("Turn on camera in a voice call: %v", err)
		}
		<-time.After(time.Second)
		st = status()
		v.fill(&st)
		if p.Sent() < 10 || !st.Participants[0].Video {
			t.Fatalf("the camera turned on in a voice call sent %d frames in 1 s at 15 fps (status %+v)", p.Sent(), st)
		}
		self := image.NewRGBA(image.Rect(0, 0, 64, 36))
		if n, ok := b.CallSelfPicture(self, 0); !ok || n < 10 || self.RGBAAt(2, 18) == (color.RGBA{A: 255}) {
			t.Fatalf("the member's own tile got picture %d (drawn %t, left edge %v)", n, ok, self.RGBAAt(2, 18))
		}
		if err := b.SetCallVideo(t.Context(), [32]byte{}, [32]byte{}, false); err != nil {
			t.Fatal(err)
		}
		if p.Sent() != 0 {
			t.Fatal("the camera still sends once off")
		}
		if _, ok := b.CallSelfPicture(self, 0); ok {
			t.Fatal("the member's own tile still gets pictures once the camera is off")
		}
	})
}
