package reconcile

import (
	"encoding/binary"
	"fmt"

	"github.com/umbrella-p2p/umbrella/crdt"
)

const version = 1

// Encode returns m's wire form (see the package doc).
func (m *Message) Encode() []byte {
	out := []byte{version}
	var prevKey uint64
	for _, r := range m.Ranges {
		if r.upper.inf {
			out = binary.AppendUvarint(out, 0)
			out = binary.AppendUvarint(out, 0)
		} else {
			out = binary.AppendUvarint(out, r.upper.key-prevKey+1)
			prevKey = r.upper.key
			out = binary.AppendUvarint(out, uint64(len(r.upper.prefix)))
			out = append(out, r.upper.prefix...)
		}
		out = append(out, r.Mode)
		switch r.Mode {
		case ModeFingerprint:
			out = append(out, r.FP[:]...)
		case ModeList:
			out = appendPrefixes(out, r.Prefixes)
		case ModeDiff:
			out = appendIDs(out, r.IDs)
			out = appendPrefixes(out, r.Prefixes)
		case ModeIDs:
			out = appendIDs(out, r.IDs)
		}
	}
	return out
}

func appendIDs(out []byte, items []Item) []byte {
	out = binary.AppendUvarint(out, uint64(len(items)))
	for _, it := range items {
		out = binary.AppendUvarint(out, it.Key)
		out = append(out, it.ID[:]...)
	}
	return out
}

func appendPrefixes(out []byte, ps [][PrefixSize]byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(ps)))
	for _, p := range ps {
		out = append(out, p[:]...)
	}
	return out
}

// decoder reads a message, failing on the first malformed field.
type decoder struct {
	data []byte
	err  error
	ids  int // ids and prefixes read so far, against MaxIDs
}

func (d *decoder) fail(format string, a ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, a...)...)
	}
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.data)
	if n <= 0 {
		d.fail("bad varint")
		d.data = nil
		return 0
	}
	d.data = d.data[n:]
	return v
}

func (d *decoder) bytes(n int) []byte {
	if n < 0 || len(d.data) < n {
		d.fail("truncated")
		d.data = nil
		return nil
	}
	b := d.data[:n]
	d.data = d.data[n:]
	return b
}

// count reads a list length of items of size bytes each, checking it
// against what remains and MaxIDs before anything is allocated.
func (d *decoder) count(size int) int {
	n := d.uvarint()
	if d.err != nil {
		return 0
	}
	if n > uint64(len(d.data)/size) || d.ids+int(n) > MaxIDs {
		d.fail("list of %d entries does not fit", n)
		return 0
	}
	d.ids += int(n)
	return int(n)
}

func (d *decoder) items() []Item {
	n := d.count(1 + len(crdt.ID{}))
	if n == 0 {
		return nil
	}
	out := make([]Item, n)
	for i := range out {
		out[i].Key = d.uvarint()
		copy(out[i].ID[:], d.bytes(len(crdt.ID{})))
	}
	return out
}

func (d *decoder) prefixes() [][PrefixSize]byte {
	n := d.count(PrefixSize)
	if n == 0 {
		return nil
	}
	out := make([][PrefixSize]byte, n)
	for i := range out {
		copy(out[i][:], d.bytes(PrefixSize))
	}
	return out
}

// Decode parses a message. It checks the encoding, the limits and that the
// bounds increase to infinity; Process checks the rest.
func Decode(data []byte) (*Message, error) {
	if len(data) == 0 || data[0] != version {
		return nil, fmt.Errorf("%w: not a version %d message", ErrMalformed, version)
	}
	d := &decoder{data: data[1:]}
	m := &Message{}
	var prevKey uint64
	var prev bound
	for len(d.data) > 0 && d.err == nil {
		if len(m.Ranges) == MaxRanges {
			return nil, fmt.Errorf("%w: more than %d ranges", ErrMalformed, MaxRanges)
		}
		if prev.inf {
			return nil, fmt.Errorf("%w: a range after the infinite bound", ErrMalformed)
		}
		var r Range
		delta := d.uvarint()
		plen := d.uvarint()
		switch {
		case delta == 0 && plen == 0:
			r.upper = bound{inf: true}
		case delta == 0:
			d.fail("finite bound without a key")
		case plen > uint64(len(crdt.ID{})):
			d.fail("bound prefix of %d bytes", plen)
		default:
			if prevKey+delta-1 < prevKey {
				d.fail("bound key overflows")
			}
			r.upper = bound{key: prevKey + delta - 1, prefix: d.bytes(int(plen))}
			prevKey = r.upper.key
		}
		if len(m.Ranges) > 0 && r.upper.compare(prev) <= 0 && d.err == nil {
			d.fail("range bounds do not increase")
		}
		prev = r.upper
		mode := d.bytes(1)
		if d.err != nil {
			break
		}
		r.Mode = mode[0]
		switch r.Mode {
		case ModeSkip:
		case ModeFingerprint:
			copy(r.FP[:], d.bytes(FingerprintSize))
		case ModeList:
			r.Prefixes = d.prefixes()
		case ModeDiff:
			r.IDs = d.items()
			r.Prefixes = d.prefixes()
		case ModeIDs:
			r.IDs = d.items()
		default:
			d.fail("unknown range mode %d", r.Mode)
		}
		m.Ranges = append(m.Ranges, r)
	}
	if d.err != nil {
		return nil, d.err
	}
	if !prev.inf {
		return nil, fmt.Errorf("%w: ranges do not reach the end of the item space", ErrMalformed)
	}
	return m, nil
}
