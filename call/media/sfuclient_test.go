package media

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"

	"github.com/umbrella-p2p/umbrella/call"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// sfuCall is a call through an SFU on one pion vnet LAN: call/sfu's Host
// at 10.0.0.1 and callSessions in SFU mode, their media messages carried
// by an in-test bus (package call carries them in a call).
type sfuCall struct {
	t    *testing.T
	wan  *vnet.Router
	host *sfu.Host
	ids  []string

	mu       sync.Mutex
	sessions map[string]*callSession
	hostName string // the host's name in signals: "sfuhost" unless a test renames it
	lost     map[string]int
	sigErrs  []error
	wg       sync.WaitGroup
}

func vnetSettings(t *testing.T, wan *vnet.Router, ip string) webrtc.SettingEngine {
	t.Helper()
	return vnetSettingsBehind(t, wan, ip, nil)
}

// vnetSettingsBehind is vnetSettings for a participant whose downlink
// goes through q (nil: none).
func vnetSettingsBehind(t *testing.T, wan *vnet.Router, ip string, q *vnet.TBFQueue) webrtc.SettingEngine {
	t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		t.Fatal(err)
	}
	var nic vnet.NIC = nw
	if q != nil {
		link, err := vnet.NewQueue(nw, q)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = link.Close() })
		nic = link
	}
	if err := wan.AddNet(nic); err != nil {
		t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 500*time.Millisecond)
	return se
}

func newSFUCall(t *testing.T, n int) *sfuCall { t.Helper(); return newSFUCallOf(t, n, true, nil) }

// newSFUCallOf is newSFUCall with synthetic sources or none (the test
// then sends through Send as a program's Local does), and sink(id), if
// set, as each participant's Sink.
func newSFUCallOf(t *testing.T, n int, synthetic bool, sink func(id string) Sink) *sfuCall {
	t.Helper()
	return newSFUCallWith(t, n, synthetic, sink, nil, nil)
}

// newSFUCallWith is newSFUCallOf with, if set, edit changing each
// participant's Config, and net giving the host's and each participant's
// setting engine (nil: vnetSettings).
func newSFUCallWith(t *testing.T, n int, synthetic bool, sink func(id string) Sink, edit func(*Config), net func(wan *vnet.Router, ip string) webrtc.SettingEngine) *sfuCall {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "10.0.0.0/24", MinDelay: 10 * time.Millisecond,
		LoggerFactory: logging.NewDefaultLoggerFactory()})
	if err != nil {
		t.Fatal(err)
	}
	c := &sfuCall{t: t, wan: wan, sessions: map[string]*callSession{}, hostName: "sfuhost", lost: map[string]int{}}
	if net == nil {
		net = func(wan *vnet.Router, ip string) webrtc.SettingEngine { return vnetSettings(t, wan, ip) }
	}
	hostAPI, bwe, err := sfu.NewAPIWithBWE(net(wan, "10.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.host, err = sfu.NewHost(sfu.Config{API: hostAPI, BWE: bwe}); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		id := fmt.Sprintf("peer%02d", i)
		c.ids = append(c.ids, id)
		se := net(wan, fmt.Sprintf("10.0.0.%d", 10+i))
		api, bwe, err := sfu.NewAPIWithBWE(se)
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Self: id, Video: true, Synthetic: synthetic, API: webrtc.NewAPI(webrtc.WithSettingEngine(se)),
			Signal: func(to string, blob []byte) { c.signal(id, to, blob) },
			Layers: func(blob []byte) error { return c.host.Layers(id, blob) }}
		if sink != nil {
			cfg.Sink = sink(id)
		}
		if edit != nil {
			edit(&cfg)
		}
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.sessions[id] = newCallSession(s, api, bwe, func(host string) {
			c.mu.Lock()
			c.lost[id]++
			c.mu.Unlock()
		}, nil)
	}
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	for i, id := range c.ids {
		s := c.sessions[id]
		if err := s.SetSendKey(1, key(byte(i+1))); err != nil {
			t.Fatal(err)
		}
		for j, other := range c.ids {
			if other != id {
				if err := s.SetRecvKey(other, 1, key(byte(j+1))); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return c
}

// signal carries a participant's offer to the host and the answer back,
// as package call does (an answer in the reply).
func (c *sfuCall) signal(from, to string, blob []byte) {
	c.mu.Lock()
	name := c.hostName
	c.mu.Unlock()
	if to != name {
		c.fail(fmt.Errorf("%s signals %s, not the host", from, to))
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.mu.Lock()
		h := c.host // a test may replace it (a failover)
		c.mu.Unlock()
		answer, err := h.Offer(from, blob)
		if err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		s := c.sessions[from]
		c.mu.Unlock()
		if err := s.HandleSignal(to, answer); err != nil {
			c.fail(err)
		}
	}()
}

// toHost moves every participant's media to the SFU host.
func (c *sfuCall) toHost(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	name := c.hostName
	c.mu.Unlock()
	for _, id := range c.ids {
		if err := c.sessions[id].SetHost(name); err != nil {
			t.Fatal(err)
		}
	}
}

func (c *sfuCall) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sigErrs = append(c.sigErrs, err)
}

func (c *sfuCall) close() {
	for _, s := range c.sessions {
		if err := s.Close(); err != nil {
			c.t.Error(err)
		}
	}
	if err := c.host.Close(); err != nil {
		c.t.Error(err)
	}
	c.wg.Wait()
	if err := c.wan.Stop(); err != nil {
		c.t.Error(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, err := range c.sigErrs {
		c.t.Errorf("signal: %v", err)
	}
}

// sfuDecrypted is how many frames of kind k s decrypted from peer through
// the SFU.
func sfuDecrypted(s *callSession, peer string, k Kind) uint64 {
	cl, _ := s.current()
	if cl == nil {
		return 0
	}
	cl.mu.Lock()
	p := cl.senders[peer]
	cl.mu.Unlock()
	if p == nil {
		return 0
	}
	p.stats.mu.Lock()
	defer p.stats.mu.Unlock()
	return p.stats.decrypted[k]
}

// shown returns whose video participant i of ids receives through the
// SFU: the SFUVideoSlots participants after it in sorted order.
func shown(ids []string, i int) map[string]bool {
	video := map[string]bool{}
	for d := 1; d < len(ids) && len(video) < SFUVideoSlots; d++ {
		video[ids[(i+d)%len(ids)]] = true
	}
	return video
}

// TestTwelveThroughAnSFU: twelve participants in SFU mode, each with one
// connection to the host, publishing synthetic audio and video once. Each
// decrypts, with each sender's own keys, the audio of the three loudest
// others (the same four loudest for everyone) and the video of the four
// tiles the host shows it — what the top-3 and last-N rules promise — and
// nothing of anyone else; every participant's video reaches four others;
// stats are per sender.
func TestTwelveThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCall(t, 12)
		defer c.close()
		for _, id := range c.ids {
			if err := c.sessions[id].SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
		}
		audioFrom := func() map[[2]string]uint64 {
			out := map[[2]string]uint64{}
			for _, id := range c.ids {
				for _, other := range c.ids {
					out[[2]string{id, other}] = sfuDecrypted(c.sessions[id], other, Audio)
				}
			}
			return out
		}
		waitFor(t, 30*time.Second, "everyone decrypts 3 others' audio and its 4 tiles' video", func() bool {
			for i, id := range c.ids {
				heard := 0
				for _, other := range c.ids {
					if sfuDecrypted(c.sessions[id], other, Audio) >= 50 {
						heard++
					}
				}
				if heard < sfu.MaxAudioSlots {
					return false
				}
				for j := range shown(c.ids, i) {
					if sfuDecrypted(c.sessions[id], j, Video) < 20 {
						return false
					}
				}
			}
			return true
		})
		// Everyone speaks at the same level: once the smoothed levels
		// settle, the same four are the loudest for everyone, and each
		// participant hears the three of them other than itself.
		<-time.After(2 * time.Second)
		before := audioFrom()
		<-time.After(2 * time.Second)
		after := audioFrom()
		top := map[string]bool{}
		for _, id := range c.ids {
			var heard []string
			for _, other := range c.ids {
				switch d := after[[2]string{id, other}] - before[[2]string{id, other}]; {
				case d >= 80:
					heard = append(heard, other)
					top[other] = true
				case d > 0:
					t.Errorf("%s decrypted only %d audio frames of %s in 2 s: a speaker changed", id, d, other)
				}
			}
			if len(heard) != sfu.MaxAudioSlots {
				t.Errorf("%s heard %v, want %d speakers", id, heard, sfu.MaxAudioSlots)
			}
		}
		if len(top) != sfu.MaxAudioSlots+1 {
			t.Errorf("the loudest are %v, want %d of them for everyone", top, sfu.MaxAudioSlots+1)
		}
		seen := map[string]int{}
		for i, id := range c.ids {
			video := shown(c.ids, i)
			for _, other := range c.ids {
				v := sfuDecrypted(c.sessions[id], other, Video)
				if !video[other] && v > 0 {
					t.Errorf("%s decrypted %d video frames of %s, not shown to it", id, v, other)
				}
				if v > 0 {
					seen[other]++
				}
			}
			for _, st := range c.sessions[id].Stats() {
				if st.DecryptFailures != 0 {
					t.Errorf("%s from %s: %d decrypt failures", id, st.Peer, st.DecryptFailures)
				}
				if st.LatencyP50 < 10*time.Millisecond || st.LatencyP99 > time.Second {
					t.Errorf("%s from %s: latency p50 %v p99 %v", id, st.Peer, st.LatencyP50, st.LatencyP99)
				}
			}
		}
		for _, id := range c.ids {
			if seen[id] != SFUVideoSlots {
				t.Errorf("%s's video reached %d participants, want %d", id, seen[id], SFUVideoSlots)
			}
		}
		c.mu.Lock()
		if len(c.lost) != 0 {
			t.Errorf("a host reported lost while it ran: %v", c.lost)
		}
		c.mu.Unlock()
	})
}

// TestDroppedParticipantIsNotForwarded: the host drops a participant (as
// package call does for a member removed from the community): nothing of
// its reaches the others from then on, and it receives nothing more.
func TestDroppedParticipantIsNotForwarded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCall(t, 3)
		defer c.close()
		for _, id := range c.ids {
			if err := c.sessions[id].SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
		}
		a, b, gone := c.sessions["peer00"], c.sessions["peer01"], c.sessions["peer02"]
		waitFor(t, 20*time.Second, "everyone hears everyone", func() bool {
			return sfuDecrypted(a, "peer02", Audio) >= 50 && sfuDecrypted(b, "peer02", Audio) >= 50 &&
				sfuDecrypted(gone, "peer00", Audio) >= 50 && sfuDecrypted(a, "peer01", Audio) >= 50
		})
		c.host.Drop("peer02")
		if slices.Contains(c.host.Participants(), "peer02") {
			t.Fatal("the host still lists peer02")
		}
		<-time.After(time.Second) // what was in flight arrives
		fromGoneA, fromGoneB, toGone := sfuDecrypted(a, "peer02", Audio), sfuDecrypted(b, "peer02", Audio), sfuDecrypted(gone, "peer00", Audio)
		ab := sfuDecrypted(b, "peer00", Audio)
		<-time.After(3 * time.Second)
		if got := sfuDecrypted(a, "peer02", Audio); got != fromGoneA {
			t.Errorf("peer00 decrypted %d more frames of the dropped peer02", got-fromGoneA)
		}
		if got := sfuDecrypted(b, "peer02", Audio); got != fromGoneB {
			t.Errorf("peer01 decrypted %d more frames of the dropped peer02", got-fromGoneB)
		}
		if got := sfuDecrypted(gone, "peer00", Audio); got != toGone {
			t.Errorf("the dropped peer02 decrypted %d more frames of peer00", got-toGone)
		}
		if got := sfuDecrypted(b, "peer00", Audio); got < ab+100 {
			t.Errorf("peer01 stopped hearing peer00: %d → %d", ab, got)
		}
		c.mu.Lock()
		if c.lost["peer02"] != 1 {
			t.Errorf("the dropped participant reported its host lost %d times, want once", c.lost["peer02"])
		}
		delete(c.lost, "peer02")
		if len(c.lost) != 0 {
			t.Errorf("others reported the host lost: %v", c.lost)
		}
		c.mu.Unlock()
	})
}

// TestHostForgetsAVanishedParticipant: a participant whose network goes
// away without a word (a crash) is dropped by the SFU once its connection
// fails, so a host with nobody left is seen as idle (a relay then frees
// the call); the others' media goes on.
func TestHostForgetsAVanishedParticipant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCall(t, 3)
		defer c.close()
		for _, id := range c.ids {
			if err := c.sessions[id].SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 20*time.Second, "all three connected", func() bool { return len(c.host.Participants()) == 3 })
		c.wan.AddChunkFilter(func(ch vnet.Chunk) bool { // peer02 at 10.0.0.12 vanishes
			return !strings.HasPrefix(ch.SourceAddr().String(), "10.0.0.12:") && !strings.HasPrefix(ch.DestinationAddr().String(), "10.0.0.12:")
		})
		waitFor(t, 30*time.Second, "the SFU to drop the vanished peer02", func() bool {
			return slices.Equal(c.host.Participants(), []string{"peer00", "peer01"})
		})
		before := sfuDecrypted(c.sessions["peer01"], "peer00", Audio)
		<-time.After(2 * time.Second)
		if got := sfuDecrypted(c.sessions["peer01"], "peer00", Audio); got < before+50 {
			t.Fatalf("peer01 stopped hearing peer00: %d → %d", before, got)
		}
		c.mu.Lock()
		delete(c.lost, "peer02") // its own host is gone from where it stands
		c.mu.Unlock()
	})
}

// frameSink records, per sender, the first bytes of the last frame of
// each kind it got, and the key-frame requests.
type frameSink struct {
	mu       sync.Mutex
	last     map[string][]byte // by sender and kind: "peer00/audio"
	keyAsked int
}

func (f *frameSink) Frame(from string, fr Frame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last[from+"/"+fr.Kind.String()] = append([]byte(nil), fr.Data[:min(len(fr.Data), 16)]...)
}

func (f *frameSink) KeyFrameRequest(string) {
	f.mu.Lock()
	f.keyAsked++
	f.mu.Unlock()
}

func (f *frameSink) lastOf(from string, k Kind) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.last[from+"/"+k.String()]
}

// localFrames sends, as a program's Local does, an Opus-like audio frame
// every 20 ms at level and a VP8-like video frame every 1/15 s (a key
// frame every 15th) through s until stop closes; each frame's bytes after
// its codec header name the sender.
func localFrames(s *callSession, self string, level uint8, stop <-chan struct{}, done func()) {
	defer done()
	audio := time.NewTicker(AudioFrameInterval)
	video := time.NewTicker(VideoFrameInterval)
	defer audio.Stop()
	defer video.Stop()
	var n int
	for {
		select {
		case <-stop:
			return
		case <-audio.C:
			_ = s.Send(Frame{Kind: Audio, Data: append([]byte{0xf8}, self+"-speaks"...), Level: level})
		case <-video.C:
			f := Frame{Kind: Video, Data: append([]byte{0x31, 0x02, 0x00}, self+"-shows"...)}
			if n%15 == 0 {
				f = Frame{Kind: Video, KeyFrame: true, Data: append([]byte{0x30, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, self+"-shows"...)}
			}
			n++
			_ = s.Send(f)
		}
	}
}

// TestLocalFramesThroughAnSFU: participants whose frames come from the
// program (Send, as call/voice and the app's video do), not from a
// synthetic source, are heard and seen through an SFU host: the three
// loudest by the level each frame carries are what every other
// participant hears, their frames arrive intact, the quiet ones are not
// forwarded to those who hear three louder, and everyone's video reaches
// the tiles the host shows.
func TestLocalFramesThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks := map[string]*frameSink{}
		c := newSFUCallOf(t, 6, false, func(id string) Sink {
			sinks[id] = &frameSink{last: map[string][]byte{}}
			return sinks[id]
		})
		defer c.close()
		stop := make(chan struct{})
		var senders sync.WaitGroup
		defer senders.Wait()
		defer close(stop)
		loud := map[string]bool{"peer03": true, "peer04": true, "peer05": true}
		for _, id := range c.ids {
			if err := c.sessions[id].SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
			level := uint8(90) // quiet
			if loud[id] {
				level = 10
			}
			senders.Add(1)
			go localFrames(c.sessions[id], id, level, stop, senders.Done)
		}
		waitFor(t, 30*time.Second, "everyone hears the loud and sees its tiles", func() bool {
			for i, id := range c.ids {
				for other := range loud {
					if other != id && sfuDecrypted(c.sessions[id], other, Audio) < 50 {
						return false
					}
				}
				for j := range shown(c.ids, i) {
					if sfuDecrypted(c.sessions[id], j, Video) < 20 {
						return false
					}
				}
			}
			return true
		})
		<-time.After(2 * time.Second) // the smoothed levels settle
		before := map[[2]string]uint64{}
		for _, id := range c.ids {
			for _, other := range c.ids {
				before[[2]string{id, other}] = sfuDecrypted(c.sessions[id], other, Audio)
			}
		}
		<-time.After(2 * time.Second)
		for _, id := range c.ids {
			for _, other := range c.ids {
				if other == id {
					continue
				}
				d := sfuDecrypted(c.sessions[id], other, Audio) - before[[2]string{id, other}]
				switch {
				case loud[other] && d < 80:
					t.Errorf("%s decrypted %d audio frames of the loud %s in 2 s", id, d, other)
				case !loud[other] && !loud[id] && d != 0:
					t.Errorf("%s decrypted %d audio frames of the quiet %s while three are louder", id, d, other)
				}
			}
			for other := range loud {
				if want := other + "-speaks"; other != id && string(sinks[id].lastOf(other, Audio)[1:]) != want {
					t.Errorf("%s got audio %q from %s, want %q after the TOC", id, sinks[id].lastOf(other, Audio), other, want)
				}
			}
		}
		for i, id := range c.ids {
			for other := range shown(c.ids, i) {
				if got := sinks[id].lastOf(other, Video); !strings.Contains(string(got), other) {
					t.Errorf("%s got video %q from %s", id, got, other)
				}
			}
		}
	})
}

// keySink records when key frames of each sender's video arrive.
type keySink struct {
	mu   sync.Mutex
	keys map[string][]time.Time
}

func (k *keySink) Frame(from string, f Frame) {
	if f.Kind != Video || !f.KeyFrame {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[from] = append(k.keys[from], time.Now())
}

func (k *keySink) KeyFrameRequest(string) {}

func (k *keySink) of(from string) []time.Time {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.keys[from])
}

// TestKeyFrameRequestThroughAnSFU: a participant whose decoder lost a
// frame of another's video, just after that sender's periodic key frame,
// asks for a key frame through the SFU and has one within 300 ms, where
// the periodic one would come only 2 s later.
func TestKeyFrameRequestThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		sinks := map[string]*keySink{}
		c := newSFUCallOf(t, 3, true, func(id string) Sink {
			sinks[id] = &keySink{keys: map[string][]time.Time{}}
			return sinks[id]
		})
		defer c.close()
		c.toHost(t)
		rx, tx := c.ids[0], c.ids[1]
		waitFor(t, 30*time.Second, "two periodic key frames arrive", func() bool { return len(sinks[rx].of(tx)) >= 2 })
		n := len(sinks[rx].of(tx))
		waitFor(t, 3*time.Second, "the next periodic key frame", func() bool { return len(sinks[rx].of(tx)) > n })
		lost := time.Now()
		if err := c.sessions[rx].RequestKeyFrame(tx); err != nil {
			t.Fatalf("key frame request through the SFU: %v", err)
		}
		n = len(sinks[rx].of(tx))
		waitFor(t, 2*time.Second, "a key frame after the request", func() bool { return len(sinks[rx].of(tx)) > n })
		if d := sinks[rx].of(tx)[n].Sub(lost); d > 300*time.Millisecond {
			t.Errorf("the key frame came %v after the request, want within 300 ms (the periodic one comes every %v)", d, VideoKeyFrameEvery*VideoFrameInterval)
		} else {
			t.Logf("key frame %v after the request", d)
		}
		if err := c.sessions[rx].RequestKeyFrame("peer99"); err == nil {
			t.Error("a key frame request for a sender not received succeeded")
		}
	})
}

// TestShownTilesThroughAnSFU: a participant that says which tiles it
// shows receives the video of those and of no one else, from then on and
// again from a new host; one that shows none receives no video, while
// the others keep the host's default tiles.
func TestShownTilesThroughAnSFU(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCall(t, 4)
		defer c.close()
		rx := c.sessions["peer00"]
		if err := rx.ShowLayers(map[string]sfu.Layer{"peer02": sfu.LayerLow}); err != nil {
			t.Fatal(err)
		}
		if err := c.sessions["peer01"].ShowLayers(map[string]sfu.Layer{}); err != nil {
			t.Fatal(err)
		}
		for _, id := range c.ids {
			if err := c.sessions[id].SetHost("sfuhost"); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, 30*time.Second, "peer00 sees peer02, peer02 sees its default tiles", func() bool {
			return sfuDecrypted(rx, "peer02", Video) >= 30 && sfuDecrypted(c.sessions["peer02"], "peer01", Video) >= 30
		})
		for _, other := range []string{"peer01", "peer03"} {
			if n := sfuDecrypted(rx, other, Video); n != 0 {
				t.Errorf("peer00 decrypted %d video frames of %s, which it does not show", n, other)
			}
		}
		for _, other := range []string{"peer00", "peer02", "peer03"} {
			if n := sfuDecrypted(c.sessions["peer01"], other, Video); n != 0 {
				t.Errorf("peer01, which shows no tile, decrypted %d video frames of %s", n, other)
			}
		}
		if err := rx.ShowLayers(map[string]sfu.Layer{"peer03": sfu.LayerHigh}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "peer00 sees peer03 once it shows it", func() bool { return sfuDecrypted(rx, "peer03", Video) >= 15 })
		before := sfuDecrypted(rx, "peer02", Video)
		<-time.After(time.Second)
		if d := sfuDecrypted(rx, "peer02", Video) - before; d > 1 {
			t.Errorf("peer00 decrypted %d more frames of peer02 after it hid it", d)
		}
		if err := rx.ShowLayers(map[string]sfu.Layer{"": sfu.LayerLow}); err == nil {
			t.Error("a layer request naming no one was taken")
		}
		if err := rx.ShowLayers(map[string]sfu.Layer{"peer02": sfu.MaxLayers}); err == nil {
			t.Error("a layer request for a layer that does not exist was taken")
		}
	})
}

// TestLayerRequestFitsTheSignalling: the largest layer request the SFU
// takes fits in a call's TypeLayers message.
func TestLayerRequestFitsTheSignalling(t *testing.T) {
	if sfu.MaxLayerRequestSize > call.MaxLayersBlob {
		t.Fatalf("a layer request may take %d bytes, the signalling carries %d", sfu.MaxLayerRequestSize, call.MaxLayersBlob)
	}
}

// TestShownTilesPreferVideo: a participant that names more tiles than it
// has video slots receives those whose senders send video before those
// whose senders send none (cameras off).
func TestShownTilesPreferVideo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newSFUCallWith(t, 6, true, nil, func(cfg *Config) {
			cfg.Video = cfg.Self != "peer01" && cfg.Self != "peer02"
		}, nil)
		defer c.close()
		rx := c.sessions["peer00"]
		all := map[string]sfu.Layer{}
		for _, id := range c.ids[1:] {
			all[id] = sfu.LayerLow
		}
		if err := rx.ShowLayers(all); err != nil {
			t.Fatal(err)
		}
		c.toHost(t)
		waitFor(t, 30*time.Second, "peer00 sees the 3 who send video, in its 4 slots", func() bool {
			for _, id := range []string{"peer03", "peer04", "peer05"} {
				if sfuDecrypted(rx, id, Video) < 15 {
					return false
				}
			}
			return true
		})
	})
}
