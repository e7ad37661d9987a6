package media

import (
	"maps"
	"testing"
	"testing/synctest"
	"time"

	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// TestSyntheticLayerFrames: synthetic key frames state their layer's
// picture size in the clear VP8 header, as an encoder's do, and keep
// their layer's sizes and stamp; the mesh's video is the top layer.
func TestSyntheticLayerFrames(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	for _, l := range SyntheticLayers {
		for _, n := range []uint64{0, 1, VideoKeyFrameEvery} {
			clear, plain := syntheticLayerFrame(Video, l, n, now)
			frame := append(clear, plain...)
			key := n%VideoKeyFrameEvery == 0
			want := l.FrameSize
			if key {
				want = l.KeyFrameSize
			}
			if len(frame) != want || isKeyFrame(frame) != key {
				t.Errorf("%dx%d frame %d: %d bytes, key %t", l.Width, l.Height, n, len(frame), isKeyFrame(frame))
			}
			w, h, ok := keyFrameSize(frame)
			if ok != key || key && (w != l.Width || h != l.Height) {
				t.Errorf("%dx%d frame %d: header says %dx%d (%t)", l.Width, l.Height, n, w, h, ok)
			}
			if st, ok := parseStamp(plain); !ok || st.number != n || !st.sent.Equal(now) {
				t.Errorf("%dx%d frame %d: stamp %+v %t", l.Width, l.Height, n, st, ok)
			}
		}
	}
	clear, _ := syntheticFrame(Video, 0, now)
	if w, h, _ := keyFrameSize(clear); w != 640 || h != 360 {
		t.Errorf("the mesh's synthetic video is %dx%d, want 640x360", w, h)
	}
}

// TestSyntheticTiles: a synthetic participant shows the SFUVideoSlots
// participants after it in sorted order, wrapping round, the first large.
func TestSyntheticTiles(t *testing.T) {
	top := sfu.Layer(len(SyntheticLayers) - 1)
	for _, tc := range []struct {
		name   string
		self   string
		others []string
		want   map[string]sfu.Layer
	}{
		{"alone", "c", nil, map[string]sfu.Layer{}},
		{"one other", "c", []string{"a"}, map[string]sfu.Layer{"a": top}},
		{"wraps round", "e", []string{"f", "a", "b", "c", "d"}, map[string]sfu.Layer{"f": top, "a": 0, "b": 0, "c": 0}},
		{"more than the slots", "b", []string{"a", "c", "d", "e", "f", "g"}, map[string]sfu.Layer{"c": top, "d": 0, "e": 0, "f": 0}},
		{"self among the others", "b", []string{"b", "a"}, map[string]sfu.Layer{"a": top}},
	} {
		if got := syntheticTiles(tc.self, tc.others); !maps.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSyntheticSimulcastThroughAnSFU: five synthetic participants, each
// sending its video in the two layers of SyntheticLayers through the SFU
// and asking the host for the tiles the app's window would show. Each
// receives the participant after it at 640x360 (its large tile) and the
// three others at 320x180, as its stats say; once a participant leaves,
// the one before it asks for the next one large instead.
func TestSyntheticSimulcastThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCallWith(t, 5, true, nil, func(cfg *Config) { cfg.VideoLayers = len(SyntheticLayers) }, nil)
		defer c.close()
		c.toHost(t)
		layers := func(id string) map[string]string {
			got := map[string]string{}
			cl, _ := c.sessions[id].current()
			for _, st := range cl.stats() {
				if st.Layer != "" {
					got[st.Peer] = st.Layer
				}
			}
			return got
		}
		expect := func(ids []string) func() bool {
			return func() bool {
				for i, id := range ids {
					want := map[string]string{}
					for d := 1; d < len(ids) && d <= SFUVideoSlots; d++ {
						want[ids[(i+d)%len(ids)]] = "320x180"
						if d == 1 {
							want[ids[(i+d)%len(ids)]] = "640x360"
						}
					}
					if !maps.Equal(layers(id), want) {
						return false
					}
				}
				return true
			}
		}
		report := func() {
			for _, id := range c.ids {
				t.Logf("%s receives %v", id, layers(id))
			}
		}
		if n := c.sessions["peer00"].VideoLayers(); n != 2 {
			t.Fatalf("a synthetic participant sends %d layers through the SFU, want 2", n)
		}
		waitFor(t, 20*time.Second, "each receives the next participant at 640x360 and the others at 320x180", expect(c.ids))
		report()

		// peer01 leaves: the host drops it, the others disconnect it as
		// package call does, and peer00's large tile becomes peer02.
		c.host.Drop("peer01")
		for _, id := range c.ids {
			if id != "peer01" {
				c.sessions[id].Disconnect("peer01")
			}
		}
		if err := c.sessions["peer01"].Close(); err != nil {
			t.Fatal(err)
		}
		left := []string{"peer00", "peer02", "peer03", "peer04"}
		waitFor(t, 20*time.Second, "peer00 receives peer02 at 640x360 once peer01 left", expect(left))
	})
}
