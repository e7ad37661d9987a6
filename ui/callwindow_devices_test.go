package ui

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// deviceFake is the fake with calls and sound devices, as the desktop
// app has: two microphones, one speaker, and a choice it keeps.
type deviceFake struct {
	callFake
	d *devices
}

type devices struct {
	mu      sync.Mutex
	list    api.CallDevices
	set     [][2]string // every SetCallDevices (microphone, speaker)
	problem string      // the sound problem CallStatus reports
}

var _ callDevices = deviceFake{}

func (f deviceFake) CallDevices() (api.CallDevices, error) {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	return f.d.list, nil
}

func (f deviceFake) SetCallDevices(_ context.Context, mic, spk string) error {
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	f.d.set = append(f.d.set, [2]string{mic, spk})
	f.d.list.Microphone, f.d.list.Speaker = mic, spk
	return nil
}

func (f deviceFake) CallStatus(cid, id crdt.ID) (api.CallStatus, error) {
	st, err := f.callFake.CallStatus(cid, id)
	f.d.mu.Lock()
	defer f.d.mu.Unlock()
	st.SoundProblem = f.d.problem
	return st, err
}

func newDeviceHarness(t *testing.T, d *devices) *harness {
	test.NewTempApp(t)
	f := newFake()
	h := newBackendHarness(t, deviceFake{callFake{f}, d})
	h.f = f
	h.a.now = func() time.Time {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.clock
	}
	h.a.calls.frames = false
	h.a.start()
	return h
}

// TestCallDevicePickers: the call window lists the microphones and
// speakers, shows the member's earlier choice, and a new choice goes to
// the backend; a call without a microphone says the member only listens.
func TestCallDevicePickers(t *testing.T) {
	d := &devices{list: api.CallDevices{
		Microphones: []api.AudioDevice{{ID: "mic-1", Name: "Built-in Microphone", Default: true}, {ID: "mic-2", Name: "USB Headset"}, {ID: "mic-3", Name: "USB Headset"}},
		Speakers:    []api.AudioDevice{{ID: "spk-1", Name: "Speakers"}},
		Microphone:  "mic-2", // chosen in an earlier call
	}}
	h := newDeviceHarness(t, d)
	c := h.community("Glow Team", "member", 12, "General")
	h.f.ringCall(c.ID, h.a.group, "Ben", false, "Chloe")
	h.drain()
	test.Tap(h.a.calls.bannerJoin)
	h.drain()
	w := h.a.calls.window
	if w == nil || !w.devRow.Visible() {
		t.Fatal("no device pickers in the call window")
	}
	if want := []string{systemDefault, "Built-in Microphone", "USB Headset", "USB Headset (2)"}; !slices.Equal(w.micSel.Options, want) {
		t.Fatalf("microphones %q, want %q", w.micSel.Options, want)
	}
	if w.micSel.Selected != "USB Headset" || w.spkSel.Selected != systemDefault {
		t.Fatalf("chosen %q and %q, want the earlier choice and the default", w.micSel.Selected, w.spkSel.Selected)
	}
	if len(d.set) != 0 {
		t.Fatalf("showing the choice changed it: %v", d.set)
	}
	if w.soundNote.Visible() {
		t.Fatal("a sound problem shows with none")
	}
	w.micSel.SetSelected("USB Headset (2)")
	w.spkSel.SetSelected("Speakers")
	h.drain()
	if want := [][2]string{{"mic-3", ""}, {"mic-3", "spk-1"}}; !slices.Equal(d.set, want) {
		t.Fatalf("choices sent %v, want %v", d.set, want)
	}
	// The microphone is gone: the member listens only, and is told so.
	d.mu.Lock()
	d.problem = "No microphone: you can listen, but the others cannot hear you."
	d.mu.Unlock()
	w.reload()
	if !w.soundNote.Visible() || w.soundNote.Text != "⚠ "+d.problem {
		t.Fatalf("sound note %v %q", w.soundNote.Visible(), w.soundNote.Text)
	}
	// Without devices in the backend, no pickers.
	p, pc, pgid := callHarness(t, "member")
	p.f.ringCall(pc.ID, pgid, "Ben", false)
	p.drain()
	test.Tap(p.a.calls.bannerJoin)
	p.drain()
	if p.a.calls.window.devRow.Visible() {
		t.Fatal("device pickers with a backend that has no devices")
	}
}

// TestGoldenCallDevices: the call window of a member with no microphone:
// the note over the tiles and the device pickers under the controls.
func TestGoldenCallDevices(t *testing.T) {
	for _, variant := range []struct {
		name string
		v    fyne.ThemeVariant
	}{{"light", theme.VariantLight}, {"dark", theme.VariantDark}} {
		t.Run(variant.name, func(t *testing.T) {
			d := &devices{list: api.CallDevices{
				Microphones: []api.AudioDevice{{ID: "mic-1", Name: "Built-in Microphone", Default: true}},
				Speakers:    []api.AudioDevice{{ID: "spk-1", Name: "Speakers", Default: true}, {ID: "spk-2", Name: "USB Headset"}},
				Speaker:     "spk-2",
			}, problem: "No microphone: you can listen, but the others cannot hear you."}
			h := newDeviceHarness(t, d)
			c := h.community("Glow Team", "member", 12, "General")
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			id := h.f.ringCall(c.ID, h.a.group, "Ben", false, "Chloe")
			h.drain()
			h.f.setSpeaking(id, "Chloe")
			test.Tap(h.a.calls.bannerJoin)
			w := h.a.calls.window
			w.frame(time.Unix(0, 0))
			fyne.CurrentApp().Settings().SetTheme(fixedTheme(variant.v))
			img := w.win.Canvas().Capture()
			name := "calldevices_" + variant.name + ".png"
			test.AssertImageMatches(t, name, img)
			writeScreenshot(t, name, img)
		})
	}
}
