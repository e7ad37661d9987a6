// Package reconcile finds the difference between two sets of ops in a few
// round trips, with range-based set reconciliation in the spirit of
// Negentropy and Meyer's RBSR. It is pure: no network, no clock, no
// goroutines.
//
// # Items and order
//
// An item is an op named by (Key, ID): Key orders the items so that what a
// node fetches in that order arrives parents first. Callers use Rank: the
// control log's ops by height, then every content log's ops by height
// (content cites control ops, never the other way). Items are ordered by
// Key, then ID.
//
// # Messages
//
// A message is a list of ranges that together cover the whole item space,
// in order. Each range ends at an exclusive upper bound (the last one at
// infinity) and carries one of:
//
//	Skip         the sender has nothing more to say about the range
//	Fingerprint  a hash of the sender's items in the range (their count
//	             and the sum of their ids mod 2^256)
//	List         the 8-byte prefixes of the sender's items in the range
//	Diff         the sender's items (key and full id) the other side's
//	             List lacked, and the prefixes of that List the sender lacks
//	Ids          the items behind prefixes the other side asked for
//
// The initiator splits the space into Branch ranges of equal counts of its
// own items and sends their fingerprints (or one List if it holds few).
// The other side answers each range: Skip if the fingerprints match, a List
// if it holds at most ListMax items there, else Branch sub-ranges with
// fingerprints. Whoever receives a List answers with a Diff; whoever
// receives a Diff knows that range's difference both ways and answers the
// prefixes it was asked for with their ids. Both sides run the same Process
// function; the session ends when a message holds nothing but Skips.
//
// A message never holds more than Decode accepts (MaxRanges ranges, MaxIDs
// ids and prefixes in all). A side whose answer would pass that answers
// the ranges in order while they fit and defers the rest: it sends its own
// fingerprint of each deferred range, as if the session had just reached
// it, and the session goes on over them in the next round trips. Only a
// range whose answer alone passes MaxIDs is cut (Result.Truncated), and
// a later session finds the rest.
//
// For 100,000 items and d random differences this takes two round trips
// for d up to about a thousand (see the benchmarks).
//
// # Encoding
//
// A message is a version byte (1) followed by its ranges. A range is
// uvarint(key delta + 1, or 0 for the infinite bound), uvarint(prefix
// length ≤ 32), the bound's id prefix, the mode byte, then the payload:
// nothing (Skip), FingerprintSize bytes (Fingerprint), uvarint(n) and n
// 8-byte prefixes (List), uvarint(n), n items, uvarint(m), m 8-byte
// prefixes (Diff), uvarint(n), n items (Ids). An item is uvarint(key) and
// the 32-byte id. Key deltas are from
// the previous bound. Bounds must increase strictly; the last one is
// infinite. Decode rejects anything else with ErrMalformed.
package reconcile

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"slices"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Sizes of the encoding.
const (
	// FingerprintSize is the length of a range fingerprint.
	FingerprintSize = 12
	// PrefixSize is the length of the id prefixes in a List.
	PrefixSize = 8
)

// ErrMalformed: a message is not a valid encoding.
var ErrMalformed = errors.New("malformed reconciliation message")

// Item is one op in a set being reconciled.
type Item struct {
	Key uint64
	ID  crdt.ID
}

// contentBase is added to content ops' heights by Rank.
const contentBase = 1 << 40

// Rank is the Key of an op of height h: control ops first, by height, then
// content ops by height.
func Rank(content bool, height uint64) uint64 {
	if content {
		return contentBase + min(height, contentBase-1)
	}
	return min(height, contentBase-1)
}

func (a Item) compare(b Item) int {
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return bytes.Compare(a.ID[:], b.ID[:])
}

// Set is a sorted set of items.
type Set struct{ items []Item }

// NewSet sorts items (taking ownership) and drops duplicates.
func NewSet(items []Item) *Set {
	slices.SortFunc(items, Item.compare)
	return &Set{items: slices.CompactFunc(items, func(a, b Item) bool { return a == b })}
}

// Len is the number of items.
func (s *Set) Len() int { return len(s.items) }

// bound is an exclusive upper bound: items below it are (Key, ID) <
// (Key, Prefix followed by zeros). inf is above every item.
type bound struct {
	key    uint64
	prefix []byte
	inf    bool
}

func (b bound) above(it Item) bool {
	if b.inf {
		return true
	}
	if it.Key != b.key {
		return it.Key < b.key
	}
	return bytes.Compare(it.ID[:len(b.prefix)], b.prefix) < 0
}

func (b bound) compare(o bound) int {
	switch {
	case b.inf && o.inf:
		return 0
	case b.inf:
		return 1
	case o.inf:
		return -1
	}
	if c := cmp.Compare(b.key, o.key); c != 0 {
		return c
	}
	var x, y crdt.ID
	copy(x[:], b.prefix)
	copy(y[:], o.prefix)
	return bytes.Compare(x[:], y[:])
}

// between returns the shortest bound above prev and at or below next.
func between(prev, next Item) bound {
	if prev.Key != next.Key {
		return bound{key: next.Key}
	}
	n := 0
	for n < len(next.ID) && prev.ID[n] == next.ID[n] {
		n++
	}
	return bound{key: next.Key, prefix: slices.Clone(next.ID[:n+1])}
}

// index returns the position of the first item at or above b.
func (s *Set) index(b bound) int {
	i, _ := slices.BinarySearchFunc(s.items, b, func(it Item, b bound) int {
		if b.above(it) {
			return -1
		}
		return 1
	})
	return i
}

// Modes of a range.
const (
	ModeSkip        = 0
	ModeFingerprint = 1
	ModeList        = 2
	ModeDiff        = 3
	ModeIDs         = 4
)

// Range is one range of a message.
type Range struct {
	upper bound
	Mode  uint8
	FP    [FingerprintSize]byte
	IDs   []Item // Diff: items the receiver lacks; Ids: the items asked for
	// Prefixes: List: the sender's items; Diff: what the sender lacks.
	Prefixes [][PrefixSize]byte
}

// Message is one step of a reconciliation.
type Message struct{ Ranges []Range }

// Done reports whether m says nothing: the session is over.
func (m *Message) Done() bool {
	for _, r := range m.Ranges {
		if r.Mode != ModeSkip {
			return false
		}
	}
	return true
}

func fingerprint(items []Item) [FingerprintSize]byte {
	var sum [4]uint64
	for _, it := range items {
		var c uint64
		for i := range 4 {
			sum[i], c = bits.Add64(sum[i], binary.LittleEndian.Uint64(it.ID[8*i:]), c)
		}
	}
	var buf [32 + binary.MaxVarintLen64]byte
	for i := range 4 {
		binary.LittleEndian.PutUint64(buf[8*i:], sum[i])
	}
	n := binary.PutUvarint(buf[32:], uint64(len(items)))
	h := sha256.Sum256(buf[:32+n])
	var fp [FingerprintSize]byte
	copy(fp[:], h[:])
	return fp
}

func prefixOf(id crdt.ID) (p [PrefixSize]byte) {
	copy(p[:], id[:])
	return p
}

// builder accumulates an outgoing message, merging adjacent Skips.
type builder struct{ out Message }

func (b *builder) add(r Range) {
	if n := len(b.out.Ranges); n > 0 && r.Mode == ModeSkip && b.out.Ranges[n-1].Mode == ModeSkip {
		b.out.Ranges[n-1].upper = r.upper
		return
	}
	b.out.Ranges = append(b.out.Ranges, r)
}

// split describes items (the sender's, in [lower, upper)) as a List when
// they are few, else as at most parts fingerprinted sub-ranges of equal
// counts (parts ≥ 2).
func (b *builder) split(items []Item, upper bound, parts int) {
	if len(items) <= ListMax {
		r := Range{upper: upper, Mode: ModeList}
		for _, it := range items {
			r.Prefixes = append(r.Prefixes, prefixOf(it.ID))
		}
		b.add(r)
		return
	}
	parts = min(parts, len(items))
	start := 0
	for p := 1; p <= parts; p++ {
		end := len(items) * p / parts
		up := upper
		if p < parts {
			up = between(items[end-1], items[end])
		}
		b.add(Range{upper: up, Mode: ModeFingerprint, FP: fingerprint(items[start:end])})
		start = end
	}
}

// Initiate returns the first message of a session.
func (s *Set) Initiate() *Message {
	var b builder
	b.split(s.items, bound{inf: true}, Branch)
	return &b.out
}

// Result is what one step learned.
type Result struct {
	// Need are items the other side holds and this one lacks.
	Need []Item
	// Have are items this side holds and the other lacks.
	Have []Item
	// Truncated: one range's answer alone was more than a message may
	// carry (MaxIDs) and was cut; run another session after fetching what
	// is known.
	Truncated bool
}

// Sort puts items in the order to fetch them: parents first.
func Sort(items []Item) { slices.SortFunc(items, Item.compare) }

// Process answers message m from the other side and reports the
// differences it revealed. When the reply is Done the session is over.
//
// A reply stays within what Decode accepts (MaxRanges ranges, MaxIDs ids
// and prefixes). Ranges are answered in order while they fit; a range
// whose answer no longer fits is deferred: it is answered with this side's
// fingerprint of it, as if the session had just reached it, and nothing
// the other side said about it is taken in, so the session goes on over
// it in later round trips with room to spare. The first range that
// carries ids always gets its answer (cut at MaxIDs if it alone is
// larger, which sets Result.Truncated), so every message makes progress.
func (s *Set) Process(m *Message) (*Message, Result, error) {
	if len(m.Ranges) > MaxRanges {
		return nil, Result{}, fmt.Errorf("%w: more than %d ranges", ErrMalformed, MaxRanges)
	}
	var b builder
	var res Result
	lo := 0
	var prev bound
	ids := 0 // ids and prefixes in the reply
	for i, r := range m.Ranges {
		if i > 0 && r.upper.compare(prev) <= 0 {
			return nil, res, fmt.Errorf("%w: range bounds do not increase", ErrMalformed)
		}
		prev = r.upper
		hi := len(s.items)
		if !r.upper.inf {
			hi = max(s.index(r.upper), lo)
		}
		mine := s.items[lo:hi]
		lo = hi
		// room: the ranges this one may take, keeping one for each range
		// still to answer (so room ≥ 1); fresh: no ids spent yet.
		room := MaxRanges - len(b.out.Ranges) - (len(m.Ranges) - i - 1)
		fresh := ids == 0
		fits := func(n int) bool { return ids+n <= MaxIDs }
		deferRange := func() {
			b.add(Range{upper: r.upper, Mode: ModeFingerprint, FP: fingerprint(mine)})
		}
		switch r.Mode {
		case ModeSkip:
			b.add(Range{upper: r.upper})
		case ModeFingerprint:
			if fingerprint(mine) == r.FP {
				b.add(Range{upper: r.upper})
				continue
			}
			if len(mine) <= ListMax && !fits(len(mine)) || len(mine) > ListMax && room < 2 {
				deferRange()
				continue
			}
			b.split(mine, r.upper, min(Branch, room))
			if len(mine) <= ListMax {
				ids += len(mine)
			}
		case ModeList:
			theirs := make(map[[PrefixSize]byte]bool, len(r.Prefixes))
			for _, p := range r.Prefixes {
				theirs[p] = true
			}
			out := Range{upper: r.upper, Mode: ModeDiff}
			known := make(map[[PrefixSize]byte]bool, len(mine))
			var extra []Item
			for _, it := range mine {
				p := prefixOf(it.ID)
				known[p] = true
				if !theirs[p] {
					extra = append(extra, it)
				}
			}
			for _, p := range r.Prefixes {
				if !known[p] {
					out.Prefixes = append(out.Prefixes, p)
				}
			}
			if !fits(len(extra) + len(out.Prefixes)) {
				if !fresh {
					deferRange()
					continue
				}
				// Alone too large: what this side lacks first (a List
				// holds at most MaxIDs prefixes), then what fits of the rest.
				out.Prefixes = out.Prefixes[:min(len(out.Prefixes), MaxIDs)]
				extra = extra[:MaxIDs-len(out.Prefixes)]
				res.Truncated = true
			}
			out.IDs = extra
			res.Have = append(res.Have, extra...)
			ids += len(out.IDs) + len(out.Prefixes)
			if len(out.IDs) == 0 && len(out.Prefixes) == 0 {
				b.add(Range{upper: r.upper})
				continue
			}
			b.add(out)
		case ModeDiff:
			if len(r.Prefixes) == 0 {
				res.Need = append(res.Need, r.IDs...)
				b.add(Range{upper: r.upper})
				continue
			}
			want := make(map[[PrefixSize]byte]bool, len(r.Prefixes))
			for _, p := range r.Prefixes {
				want[p] = true
			}
			out := Range{upper: r.upper, Mode: ModeIDs}
			for _, it := range mine {
				if want[prefixOf(it.ID)] {
					out.IDs = append(out.IDs, it)
				}
			}
			if !fits(len(out.IDs)) {
				if !fresh {
					deferRange()
					continue
				}
				out.IDs = out.IDs[:MaxIDs]
				res.Truncated = true
			}
			res.Need = append(res.Need, r.IDs...)
			res.Have = append(res.Have, out.IDs...)
			ids += len(out.IDs)
			b.add(out)
		case ModeIDs:
			res.Need = append(res.Need, r.IDs...)
			b.add(Range{upper: r.upper})
		default:
			return nil, res, fmt.Errorf("%w: unknown range mode %d", ErrMalformed, r.Mode)
		}
	}
	if len(m.Ranges) == 0 || !prev.inf {
		return nil, res, fmt.Errorf("%w: ranges do not reach the end of the item space", ErrMalformed)
	}
	return &b.out, res, nil
}
