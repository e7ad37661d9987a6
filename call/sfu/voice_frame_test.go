package sfu_test

import (
	"errors"
	"math/rand/v2"

	"github.com/umbrella-p2p/umbrella/call/codec/opus"
	"github.com/umbrella-p2p/umbrella/call/media"
	"github.com/umbrella-p2p/umbrella/call/sframe"
	"github.com/umbrella-p2p/umbrella/call/sfu"
)

// The payload of a forwarded voice packet, as the code that makes it is
// configured: the app's encoder in an SFU call (opus.SFUConfig), and
// call/media's SFrame suite.
func init() { sfu.SetVoiceFrame(voiceFrame) }

func voiceFrame() (sfu.VoiceFrame, error) {
	cfg := opus.SFUConfig()
	cn, err := comfortNoise(cfg)
	if err != nil {
		return sfu.VoiceFrame{}, err
	}
	return sfu.VoiceFrame{
		Opus:         cfg.Bitrate * opus.FrameSamples / opus.SampleRate / 8,
		ComfortNoise: cn,
		SFrameTag:    media.Suite.Overhead() - sframe.MaxHeaderSize,
		SFrameHeader: func(kid, ctr uint64) int { return sframe.Header{KID: kid, CTR: ctr}.Len() },
	}, nil
}

// comfortNoise is the mean size of the packets libopus makes, set as cfg,
// of a quiet room's noise (−60 dBov) once its DTX has settled: the
// comfort-noise frames a silent participant still sends.
func comfortNoise(cfg opus.Config) (int, error) {
	enc, err := opus.NewEncoder(cfg)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(6, 60))
	pcm := make([]int16, opus.FrameSamples)
	var bytes, n int
	for i := range 400 {
		for j := range pcm {
			pcm[j] = int16(rng.NormFloat64() * 32768 / 1000) // −60 dBov
		}
		pkt, err := enc.Encode(pcm)
		if err != nil {
			return 0, err
		}
		if i >= 100 && pkt != nil {
			bytes += len(pkt)
			n++
		}
	}
	if n == 0 {
		return 0, errors.New("no comfort noise in 6 s of a quiet room")
	}
	return (bytes + n - 1) / n, nil
}
