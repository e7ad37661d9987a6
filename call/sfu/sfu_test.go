package sfu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/logging"
	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/srtp/v3"
	"github.com/pion/transport/v5/vnet"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"

	"github.com/umbrella-p2p/umbrella/call/sframe"
)

// The tests run a call on pion's vnet inside testing/synctest: an SFU at
// 10.0.0.1 and minimal pion participants that send SFrame-encrypted
// synthetic frames the way call/media does (clear codec header, then the
// SFrame ciphertext of a stamp naming the sender), with an RFC 6464 audio
// level on every audio packet, and that decrypt and count whatever the
// SFU forwards to them.

const suite = sframe.AES128CTRHMACSHA256_80

func baseKey(i int) []byte { return bytes.Repeat([]byte{byte(i + 1)}, 16) }

type call struct {
	t       *testing.T
	wan     *vnet.Router
	sfu     *SFU
	clients []*client
	tags    map[[4]byte]int // SourceTag → client index
	bwe     bool            // connections made with NewAPIWithBWE
}

func newCall(t *testing.T, n, videoSlots int) *call { return newCallOn(t, n, videoSlots, false) }

// newCallOn is newCall, whose SFU and participants make their
// connections with NewAPIWithBWE (as call/media's do) when bwe is set.
func newCallOn(t *testing.T, n, videoSlots int, bwe bool) *call {
	t.Helper()
	wan, err := vnet.NewRouter(&vnet.RouterConfig{
		CIDR: "10.0.0.0/24", MinDelay: 5 * time.Millisecond, LoggerFactory: logging.NewDefaultLoggerFactory(),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &call{t: t, wan: wan, tags: map[[4]byte]int{}, bwe: bwe}
	sfu, err := New(Config{API: c.api("10.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	c.sfu = sfu
	if err := wan.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		c.tags[SourceTag(peerName(i))] = i
	}
	for i := range n {
		c.clients = append(c.clients, c.join(i, videoSlots))
	}
	return c
}

func peerName(i int) string { return fmt.Sprintf("peer%02d", i) }

func (c *call) api(ip string) *webrtc.API {
	c.t.Helper()
	nw, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.wan.AddNet(nw); err != nil {
		c.t.Fatal(err)
	}
	se := webrtc.SettingEngine{}
	se.SetNet(nw)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetICETimeouts(5*time.Second, 10*time.Second, 500*time.Millisecond)
	if c.bwe {
		api, _, err := NewAPIWithBWE(se)
		if err != nil {
			c.t.Fatal(err)
		}
		return api
	}
	api, err := NewAPI(se)
	if err != nil {
		c.t.Fatal(err)
	}
	return api
}

func (c *call) close() {
	for _, cl := range c.clients {
		cl.close()
	}
	if err := c.sfu.Close(); err != nil {
		c.t.Error(err)
	}
	if err := c.wan.Stop(); err != nil {
		c.t.Error(err)
	}
}

// client is one participant: it publishes synthetic audio (at level, in
// −dBov: lower is louder) and video, and receives on 3 audio slots and
// videoSlots video slots.
type client struct {
	i     int
	id    string
	call  *call
	pc    *webrtc.PeerConnection
	level atomic.Int32
	sent  atomic.Uint64 // video frames sent
	stop  chan struct{}
	wg    sync.WaitGroup

	// audio counts the audio packets received; dressed those of them
	// whose RTP header, as it came on the wire, is not wireRTPHeader of
	// one the router forwards.
	audio, dressed atomic.Uint64

	mu       sync.Mutex
	recv     map[[2]int]*sframe.Receiver // by (sender, kind)
	got      map[[2]int]int              // frames decrypted, by (sender, kind)
	failures int
}

func (c *call) join(i, videoSlots int) *client {
	t := c.t
	t.Helper()
	cl := &client{i: i, id: peerName(i), call: c, stop: make(chan struct{}),
		recv: map[[2]int]*sframe.Receiver{}, got: map[[2]int]int{}}
	cl.level.Store(int32(10 + 5*i))
	pc, err := c.api(fmt.Sprintf("10.0.0.%d", 10+i)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	cl.pc = pc
	pc.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) { cl.onTrack(tr, r) })
	recvonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionRecvonly}
	for range MaxAudioSlots {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, recvonly); err != nil {
			t.Fatal(err)
		}
	}
	for range videoSlots {
		if _, err := pc.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, recvonly); err != nil {
			t.Fatal(err)
		}
	}
	audio, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", cl.id)
	if err != nil {
		t.Fatal(err)
	}
	video, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", cl.id)
	if err != nil {
		t.Fatal(err)
	}
	sendonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}
	var senders []*webrtc.RTPSender
	for _, tr := range []*webrtc.TrackLocalStaticRTP{audio, video} {
		x, err := pc.AddTransceiverFromTrack(tr, sendonly)
		if err != nil {
			t.Fatal(err)
		}
		senders = append(senders, x.Sender())
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	answer, err := c.sfu.Join(cl.id, pc.LocalDescription().SDP)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	var levelID uint8
	for _, ext := range senders[0].GetParameters().HeaderExtensions {
		if ext.URI == AudioLevelURI {
			levelID = uint8(ext.ID)
		}
	}
	if levelID == 0 {
		t.Fatal("audio level extension not negotiated")
	}
	snd, err := sframe.NewSender(suite, uint64(i), baseKey(i))
	if err != nil {
		t.Fatal(err)
	}
	var sndMu sync.Mutex // audio and video share the SFrame sender
	encrypt := func(kind Kind, n uint64, clear []byte, size int) []byte {
		plain := make([]byte, size)
		plain[0] = byte(kind)
		binary.BigEndian.PutUint64(plain[1:], uint64(i))
		binary.BigEndian.PutUint64(plain[9:], n)
		sndMu.Lock()
		defer sndMu.Unlock()
		frame, err := snd.Encrypt(append([]byte(nil), clear...), clear, plain)
		if err != nil {
			panic(err)
		}
		return frame
	}
	for _, s := range senders {
		cl.wg.Add(1)
		go func() { // read RTCP so that the interceptors run
			defer cl.wg.Done()
			buf := make([]byte, 1500)
			for {
				if _, _, err := s.Read(buf); err != nil {
					return
				}
			}
		}()
	}
	cl.wg.Add(2)
	go func() {
		defer cl.wg.Done()
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		seq := uint16(i * 1000)
		for n := uint64(0); ; n++ {
			select {
			case <-cl.stop:
				return
			case <-tick.C:
			}
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(n * 960), Marker: true},
				Payload: encrypt(Audio, n, []byte{0xf8}, 60)}
			seq++
			_ = pkt.Header.SetExtension(levelID, []byte{0x80 | byte(cl.level.Load())})
			_ = audio.WriteRTP(pkt)
		}
	}()
	go func() {
		defer cl.wg.Done()
		tick := time.NewTicker(time.Second / 15)
		defer tick.Stop()
		pz := rtp.NewPacketizer(1200, 0, 0, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
		for n := uint64(0); ; n++ {
			select {
			case <-cl.stop:
				return
			case <-tick.C:
			}
			var frame []byte
			if n%30 == 0 {
				frame = encrypt(Video, n, []byte{0x50, 0x0c, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, 3000)
			} else {
				frame = encrypt(Video, n, []byte{0x51, 0x0c, 0x00}, 800)
			}
			for _, pkt := range pz.Packetize(frame, 6000) {
				_ = video.WriteRTP(pkt)
			}
			cl.sent.Add(1)
		}
	}()
	return cl
}

// onTrack reassembles and decrypts what arrives on one slot.
func (cl *client) onTrack(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	kind := Audio
	if tr.Kind() == webrtc.RTPCodecTypeVideo {
		kind = Video
	}
	cl.wg.Add(1)
	go func() {
		defer cl.wg.Done()
		sb := samplebuilder.New(128, &codecs.VP8Packet{}, 90000)
		fromTS := map[uint32]int{} // a video frame's sender, by its timestamp on this slot
		for {
			pkt, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			tag, _ := Source(&pkt.Header)
			sender, ok := cl.call.tags[tag]
			if !ok {
				cl.fail()
				continue
			}
			if kind == Audio {
				cl.audio.Add(1)
				if pkt.Header.MarshalSize() != forwardedAudioHeader() {
					cl.dressed.Add(1)
				}
				cl.decrypt(sender, kind, pkt.Payload)
				continue
			}
			if len(fromTS) > 1000 {
				clear(fromTS)
			}
			fromTS[pkt.Timestamp] = sender
			sb.Push(pkt)
			for smp := sb.Pop(); smp != nil; smp = sb.Pop() {
				if from, ok := fromTS[smp.PacketTimestamp]; ok {
					delete(fromTS, smp.PacketTimestamp)
					cl.decrypt(from, kind, smp.Data)
				}
			}
		}
	}()
}

func (cl *client) fail() {
	cl.mu.Lock()
	cl.failures++
	cl.mu.Unlock()
}

// decrypt decrypts one frame from sender and checks its stamp.
func (cl *client) decrypt(sender int, kind Kind, frame []byte) {
	n := 1
	if kind == Video {
		n = 3
		if len(frame) > 0 && frame[0]&1 == 0 {
			n = 10
		}
	}
	cl.mu.Lock()
	defer cl.mu.Unlock()
	k := [2]int{sender, int(kind)}
	r := cl.recv[k]
	if r == nil {
		var err error
		if r, err = sframe.NewReceiver(suite); err != nil {
			panic(err)
		}
		if err := r.AddKey(uint64(sender), baseKey(sender)); err != nil {
			panic(err)
		}
		cl.recv[k] = r
	}
	if len(frame) < n {
		cl.failures++
		return
	}
	plain, _, err := r.Decrypt(nil, frame[:n], frame[n:])
	if err != nil || len(plain) < 17 || Kind(plain[0]) != kind || binary.BigEndian.Uint64(plain[1:]) != uint64(sender) {
		cl.failures++
		return
	}
	cl.got[k]++
}

// counts returns the frames decrypted from each sender of kind.
func (cl *client) counts(kind Kind) map[int]int {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	out := map[int]int{}
	for k, n := range cl.got {
		if k[1] == int(kind) {
			out[k[0]] = n
		}
	}
	return out
}

func (cl *client) close() {
	select {
	case <-cl.stop:
		return
	default:
	}
	close(cl.stop)
	_ = cl.pc.GracefulClose()
	cl.wg.Wait()
}

// waitFor polls cond every 20 ms of (virtual) time until it holds or
// within elapses.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		<-tick.C
	}
}

// shownBy is the last-N of client k in the tests: the next 4 participants.
func shownBy(k, n int) []int {
	var out []int
	for d := 1; d <= 4; d++ {
		out = append(out, (k+d)%n)
	}
	return out
}

// loudest3 is whom client k hears: the three loudest others (the lowest
// indices, whose level is lowest).
func loudest3(k int, skip map[int]bool) map[int]bool {
	out := map[int]bool{}
	for i := 0; len(out) < 3; i++ {
		if i != k && !skip[i] {
			out[i] = true
		}
	}
	return out
}

func TestTwelvePersonCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 12
		c := newCall(t, n, 4)
		defer c.close()
		for k, cl := range c.clients {
			var ids []string
			for _, j := range shownBy(k, n) {
				ids = append(ids, peerName(j))
			}
			if err := c.sfu.SetShown(cl.id, ids); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.sfu.SetShown(c.clients[0].id, []string{"a", "b", "c", "d", "e"}); !errors.Is(err, ErrTooManyShown) {
			t.Errorf("5 tiles on 4 slots: %v, want ErrTooManyShown", err)
		}
		check := func(gone map[int]bool) func() bool {
			return func() bool {
				for k, cl := range c.clients {
					if gone[k] {
						continue
					}
					audio, video := cl.counts(Audio), cl.counts(Video)
					for j := range loudest3(k, gone) {
						if audio[j] < 50 {
							return false
						}
					}
					for _, j := range shownBy(k, n) {
						if !gone[j] && video[j] < 20 {
							return false
						}
					}
				}
				return true
			}
		}
		waitFor(t, 30*time.Second, "everyone decrypts the 3 loudest others' audio and the 4 tiles it shows", check(nil))
		for k, cl := range c.clients {
			audio, video := cl.counts(Audio), cl.counts(Video)
			want := loudest3(k, nil)
			for j, got := range audio {
				if !want[j] && got > 5 { // a few frames while the first election settles
					t.Errorf("%s got %d audio frames from %s, not among its 3 loudest", cl.id, got, peerName(j))
				}
			}
			shown := map[int]bool{}
			for _, j := range shownBy(k, n) {
				shown[j] = true
			}
			for j, got := range video {
				if !shown[j] {
					t.Errorf("%s got %d video frames from %s, which it does not show", cl.id, got, peerName(j))
				}
			}
			if cl.failures != 0 {
				t.Errorf("%s: %d frames not decrypted", cl.id, cl.failures)
			}
		}

		// The loudest leaves: nothing of its is forwarded any more, and the
		// fourth loudest takes its place in everyone's audio.
		leaver := c.clients[0]
		c.sfu.Leave(leaver.id)
		leaver.close()
		gone := map[int]bool{0: true}
		reset := func() {
			for _, cl := range c.clients[1:] {
				cl.mu.Lock()
				clear(cl.got)
				cl.mu.Unlock()
			}
		}
		reset()
		waitFor(t, 30*time.Second, "after one leaves, everyone else hears the new 3 loudest", check(gone))
		reset() // what was in flight when it left has arrived by now
		waitFor(t, 30*time.Second, "everyone else still hears and sees the others", check(gone))
		for _, cl := range c.clients[1:] {
			if a, v := cl.counts(Audio)[0], cl.counts(Video)[0]; a != 0 || v != 0 {
				t.Errorf("%s still got %d audio and %d video frames from %s after it left", cl.id, a, v, leaver.id)
			}
		}
		for _, cl := range c.clients {
			t.Logf("%s: audio %v video %v", cl.id, cl.counts(Audio), cl.counts(Video))
		}
		for _, st := range c.sfu.Stats() {
			t.Logf("sfu %+v", st)
		}
		for _, st := range c.sfu.Stats() {
			if st.Peer == leaver.id {
				t.Errorf("stats still list %s", leaver.id)
			}
		}
	})
}

func TestNACKRepairsALossyUplink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 3, 2)
		defer c.close()
		for _, cl := range c.clients {
			if err := c.sfu.SetShown(cl.id, []string{peerName(0)}); err != nil && cl.i != 0 {
				t.Fatal(err)
			}
		}
		waitFor(t, 20*time.Second, "video from peer00 arrives", func() bool {
			return c.clients[1].counts(Video)[0] >= 20 && c.clients[2].counts(Video)[0] >= 20
		})
		// From now on the link from peer00 to the SFU loses 5 % of its
		// packets; NACKs (SFU to peer00) get them sent again.
		var mu sync.Mutex
		rng := rand.New(rand.NewPCG(1, 2))
		var lost int
		c.wan.AddChunkFilter(func(ch vnet.Chunk) bool {
			if !strings.HasPrefix(ch.SourceAddr().String(), "10.0.0.10:") || !strings.HasPrefix(ch.DestinationAddr().String(), "10.0.0.1:") {
				return true
			}
			mu.Lock()
			defer mu.Unlock()
			if rng.Float64() < 0.05 {
				lost++
				return false
			}
			return true
		})
		for _, cl := range c.clients[1:] {
			cl.mu.Lock()
			clear(cl.got)
			cl.mu.Unlock()
		}
		sent0 := c.clients[0].sent.Load()
		waitFor(t, 30*time.Second, "peer00 sends 150 more frames", func() bool { return c.clients[0].sent.Load() >= sent0+150 })
		sent := c.clients[0].sent.Load() - sent0
		waitFor(t, 5*time.Second, "99 % of peer00's frames decrypted despite the loss", func() bool {
			for _, cl := range c.clients[1:] {
				if got := cl.counts(Video)[0]; float64(got) < 0.99*float64(sent) {
					return false
				}
			}
			return true
		})
		mu.Lock()
		t.Logf("%d packets lost on the uplink; %d frames sent; got %d and %d", lost, sent,
			c.clients[1].counts(Video)[0], c.clients[2].counts(Video)[0])
		if lost == 0 {
			t.Error("no packet was lost: the test tests nothing")
		}
		mu.Unlock()
	})
}

// TestSFUVoiceEgressWire: what an SFU call's connections, made as
// call/media makes them (NewAPIWithBWE), negotiate for its egress: SRTP
// with the first of SRTPProfiles (HMAC-SHA1-80, not pion's default
// AES-GCM) on both ends of every connection, and forwarded voice whose
// RTP header is on the wire what BenchmarkVoice32Egress counts
// (forwardedAudioHeader: no audio level, no transport-wide sequence
// number, the sender as its one CSRC).
func TestSFUVoiceEgressWire(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const n = 4
		c := newCallOn(t, n, 0, true)
		defer c.close()
		waitFor(t, 30*time.Second, "everyone decrypts the others' audio", func() bool {
			for _, cl := range c.clients {
				for j := range loudest3(cl.i, nil) {
					if cl.counts(Audio)[j] < 20 {
						return false
					}
				}
			}
			return true
		})
		want := srtp.ProtectionProfile(SRTPProfiles[0]).String()
		cipher := func(pc *webrtc.PeerConnection) string {
			for _, st := range pc.GetStats() {
				if ts, ok := st.(webrtc.TransportStats); ok && ts.SRTPCipher != "" {
					return ts.SRTPCipher
				}
			}
			return "none"
		}
		for _, cl := range c.clients {
			if got := cipher(cl.pc); got != want {
				t.Errorf("%s's connection to the SFU runs SRTP %s, want %s", cl.id, got, want)
			}
			c.sfu.mu.Lock()
			p := c.sfu.parts[cl.id]
			c.sfu.mu.Unlock()
			if got := cipher(p.pc); got != want {
				t.Errorf("the SFU's connection to %s runs SRTP %s, want %s", cl.id, got, want)
			}
			if a, d := cl.audio.Load(), cl.dressed.Load(); a == 0 || d != 0 {
				t.Errorf("%s: %d of %d forwarded audio packets came with an RTP header of other than %d bytes", cl.id, d, a, forwardedAudioHeader())
			}
			if cl.failures != 0 {
				t.Errorf("%s: %d frames not decrypted", cl.id, cl.failures)
			}
		}
	})
}

// TestAllowGatesWhatAParticipantGets: three participants restricted to
// one another (as a relay restricts those who named each other) hear one
// another; a fourth, the loudest, who joins with no Allow once others
// were restricted (a removed member nobody named) gets nothing, and
// nobody gets any of hers. An Allow naming a source lets it through.
func TestAllowGatesWhatAParticipantGets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 0, 0)
		defer c.close()
		const n = 4
		for i := range n {
			c.tags[SourceTag(peerName(i))] = i
		}
		for i := range n - 1 {
			var others []string
			for j := range n - 1 {
				if j != i {
					others = append(others, peerName(j))
				}
			}
			if err := c.sfu.Allow(peerName(i), others); err != nil {
				t.Fatal(err)
			}
		}
		for i := range n {
			c.clients = append(c.clients, c.join(i, 0))
		}
		mallory := c.clients[n-1]
		mallory.level.Store(0) // the loudest
		waitFor(t, 30*time.Second, "the three hear one another", func() bool {
			for k, cl := range c.clients[:n-1] {
				audio := cl.counts(Audio)
				for j := range n - 1 {
					if j != k && audio[j] < 50 {
						return false
					}
				}
			}
			return true
		})
		for _, cl := range c.clients[:n-1] {
			if got := cl.counts(Audio)[n-1]; got != 0 {
				t.Errorf("%s got %d frames of mallory's", cl.id, got)
			}
		}
		if got := mallory.counts(Audio); len(got) != 0 {
			t.Fatalf("mallory, whom no Allow names, got %v", got)
		}

		if err := c.sfu.Allow(mallory.id, []string{peerName(0)}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "mallory to get what her Allow names", func() bool { return mallory.counts(Audio)[0] >= 50 })
		if got := mallory.counts(Audio); len(got) != 1 {
			t.Errorf("allowed peer00 only, mallory got %v", got)
		}
	})
}

// A participant that closes its connection (its call moved to another
// host, or ended) sends a DTLS close_notify: pion closes the SFU's end,
// which never fails after that, and the SFU drops it at once.
func TestParticipantClosingIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newCall(t, 2, 1)
		defer c.close()
		in := func(id string) bool {
			return slices.ContainsFunc(c.sfu.Stats(), func(s Stats) bool { return s.Peer == id && s.Received > 0 })
		}
		waitFor(t, 10*time.Second, "both participants send to the SFU", func() bool { return in(peerName(0)) && in(peerName(1)) })
		c.clients[0].close()
		// Well within the ICE timeouts (5 s disconnected, 10 s more
		// to fail): only the close_notify drops it so soon.
		waitFor(t, 2*time.Second, "the SFU drops the participant that closed", func() bool { return !in(peerName(0)) })
		if !in(peerName(1)) {
			t.Error("the other participant was dropped too")
		}
	})
}
