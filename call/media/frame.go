package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Kind is a track's media kind.
type Kind uint8

// Media kinds.
const (
	Audio Kind = 1
	Video Kind = 2
)

// String returns "audio" or "video".
func (k Kind) String() string {
	switch k {
	case Audio:
		return "audio"
	case Video:
		return "video"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// errShortFrame: a frame is shorter than its codec header.
var errShortFrame = errors.New("media: frame shorter than its codec header")

// clearLen is how many leading bytes of an encoded frame stay in clear
// (authenticated as SFrame metadata, readable by an SFU): Opus's TOC byte;
// VP8's 3-byte frame tag, plus the start code and dimensions (7 more) on
// a key frame. These are the lengths WebRTC's encoded-transform E2EE
// leaves in clear. The length is read from the clear bytes themselves, so
// sender and receiver agree on it.
func clearLen(k Kind, frame []byte) (int, error) {
	n := 1
	if k == Video {
		n = 3
		if len(frame) > 0 && frame[0]&1 == 0 { // P bit 0: a key frame
			n = 10
		}
	}
	if len(frame) < n {
		return 0, fmt.Errorf("%w: %v frame of %d bytes", errShortFrame, k, len(frame))
	}
	return n, nil
}

// stampSize is the stamp at the start of a synthetic frame's encrypted
// part: kind (1 byte), frame number (8), send time in Unix nanoseconds (8),
// then stampMagic (4), which tells a synthetic frame from a real
// encoder's (whose first bytes may look like a kind).
const stampSize = 21

// stampMagic ends a synthetic frame's stamp.
var stampMagic = [4]byte{'U', 'm', 'b', 'S'}

// stamp is what a synthetic frame carries inside its encryption.
type stamp struct {
	kind   Kind
	number uint64
	sent   time.Time
}

// SyntheticLayer is one simulcast layer of synthetic video: the picture
// size its key frames' VP8 headers state, as the app's encoder of that
// layer (call/vision) makes them, and the sizes of its frames.
type SyntheticLayer struct {
	// Width and Height are the picture's size.
	Width, Height int
	// FrameSize and KeyFrameSize are a delta frame's and a key frame's
	// sizes in bytes.
	FrameSize, KeyFrameSize int
}

// SyntheticLayers are the layers of synthetic video, the smallest first:
// those the app sends of its camera through an SFU (320x180 at about
// 140 kbit/s and 640x360 at about 350 kbit/s, 15 frames a second). In a
// mesh only the last is sent; through an SFU all of them, each stamped
// with the same frame number and send time, as an encoder's layers are
// one picture.
var SyntheticLayers = [...]SyntheticLayer{
	{Width: 320, Height: 180, FrameSize: 1000, KeyFrameSize: 6000},
	{Width: 640, Height: 360, FrameSize: VideoFrameSize, KeyFrameSize: VideoKeyFrameSize},
}

// syntheticFrame returns the clear codec header and the plaintext (stamp,
// then filler) of synthetic frame number n of kind k sent at now; video
// is of the top layer of SyntheticLayers.
func syntheticFrame(k Kind, n uint64, now time.Time) (clear, plain []byte) {
	if k == Audio {
		return syntheticLayerFrame(Audio, SyntheticLayer{FrameSize: AudioFrameSize}, n, now)
	}
	return syntheticLayerFrame(Video, SyntheticLayers[len(SyntheticLayers)-1], n, now)
}

// syntheticLayerFrame is syntheticFrame of one video layer (for audio,
// only l.FrameSize counts).
func syntheticLayerFrame(k Kind, l SyntheticLayer, n uint64, now time.Time) (clear, plain []byte) {
	size := l.FrameSize
	if k == Audio {
		clear = []byte{0xf8} // Opus TOC: CELT fullband 20 ms, mono, one frame
	} else {
		// VP8 frame tag: show_frame set, first partition size 100.
		tag := uint32(100)<<5 | 1<<4
		if n%VideoKeyFrameEvery == 0 {
			size = l.KeyFrameSize
			// Then the start code, and width and height (14 bits each,
			// little-endian, no scaling).
			clear = []byte{byte(tag), byte(tag >> 8), byte(tag >> 16), 0x9d, 0x01, 0x2a,
				byte(l.Width), byte(l.Width >> 8 & 0x3f), byte(l.Height), byte(l.Height >> 8 & 0x3f)}
		} else {
			tag |= 1 // P bit: an interframe
			clear = []byte{byte(tag), byte(tag >> 8), byte(tag >> 16)}
		}
	}
	plain = make([]byte, size-len(clear))
	plain[0] = byte(k)
	binary.BigEndian.PutUint64(plain[1:], n)
	binary.BigEndian.PutUint64(plain[9:], uint64(now.UnixNano()))
	copy(plain[17:], stampMagic[:])
	for i := stampSize; i < len(plain); i++ {
		plain[i] = byte(i)
	}
	return clear, plain
}

// keyFrameSize returns the picture size a VP8 key frame's header states
// (ok false for a frame that is not a whole key frame header).
func keyFrameSize(vp8 []byte) (w, h int, ok bool) {
	if len(vp8) < 10 || !isKeyFrame(vp8) || vp8[3] != 0x9d || vp8[4] != 0x01 || vp8[5] != 0x2a {
		return 0, 0, false
	}
	return int(binary.LittleEndian.Uint16(vp8[6:]) & 0x3fff), int(binary.LittleEndian.Uint16(vp8[8:]) & 0x3fff), true
}

// parseStamp reads a synthetic frame's stamp from its plaintext.
func parseStamp(plain []byte) (stamp, bool) {
	if len(plain) < stampSize || (Kind(plain[0]) != Audio && Kind(plain[0]) != Video) || [4]byte(plain[17:21]) != stampMagic {
		return stamp{}, false
	}
	return stamp{
		kind:   Kind(plain[0]),
		number: binary.BigEndian.Uint64(plain[1:]),
		sent:   time.Unix(0, int64(binary.BigEndian.Uint64(plain[9:]))),
	}, true
}
