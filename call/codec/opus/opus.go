package opus

import (
	"errors"
	"fmt"

	hopus "gopkg.in/hraban/opus.v2"
)

// The format of every frame.
const (
	// SampleRate is the sample rate of the PCM in and out, in Hz.
	SampleRate = 48000
	// FrameSamples is one 20 ms frame of mono PCM at SampleRate.
	FrameSamples = SampleRate / 50
)

// ErrBadPacket: a packet is empty, over MaxPacketSize, not Opus, or not
// one 20 ms frame.
var ErrBadPacket = errors.New("opus: bad packet")

// Config configures an Encoder.
type Config struct {
	// Bitrate is the target bitrate in bits per second.
	Bitrate int
	// Complexity is libopus's 0 (fastest) to 10 (best).
	Complexity int
	// LossPercent is the packet loss the encoder expects, in percent: it
	// sizes the in-band FEC (0 turns FEC off).
	LossPercent int
	// DTX turns on discontinuous transmission: once the encoder hears no
	// speech (about a second of silence or steady noise), most frames
	// come out as DTX packets (see IsDTX), which the sender does not
	// send; one comfort-noise packet still comes every 400 ms.
	DTX bool
}

// Bitrates of a call's voice, in bits per second.
const (
	// MeshBitrate is the voice of a mesh call (up to 6 voices, each sent
	// to every other participant): 32 kbit/s, where libopus codes speech
	// in full band (hybrid mode) with in-band FEC for 10 % loss.
	MeshBitrate = 32000
	// SFUBitrate is the voice of a call through an SFU: 12 kbit/s, where
	// libopus still codes speech in wideband (SILK, 8 kHz of audio
	// bandwidth; TestSFUConfigIsWideband). An SFU sends each of up to 31
	// listeners the 3 loudest voices, and a 20 ms packet's fixed cost on
	// the way out of it (IPv4 and UDP, SRTP's tag, the RTP header with
	// its CSRC, SFrame's header and tag: 72 bytes) is already 2.8 Mbit/s
	// of its 4 Mbit/s budget when everyone talks at once: what is left is
	// 12.8 kbit/s a voice (call/sfu's BenchmarkVoice32Egress). Opus's
	// guidance of 16-20 kbit/s for wideband speech would need SRTP's
	// 4-byte tags, which pion does not run (call/sfu's SRTPProfiles). At
	// this rate libopus spends no bits on FEC (at 10 % loss it affords
	// FEC only from about 20 kbit/s, and then in mediumband), so a lost
	// packet is concealed rather than recovered; the loss setting still
	// makes its coding lean less on the frames before.
	SFUBitrate = 12000
)

// DefaultConfig is a mesh call's voice: MeshBitrate (wideband speech with
// room for FEC), complexity 8, FEC sized for 10 % loss, DTX on (a
// participant who does not speak sends almost nothing).
func DefaultConfig() Config {
	return Config{Bitrate: MeshBitrate, Complexity: 8, LossPercent: 10, DTX: true}
}

// SFUConfig is the voice of a call through an SFU: DefaultConfig at
// SFUBitrate.
func SFUConfig() Config {
	c := DefaultConfig()
	c.Bitrate = SFUBitrate
	return c
}

// Validate reports a setting out of range.
func (c Config) Validate() error {
	switch {
	case c.Bitrate < MinBitrate || c.Bitrate > MaxBitrate:
		return fmt.Errorf("opus: bitrate %d outside %d-%d", c.Bitrate, MinBitrate, MaxBitrate)
	case c.Complexity < 0 || c.Complexity > 10:
		return fmt.Errorf("opus: complexity %d outside 0-10", c.Complexity)
	case c.LossPercent < 0 || c.LossPercent > 100:
		return fmt.Errorf("opus: loss %d %% outside 0-100", c.LossPercent)
	}
	return nil
}

// Encoder turns 20 ms frames of PCM into Opus packets. It is not safe for
// concurrent use.
type Encoder struct {
	enc *hopus.Encoder
	buf [MaxPacketSize]byte
}

// NewEncoder returns an Encoder for calls (the VoIP application) set as
// cfg says.
func NewEncoder(cfg Config) (*Encoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	enc, err := hopus.NewEncoder(SampleRate, 1, hopus.AppVoIP)
	if err != nil {
		return nil, fmt.Errorf("opus: encoder: %w", err)
	}
	for what, err := range map[string]error{
		"bitrate":    enc.SetBitrate(cfg.Bitrate),
		"complexity": enc.SetComplexity(cfg.Complexity),
		"FEC":        enc.SetInBandFEC(cfg.LossPercent > 0),
		"loss":       enc.SetPacketLossPerc(cfg.LossPercent),
		"DTX":        enc.SetDTX(cfg.DTX),
	} {
		if err != nil {
			return nil, fmt.Errorf("opus: encoder %s: %w", what, err)
		}
	}
	return &Encoder{enc: enc}, nil
}

// SetBitrate changes the target bitrate (bits per second, MinBitrate to
// MaxBitrate) from the next frame on: a call that moves between a mesh
// and an SFU keeps its encoder.
func (e *Encoder) SetBitrate(bps int) error {
	if bps < MinBitrate || bps > MaxBitrate {
		return fmt.Errorf("opus: bitrate %d outside %d-%d", bps, MinBitrate, MaxBitrate)
	}
	if err := e.enc.SetBitrate(bps); err != nil {
		return fmt.Errorf("opus: encoder bitrate: %w", err)
	}
	return nil
}

// dtxMax is the size of the longest DTX packet libopus makes: the TOC
// byte alone (2 with padding), which says only "nothing to hear here".
const dtxMax = 2

// Encode encodes one frame of FrameSamples samples and returns its packet,
// a new slice. With Config.DTX, a silent frame may give no packet at all
// (nil, no error): libopus made a DTX frame, which is not sent (the
// receiver's decoder conceals the gap, as for a lost frame).
func (e *Encoder) Encode(pcm []int16) ([]byte, error) {
	if len(pcm) != FrameSamples {
		return nil, fmt.Errorf("opus: encode %d samples, want %d", len(pcm), FrameSamples)
	}
	n, err := e.enc.Encode(pcm, e.buf[:])
	if err != nil {
		return nil, fmt.Errorf("opus: encode: %w", err)
	}
	if n <= dtxMax {
		return nil, nil
	}
	return append([]byte(nil), e.buf[:n]...), nil
}

// Decoder turns one participant's Opus packets back into PCM, in order,
// concealing lost ones. It is not safe for concurrent use.
type Decoder struct {
	dec *hopus.Decoder
}

// NewDecoder returns a Decoder of 48 kHz mono.
func NewDecoder() (*Decoder, error) {
	dec, err := hopus.NewDecoder(SampleRate, 1)
	if err != nil {
		return nil, fmt.Errorf("opus: decoder: %w", err)
	}
	return &Decoder{dec: dec}, nil
}

// Decode decodes one packet of 20 ms into pcm (FrameSamples long). A
// packet that is not that (malformed, too large, of another duration) is
// ErrBadPacket: the caller conceals it as lost.
func (d *Decoder) Decode(packet []byte, pcm []int16) error {
	if err := checkPacket(packet, pcm); err != nil {
		return err
	}
	n, err := d.dec.Decode(packet, pcm[:FrameSamples:FrameSamples])
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadPacket, err)
	}
	if n != FrameSamples {
		return fmt.Errorf("%w: %d samples, want %d", ErrBadPacket, n, FrameSamples)
	}
	return nil
}

// Conceal fills pcm (FrameSamples long) in place of a lost frame: from the
// in-band FEC of next, the packet after the lost one, when the caller has
// it (nil: not yet), else by packet-loss concealment from what came
// before.
func (d *Decoder) Conceal(next []byte, pcm []int16) error {
	if len(pcm) != FrameSamples {
		return fmt.Errorf("opus: conceal into %d samples, want %d", len(pcm), FrameSamples)
	}
	out := pcm[:FrameSamples:FrameSamples]
	if next != nil && checkPacket(next, pcm) == nil {
		if err := d.dec.DecodeFEC(next, out); err == nil {
			return nil
		}
	}
	if err := d.dec.DecodePLC(out); err != nil {
		return fmt.Errorf("opus: conceal: %w", err)
	}
	return nil
}

func checkPacket(packet []byte, pcm []int16) error {
	if len(pcm) != FrameSamples {
		return fmt.Errorf("opus: decode into %d samples, want %d", len(pcm), FrameSamples)
	}
	if len(packet) == 0 || len(packet) > MaxPacketSize {
		return fmt.Errorf("%w: %d bytes", ErrBadPacket, len(packet))
	}
	return nil
}
