package sframe

import (
	"fmt"
	"math/bits"
)

// Header is an SFrame header's content: the key id and the frame counter.
type Header struct {
	KID uint64
	CTR uint64
}

// valueLen is how many bytes v takes in its minimal big-endian form, or 0
// when it fits in the config byte's three bits.
func valueLen(v uint64) int {
	if v < 8 {
		return 0
	}
	return (bits.Len64(v) + 7) / 8
}

// Len is the encoded header's length in bytes.
func (h Header) Len() int { return 1 + valueLen(h.KID) + valueLen(h.CTR) }

// Append appends the header's encoding (RFC 9605 Section 4.3) to b.
func (h Header) Append(b []byte) []byte {
	kl, cl := valueLen(h.KID), valueLen(h.CTR)
	var cfg byte
	if kl == 0 {
		cfg = byte(h.KID) << 4
	} else {
		cfg = 0x80 | byte(kl-1)<<4
	}
	if cl == 0 {
		cfg |= byte(h.CTR)
	} else {
		cfg |= 0x08 | byte(cl-1)
	}
	b = append(b, cfg)
	b = appendBE(b, h.KID, kl)
	return appendBE(b, h.CTR, cl)
}

func appendBE(b []byte, v uint64, n int) []byte {
	for i := n - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// ParseHeader decodes the header at the start of frame and returns it with
// its length. Only the minimal encoding is accepted (the RFC requires it),
// so one header has one encoding.
func ParseHeader(frame []byte) (Header, int, error) {
	if len(frame) < 1 {
		return Header{}, 0, fmt.Errorf("%w: no header", ErrTruncated)
	}
	cfg := frame[0]
	n := 1
	var h Header
	var err error
	if h.KID, n, err = field(frame, n, cfg>>7 == 1, uint64(cfg>>4&7)); err != nil {
		return Header{}, 0, fmt.Errorf("kid: %w", err)
	}
	if h.CTR, n, err = field(frame, n, cfg>>3&1 == 1, uint64(cfg&7)); err != nil {
		return Header{}, 0, fmt.Errorf("ctr: %w", err)
	}
	return h, n, nil
}

// field reads a KID or CTR: the 3-bit value itself, or (extended) a
// big-endian value of v+1 bytes at frame[at:].
func field(frame []byte, at int, extended bool, v uint64) (uint64, int, error) {
	if !extended {
		return v, at, nil
	}
	l := int(v) + 1
	if len(frame) < at+l {
		return 0, 0, fmt.Errorf("%w: header needs %d bytes, frame has %d", ErrTruncated, at+l, len(frame))
	}
	var x uint64
	for _, c := range frame[at : at+l] {
		x = x<<8 | uint64(c)
	}
	if valueLen(x) != l {
		return 0, 0, fmt.Errorf("%w: value %d in %d bytes", ErrBadHeader, x, l)
	}
	return x, at + l, nil
}
