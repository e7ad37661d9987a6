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

// syntheticFrame returns the clear codec header and the plaintext (stamp,
// then filler) of synthetic frame number n of kind k sent at now.
func syntheticFrame(k Kind, n uint64, now time.Time) (clear, plain []byte) {
	size := AudioFrameSize
	if k == Audio {
		clear = []byte{0xf8} // Opus TOC: CELT fullband 20 ms, mono, one frame
	} else {
		size = VideoFrameSize
		// VP8 frame tag: show_frame set, first partition size 100.
		tag := uint32(100)<<5 | 1<<4
		if n%VideoKeyFrameEvery == 0 {
			size = VideoKeyFrameSize
			clear = []byte{byte(tag), byte(tag >> 8), byte(tag >> 16), 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01} // 640x480
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
