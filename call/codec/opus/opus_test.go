package opus

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// sine returns n samples of a tone of freq Hz at amplitude amp, starting
// at sample offset.
func sine(freq, amp float64, offset, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(amp * math.Sin(2*math.Pi*freq*float64(offset+i)/SampleRate))
	}
	return out
}

// rms is the root mean square of pcm.
func rms(pcm []int16) float64 {
	var sum float64
	for _, s := range pcm {
		sum += float64(s) * float64(s)
	}
	return math.Sqrt(sum / float64(max(len(pcm), 1)))
}

// goertzel is the power of pcm at freq Hz.
func goertzel(pcm []int16, freq float64) float64 {
	w := 2 * math.Pi * freq / SampleRate
	c := 2 * math.Cos(w)
	var s1, s2 float64
	for _, x := range pcm {
		s0 := float64(x) + c*s1 - s2
		s2, s1 = s1, s0
	}
	return s1*s1 + s2*s2 - c*s1*s2
}

// dominant is the frequency among 100 Hz steps to 8 kHz where pcm has the
// most power.
func dominant(pcm []int16) float64 {
	best, bestP := 0.0, -1.0
	for f := 100.0; f <= 8000; f += 100 {
		if p := goertzel(pcm, f); p > bestP {
			best, bestP = f, p
		}
	}
	return best
}

// snr is the signal-to-noise ratio in dB of got against want, with got
// delayed by the lag (0 to maxLag samples) that matches best.
func snr(want, got []int16, maxLag int) (db float64, lag int) {
	db = math.Inf(-1)
	for l := 0; l <= maxLag; l++ {
		var sig, noise float64
		for i := 0; i+l < len(got) && i < len(want); i++ {
			d := float64(got[i+l]) - float64(want[i])
			sig += float64(want[i]) * float64(want[i])
			noise += d * d
		}
		if v := 10 * math.Log10(sig/math.Max(noise, 1)); v > db {
			db, lag = v, l
		}
	}
	return db, lag
}

// roundTrip encodes frames of a 1 kHz tone and decodes them, concealing
// those lost says are lost; it returns what was sent and what came out.
func roundTrip(t *testing.T, frames int, lost func(int) bool) (sent, got []int16) {
	t.Helper()
	enc, err := NewEncoder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, FrameSamples)
	for i := range frames {
		in := sine(1000, 8000, i*FrameSamples, FrameSamples)
		sent = append(sent, in...)
		pkt, err := enc.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(pkt) == 0 || len(pkt) > MaxPacketSize {
			t.Fatalf("frame %d: a packet of %d bytes", i, len(pkt))
		}
		if lost(i) {
			if err := dec.Conceal(nil, pcm); err != nil {
				t.Fatal(err)
			}
		} else if err := dec.Decode(pkt, pcm); err != nil {
			t.Fatal(err)
		}
		got = append(got, pcm...)
	}
	return sent, got
}

// TestRoundTripTone: a 1 kHz tone comes back as a 1 kHz tone, delayed by
// the codec's look-ahead only, with a signal-to-noise ratio of a clear
// voice call.
func TestRoundTripTone(t *testing.T) {
	sent, got := roundTrip(t, 50, func(int) bool { return false })
	// Skip the first 100 ms while the encoder settles.
	sent, got = sent[5*FrameSamples:], got[5*FrameSamples:]
	db, lag := snr(sent, got, 960)
	t.Logf("SNR %.1f dB at a lag of %d samples (%.1f ms)", db, lag, float64(lag)/48)
	if db < 10 {
		t.Errorf("SNR %.1f dB, want at least 10", db)
	}
	if lag > 480 {
		t.Errorf("delay %d samples, want under 10 ms", lag)
	}
	if f := dominant(got); f != 1000 {
		t.Errorf("the decoded tone is at %v Hz, want 1000", f)
	}
}

// TestConcealLostFrame: a lost frame is filled by packet-loss concealment
// with sound close to what surrounded it, not silence; decoding goes on
// after it.
func TestConcealLostFrame(t *testing.T) {
	const lostAt = 20
	sent, got := roundTrip(t, 30, func(i int) bool { return i == lostAt })
	concealed := got[lostAt*FrameSamples : (lostAt+1)*FrameSamples]
	before := got[(lostAt-1)*FrameSamples : lostAt*FrameSamples]
	t.Logf("concealed frame RMS %.0f, the frame before %.0f", rms(concealed), rms(before))
	if rms(concealed) < rms(before)/4 {
		t.Errorf("concealed frame RMS %.0f against %.0f before it: silence, not concealment", rms(concealed), rms(before))
	}
	if f := dominant(concealed); math.Abs(f-1000) > 100 {
		t.Errorf("the concealed frame's tone is at %v Hz, want about 1000", f)
	}
	after := got[(lostAt+2)*FrameSamples:]
	if db, _ := snr(sent[(lostAt+2)*FrameSamples:], after, 960); db < 10 {
		t.Errorf("after the loss: SNR %.1f dB, want at least 10", db)
	}
}

// TestConcealFromFEC: with the next packet at hand, its in-band FEC
// rebuilds the lost frame better than concealment alone.
func TestConcealFromFEC(t *testing.T) {
	enc, err := NewEncoder(Config{Bitrate: 32000, Complexity: 8, LossPercent: 20})
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	var sent []int16
	for i := range 30 {
		in := sine(1000, 8000, i*FrameSamples, FrameSamples)
		sent = append(sent, in...)
		p, err := enc.Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, p)
	}
	const lostAt = 20
	decode := func(withNext bool) []int16 {
		dec, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, FrameSamples)
		var out []int16
		for i, p := range pkts {
			if i == lostAt {
				var next []byte
				if withNext {
					next = pkts[i+1]
				}
				if err := dec.Conceal(next, pcm); err != nil {
					t.Fatal(err)
				}
			} else if err := dec.Decode(p, pcm); err != nil {
				t.Fatal(err)
			}
			out = append(out, pcm...)
		}
		return out
	}
	from := (lostAt - 1) * FrameSamples
	to := (lostAt + 2) * FrameSamples
	fec, _ := snr(sent[from:to], decode(true)[from:], 960)
	plc, _ := snr(sent[from:to], decode(false)[from:], 960)
	t.Logf("around the lost frame: SNR %.1f dB with FEC, %.1f dB with PLC", fec, plc)
	if fec < 15 || fec < plc+6 {
		t.Errorf("with FEC: SNR %.1f dB, want at least 15 and 6 dB over concealment alone (%.1f)", fec, plc)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := NewEncoder(Config{Bitrate: 1}); err == nil {
		t.Error("a bitrate of 1: no error")
	}
	enc, err := NewEncoder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(make([]int16, 100)); err == nil {
		t.Error("encode 100 samples: no error")
	}
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]int16, FrameSamples)
	for name, p := range map[string][]byte{
		"empty":     nil,
		"too large": make([]byte, MaxPacketSize+1),
		"40 ms":     {0xfc | 0x01, 0x00, 0x00}, // TOC code 1: two 20 ms frames
	} {
		if err := dec.Decode(p, pcm); !errors.Is(err, ErrBadPacket) {
			t.Errorf("%s: %v, want ErrBadPacket", name, err)
		}
	}
	if err := dec.Decode([]byte{0xfc, 1}, make([]int16, 10)); err == nil {
		t.Error("decode into 10 samples: no error")
	}
}

// FuzzDecode: no packet from a peer crashes the decoder or gives other
// than a whole frame or an error.
func FuzzDecode(f *testing.F) {
	enc, err := NewEncoder(DefaultConfig())
	if err != nil {
		f.Fatal(err)
	}
	p, err := enc.Encode(sine(440, 5000, 0, FrameSamples))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(p)
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Add([]byte{0x03})
	f.Fuzz(func(t *testing.T, packet []byte) {
		dec, err := NewDecoder()
		if err != nil {
			t.Fatal(err)
		}
		pcm := make([]int16, FrameSamples)
		if err := dec.Decode(packet, pcm); err != nil && !errors.Is(err, ErrBadPacket) {
			t.Fatalf("an error that is not ErrBadPacket: %v", err)
		}
		if err := dec.Conceal(packet, pcm); err != nil {
			t.Fatalf("conceal after it: %v", err)
		}
	})
}

// TestDTXSendsLittleInSilence: with DTX (the default), speech gives a
// packet every frame, but once a quiet room's noise has lasted a second
// most frames give none; a comfort-noise packet still comes every 400 ms,
// and speech afterwards gives packets at once.
func TestDTXSendsLittleInSilence(t *testing.T) {
	enc, err := NewEncoder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	noise := rand.New(rand.NewPCG(1, 2))
	frame := func(i int, speech bool) []byte {
		pcm := make([]int16, FrameSamples)
		if speech {
			copy(pcm, sine(300, 6000, i*FrameSamples, FrameSamples))
		} else {
			for k := range pcm {
				pcm[k] = int16(noise.NormFloat64() * 30) // about -61 dBov
			}
		}
		pkt, err := enc.Encode(pcm)
		if err != nil {
			t.Fatal(err)
		}
		return pkt
	}
	for i := range 25 {
		if pkt := frame(i, true); pkt == nil {
			t.Fatalf("speech frame %d gave no packet", i)
		}
	}
	for i := range 50 { // the first second of quiet: the encoder adapts
		frame(25+i, false)
	}
	sent := 0
	for i := range 100 { // the next 2 s
		if pkt := frame(75+i, false); pkt != nil {
			sent++
		}
	}
	if sent == 0 || sent > 10 {
		t.Errorf("%d packets in 2 s of quiet, want a comfort-noise packet every 400 ms (5)", sent)
	}
	if pkt := frame(175, true); pkt == nil {
		t.Error("speech after quiet gave no packet")
	}
}

// voiced returns frame i of a voiced sound: a 140 Hz voice with 30
// harmonics, in syllables of 3 per second, over a little noise.
func voiced(rng *rand.Rand, i int) []int16 {
	pcm := make([]int16, FrameSamples)
	for j := range pcm {
		s := float64(i*FrameSamples + j)
		env := 0.5 + 0.5*math.Sin(2*math.Pi*3*s/SampleRate)
		var v float64
		for h := 1.0; h <= 30; h++ {
			v += math.Sin(2*math.Pi*140*h*s/SampleRate) / h
		}
		pcm[j] = int16(env*6000*v + rng.NormFloat64()*300*env)
	}
	return pcm
}

// encodeVoiced encodes 2 s of voiced sound with enc, after setting its
// bitrate to bps at frame from (0: never), and returns the packets from
// frame 50 on (once the rate settled).
func encodeVoiced(t *testing.T, enc *Encoder, bps, from int) [][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var out [][]byte
	for i := range 100 {
		if bps != 0 && i == from {
			if err := enc.SetBitrate(bps); err != nil {
				t.Fatal(err)
			}
		}
		pkt, err := enc.Encode(voiced(rng, i))
		if err != nil {
			t.Fatal(err)
		}
		if i >= 50 && pkt != nil {
			out = append(out, pkt)
		}
	}
	return out
}

// meanSize is the mean length of pkts.
func meanSize(pkts [][]byte) float64 {
	var n int
	for _, p := range pkts {
		n += len(p)
	}
	return float64(n) / float64(max(len(pkts), 1))
}

// TestSFUConfigIsWideband: an SFU call's voice (SFUConfig) comes out at
// its bitrate, in wideband (RFC 6716's TOC configurations 8-11: SILK at
// 16 kHz, or 12-15: hybrid), not in narrow- or mediumband.
func TestSFUConfigIsWideband(t *testing.T) {
	enc, err := NewEncoder(SFUConfig())
	if err != nil {
		t.Fatal(err)
	}
	pkts := encodeVoiced(t, enc, 0, 0)
	if len(pkts) != 50 {
		t.Fatalf("%d packets of 50 voiced frames", len(pkts))
	}
	for i, p := range pkts {
		if cfg := p[0] >> 3; cfg < 8 || cfg > 15 {
			t.Fatalf("packet %d: TOC configuration %d, not wideband speech", i, cfg)
		}
	}
	want := float64(SFUBitrate) / 50 / 8
	if got := meanSize(pkts); got < 0.8*want || got > 1.2*want {
		t.Errorf("mean packet %.1f bytes, want about %.0f (%d bit/s)", got, want, SFUBitrate)
	}
}

// TestSetBitrate: an encoder moved from a mesh's bitrate to an SFU's
// makes packets of the new size from then on.
func TestSetBitrate(t *testing.T) {
	enc, err := NewEncoder(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pkts := encodeVoiced(t, enc, SFUBitrate, 40)
	want := float64(SFUBitrate) / 50 / 8
	if got := meanSize(pkts); got < 0.8*want || got > 1.2*want {
		t.Errorf("after SetBitrate(%d): mean packet %.1f bytes, want about %.0f", SFUBitrate, got, want)
	}
	if err := enc.SetBitrate(MinBitrate - 1); err == nil {
		t.Errorf("SetBitrate(%d) accepted", MinBitrate-1)
	}
}
