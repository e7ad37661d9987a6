package vpx

import (
	"errors"
	"fmt"
)

// ErrMalformed: a frame is not a VP8 frame (RFC 6386 section 9.1): too
// short for its header, a key frame without the start code, an unknown
// version or a first partition longer than the frame.
var ErrMalformed = errors.New("vpx: malformed VP8 frame")

// Header is what a VP8 frame's uncompressed header (RFC 6386 section 9.1)
// says. Width and Height are set for key frames only.
type Header struct {
	// Key is whether the frame is a key frame (decodable on its own).
	Key bool
	// Version is the frame's profile, 0 to 3.
	Version int
	// Show is whether the frame is meant to be displayed.
	Show bool
	// FirstPartition is the size of the first partition, in bytes.
	FirstPartition int
	// Width and Height are a key frame's dimensions, in pixels.
	Width, Height int
}

// ParseHeader reads a VP8 frame's uncompressed header: the 3-byte frame
// tag and, on a key frame, the start code and the dimensions. It checks
// the header only, not the compressed data that follows.
func ParseHeader(frame []byte) (Header, error) {
	if len(frame) < 3 {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(frame))
	}
	tag := uint32(frame[0]) | uint32(frame[1])<<8 | uint32(frame[2])<<16
	h := Header{
		Key:            tag&1 == 0,
		Version:        int(tag>>1) & 7,
		Show:           tag>>4&1 == 1,
		FirstPartition: int(tag >> 5),
	}
	if h.Version > 3 {
		return Header{}, fmt.Errorf("%w: version %d", ErrMalformed, h.Version)
	}
	rest := len(frame) - 3
	if h.Key {
		if len(frame) < 10 {
			return Header{}, fmt.Errorf("%w: key frame of %d bytes", ErrMalformed, len(frame))
		}
		if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
			return Header{}, fmt.Errorf("%w: no start code", ErrMalformed)
		}
		h.Width = int(frame[6]) | int(frame[7]&0x3f)<<8
		h.Height = int(frame[8]) | int(frame[9]&0x3f)<<8
		if h.Width == 0 || h.Height == 0 {
			return Header{}, fmt.Errorf("%w: key frame of %dx%d", ErrMalformed, h.Width, h.Height)
		}
		rest = len(frame) - 10
	}
	if h.FirstPartition > rest {
		return Header{}, fmt.Errorf("%w: first partition of %d bytes in %d", ErrMalformed, h.FirstPartition, rest)
	}
	return h, nil
}
