package appload

import (
	"bytes"
	"image"
	"image/color"
	"math"
	"syscall"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/srtp/v3"

	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/codec/vpx"
	"github.com/umbrella-p2p/umbrella/call/device/camera"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sframe"
	"github.com/umbrella-p2p/umbrella/call/sfu"
	"github.com/umbrella-p2p/umbrella/call/tile"
	"github.com/umbrella-p2p/umbrella/call/voice"
)

// The load of one participant in a 32-person call through an SFU, per
// second of call, as the app runs it today:
//
//   - its camera: 30 YUYV pictures of 640x360 converted to I420, encoded
//     to VP8 (vpx.DefaultEncoderConfig: 600 kbit/s, speed 10), SFrame-
//     encrypted, packetised (1,200-byte RTP) and SRTP-encrypted (the
//     profile an SFU call negotiates: sfu.SRTPProfiles);
//   - its microphone: 50 frames of 20 ms Opus-encoded (opus.SFUConfig,
//     it speaks the whole time), SFrame- and SRTP-encrypted;
//   - the video the SFU forwards: media.SFUVideoSlots (4) tiles at the
//     sender's 640x360 and 30 fps (calls send one layer: no simulcast yet),
//     each packet SRTP-decrypted and depacketised, each frame SFrame-
//     decrypted and VP8-decoded; drawn into tiles as the call window does
//     (call/tile.Fit): the speaker's 640x360 tile 30 times a second, the
//     other 3 at 320x180 15 times;
//   - the audio the SFU forwards: the 3 loudest speakers (sfu.MaxAudioSlots),
//     50 frames each, SRTP- and SFrame-decrypted, through call/voice's
//     jitter buffer, Opus-decoded, metered and mixed.
//
// Not in it: ICE, DTLS and pion's RTP stack and interceptors (NACK, RTCP
// reports), the UDP sockets, and the toolkit's drawing of the tiles on
// screen (Fyne's OpenGL).
const (
	videoTiles  = media.SFUVideoSlots
	voices      = 3
	cameraFPS   = 30
	smallTileHz = 15
	audioHz     = 50
	width       = 640
	height      = 360
)

// cpuTime is the CPU time this process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// yuyvScene is n YUYV pictures of a moving, textured scene, as a camera
// delivers them.
func yuyvScene(n int) [][]byte {
	var out [][]byte
	for k := range n {
		f := make([]byte, width*height*2)
		for y := range height {
			for x := range width {
				u := uint32((x+3*k)*7919 + y*104729)
				u ^= u >> 13
				u *= 0x5bd1e995
				f[(y*width+x)*2] = byte(16 + (x+y+3*k)%200 + int(u>>28))
				if x%2 == 0 {
					f[(y*width+x)*2+1] = byte(64 + x*128/width) // U
				} else {
					f[(y*width+x)*2+1] = byte(192 - y*128/height) // V
				}
			}
		}
		out = append(out, f)
	}
	return out
}

// speech is 20 ms frames of a voice-like signal: a pitch with harmonics
// whose loudness moves, plus a little noise.
func speech(frames int) [][]int16 {
	var out [][]int16
	seed := uint32(1)
	for n := range frames {
		pcm := make([]int16, opus.FrameSamples)
		for i := range pcm {
			t := float64(n*opus.FrameSamples+i) / opus.SampleRate
			env := 0.6 + 0.4*math.Sin(2*math.Pi*3*t)
			v := 0.0
			for h := 1; h <= 6; h++ {
				v += math.Sin(2*math.Pi*140*float64(h)*t) / float64(h)
			}
			seed = seed*1664525 + 1013904223
			pcm[i] = int16(env*5000*v + float64(int32(seed)>>20))
		}
		out = append(out, pcm)
	}
	return out
}

// clearLen is how many leading bytes of a VP8 frame SFrame leaves in
// clear, as call/media does: the frame tag, and on a key frame the start
// code and size.
func clearLen(vp8 []byte) int {
	if vp8[0]&1 == 0 {
		return 10
	}
	return 3
}

// link is one direction of SRTP with one SSRC.
type link struct {
	out, in *srtp.Context
	ssrc    uint32
	seq     uint16
	buf     []byte
}

func newLink(b *testing.B, ssrc uint32) *link {
	profile := srtp.ProtectionProfile(sfu.SRTPProfiles[0]) // what an SFU call's connections negotiate
	keyLen, err := profile.KeyLen()
	if err != nil {
		b.Fatal(err)
	}
	saltLen, err := profile.SaltLen()
	if err != nil {
		b.Fatal(err)
	}
	key, salt := bytes.Repeat([]byte{byte(ssrc)}, keyLen), bytes.Repeat([]byte{2}, saltLen)
	out, err := srtp.CreateContext(key, salt, profile)
	if err != nil {
		b.Fatal(err)
	}
	in, err := srtp.CreateContext(key, salt, profile)
	if err != nil {
		b.Fatal(err)
	}
	return &link{out: out, in: in, ssrc: ssrc}
}

// seal makes the SRTP packet of an RTP payload.
func (l *link) seal(b *testing.B, ts uint32, marker bool, payload []byte) []byte {
	p := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: l.ssrc, SequenceNumber: l.seq, Timestamp: ts, Marker: marker}, Payload: payload}
	l.seq++
	raw, err := p.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	sealed, err := l.out.EncryptRTP(nil, raw, nil)
	if err != nil {
		b.Fatal(err)
	}
	return sealed
}

// open decrypts an SRTP packet and returns its RTP payload (valid until the
// next open).
func (l *link) open(b *testing.B, sealed []byte) (rtp.Header, []byte) {
	var h rtp.Header
	raw, err := l.in.DecryptRTP(l.buf[:0], sealed, &h)
	if err != nil {
		b.Fatal(err)
	}
	l.buf = raw
	return h, raw[h.MarshalSize():]
}

// remote is one other participant as this one receives it.
type remote struct {
	snd    *sframe.Sender
	rcv    *sframe.Receiver
	link   *link
	frames [][]byte // its VP8 stream (a key frame first), looped
	dec    *vpx.Decoder
	pic    *image.YCbCr
	pkts   [][]byte // this second's SRTP packets of it
}

// BenchmarkParticipant32 runs one second of one participant's app in a
// 32-person call per iteration (the load above) and reports core-%: the
// CPU time that second took, as a share of one core (target: at most 60).
func BenchmarkParticipant32(b *testing.B) {
	cam := yuyvScene(cameraFPS)
	mic := speech(audioHz)
	enc, err := vpx.NewEncoder(vpx.DefaultEncoderConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()
	aenc, err := opus.NewEncoder(opus.SFUConfig())
	if err != nil {
		b.Fatal(err)
	}
	self, err := sframe.NewSender(media.Suite, 0, bytes.Repeat([]byte{9}, 16))
	if err != nil {
		b.Fatal(err)
	}
	up := newLink(b, 1)
	vp8 := rtp.NewPacketizer(1200, 96, 1, &codecs.VP8Payloader{}, rtp.NewRandomSequencer(), 90000)
	pic := camera.NewI420(width, height)

	// The others' video, encoded once (the senders' work, not this one's).
	videos := make([]*remote, videoTiles)
	for s := range videos {
		r := &remote{link: newLink(b, uint32(10+s))}
		if r.snd, err = sframe.NewSender(media.Suite, uint64(s+1), bytes.Repeat([]byte{byte(s + 1)}, 16)); err != nil {
			b.Fatal(err)
		}
		if r.rcv, err = sframe.NewReceiver(media.Suite); err != nil {
			b.Fatal(err)
		}
		if err := r.rcv.AddKey(uint64(s+1), bytes.Repeat([]byte{byte(s + 1)}, 16)); err != nil {
			b.Fatal(err)
		}
		se, err := vpx.NewEncoder(vpx.DefaultEncoderConfig())
		if err != nil {
			b.Fatal(err)
		}
		src := camera.NewI420(width, height)
		for n := range cameraFPS {
			if err := camera.YUYVToI420(src, cam[(n+7*s)%len(cam)], width, height); err != nil {
				b.Fatal(err)
			}
			f, _, err := se.Encode(src, n == 0)
			if err != nil {
				b.Fatal(err)
			}
			r.frames = append(r.frames, f)
		}
		se.Close()
		if r.dec, err = vpx.NewDecoder(); err != nil {
			b.Fatal(err)
		}
		defer r.dec.Close()
		videos[s] = r
	}
	// The 3 voices: Opus packets of speech, encoded once.
	type speaker struct {
		snd    *sframe.Sender
		rcv    *sframe.Receiver
		link   *link
		frames [][]byte
		jitter *voice.Jitter
		dec    *opus.Decoder
		meter  voice.Meter
		pkts   [][]byte
	}
	speakers := make([]*speaker, voices)
	for s := range speakers {
		sp := &speaker{link: newLink(b, uint32(20+s)), jitter: voice.NewJitter(voice.DefaultTarget)}
		key := bytes.Repeat([]byte{byte(40 + s)}, 16)
		if sp.snd, err = sframe.NewSender(media.Suite, uint64(40+s), key); err != nil {
			b.Fatal(err)
		}
		if sp.rcv, err = sframe.NewReceiver(media.Suite); err != nil {
			b.Fatal(err)
		}
		if err := sp.rcv.AddKey(uint64(40+s), key); err != nil {
			b.Fatal(err)
		}
		e, err := opus.NewEncoder(opus.SFUConfig())
		if err != nil {
			b.Fatal(err)
		}
		for n := range audioHz {
			p, err := e.Encode(mic[(n+17*s)%len(mic)])
			if err != nil || p == nil {
				b.Fatalf("speech frame %d: %v", n, err)
			}
			sp.frames = append(sp.frames, p)
		}
		if sp.dec, err = opus.NewDecoder(); err != nil {
			b.Fatal(err)
		}
		speakers[s] = sp
	}
	large := image.NewRGBA(image.Rect(0, 0, 640, 360))
	small := image.NewRGBA(image.Rect(0, 0, 320, 180))
	mix := make([]int16, opus.FrameSamples)
	pcm := make([]int16, opus.FrameSamples)
	var frame, plainBuf []byte
	// The CPU time of each part: camera, microphone, received video,
	// received audio.
	var parts [4]time.Duration
	mark := func(part int, since time.Duration) time.Duration {
		now := cpuTime(b)
		parts[part] += now - since
		return now
	}
	var sec uint32
	b.ResetTimer()
	for range b.N {
		// This second's packets from the SFU, as the senders made them.
		b.StopTimer()
		for _, r := range videos {
			r.pkts = r.pkts[:0]
			for n, f := range r.frames {
				n0 := clearLen(f)
				enc, err := r.snd.Encrypt(append([]byte(nil), f[:n0]...), f[:n0], f[n0:])
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range vp8.Packetize(enc, 3000) {
					r.pkts = append(r.pkts, r.link.seal(b, sec*90000+uint32(n*3000), p.Marker, p.Payload))
				}
			}
		}
		for _, sp := range speakers {
			sp.pkts = sp.pkts[:0]
			for _, f := range sp.frames {
				enc, err := sp.snd.Encrypt(append([]byte(nil), f[:1]...), f[:1], f[1:])
				if err != nil {
					b.Fatal(err)
				}
				sp.pkts = append(sp.pkts, sp.link.seal(b, 0, true, enc))
			}
		}
		t := cpuTime(b)
		b.StartTimer()

		// Send: camera and microphone.
		for n := range cameraFPS {
			if err := camera.YUYVToI420(pic, cam[n], width, height); err != nil {
				b.Fatal(err)
			}
			f, _, err := enc.Encode(pic, false)
			if err != nil {
				b.Fatal(err)
			}
			n0 := clearLen(f)
			sealed, err := self.Encrypt(append([]byte(nil), f[:n0]...), f[:n0], f[n0:])
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range vp8.Packetize(sealed, 3000) {
				up.seal(b, p.Timestamp, p.Marker, p.Payload)
			}
		}
		t = mark(0, t)
		for n := range audioHz {
			p, err := aenc.Encode(mic[n])
			if err != nil {
				b.Fatal(err)
			}
			if p == nil {
				continue
			}
			sealed, err := self.Encrypt(append([]byte(nil), p[:1]...), p[:1], p[1:])
			if err != nil {
				b.Fatal(err)
			}
			up.seal(b, uint32(n*960), true, sealed)
		}

		t = mark(1, t)

		// Receive video: decrypt, reassemble, decrypt, decode, draw.
		for s, r := range videos {
			var depack codecs.VP8Packet
			frame = frame[:0]
			drawn := 0
			for _, sealed := range r.pkts {
				h, payload := r.link.open(b, sealed)
				part, err := depack.Unmarshal(payload)
				if err != nil {
					b.Fatal(err)
				}
				frame = append(frame, part...)
				if !h.Marker {
					continue
				}
				n0 := clearLen(frame)
				plain, _, err := r.rcv.Decrypt(append(plainBuf[:0], frame[:n0]...), frame[:n0], frame[n0:])
				if err != nil {
					b.Fatal(err)
				}
				plainBuf = plain
				if r.pic, err = r.dec.DecodeTo(plain, r.pic); err != nil {
					b.Fatal(err)
				}
				frame = frame[:0]
				if s == 0 {
					tile.Fit(large, r.pic, color.RGBA{A: 255})
				} else if drawn++; drawn%(cameraFPS/smallTileHz) == 0 {
					tile.Fit(small, r.pic, color.RGBA{A: 255})
				}
			}
		}

		t = mark(2, t)

		// Receive audio: decrypt, jitter buffer, decode, meter, mix.
		for n := range audioHz {
			clear(mix)
			for _, sp := range speakers {
				_, payload := sp.link.open(b, sp.pkts[n])
				plain, _, err := sp.rcv.Decrypt(append([]byte(nil), payload[:1]...), payload[:1], payload[1:])
				if err != nil {
					b.Fatal(err)
				}
				sp.jitter.Push(uint32(n)*960+sec*48000, plain)
				turn, f, next := sp.jitter.Pop()
				switch turn {
				case voice.Play:
					err = sp.dec.Decode(f, pcm)
				case voice.Conceal:
					err = sp.dec.Conceal(next, pcm)
				default:
					continue
				}
				if err != nil {
					b.Fatal(err)
				}
				sp.meter.Add(pcm)
				voice.Mix(mix, pcm)
			}
		}
		b.StopTimer()
		mark(3, t)
		sec++
		b.StartTimer()
	}
	pct := func(d time.Duration) float64 { return float64(d) / float64(b.N) / float64(time.Second) * 100 }
	b.ReportMetric(pct(parts[0]+parts[1]+parts[2]+parts[3]), "core-%")
	for i, name := range []string{"camera", "mic", "video-in", "audio-in"} {
		b.ReportMetric(pct(parts[i]), name+"-%")
	}
}
