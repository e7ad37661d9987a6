package crdt

import (
	"encoding/binary"
	"iter"
)

// entryIndex holds a timeline's entries by op id. A map keyed by the whole
// 32-byte id cost about 85 bytes per entry beside the entry itself (the
// largest timeline holds every message of a group); this one is keyed by
// the id's first 8 bytes, and entries whose ids share them — ids are
// BLAKE3 hashes, so almost never, and a peer that grinds ids to collide
// only makes its own chain longer — are chained through Entry.next, so a
// lookup is always exact. The zero value is empty.
type entryIndex struct {
	m map[uint64]*Entry
	n int
}

func entryKey(id ID) uint64 { return binary.LittleEndian.Uint64(id[:8]) }

// get returns the entry of op id, or nil.
func (x *entryIndex) get(id ID) *Entry {
	for e := x.m[entryKey(id)]; e != nil; e = e.next {
		if e.Op.id == id {
			return e
		}
	}
	return nil
}

// put adds e unless an entry of its op is there already.
func (x *entryIndex) put(e *Entry) {
	id := e.Op.ID()
	if x.get(id) != nil {
		return
	}
	if x.m == nil {
		x.m = map[uint64]*Entry{}
	}
	k := entryKey(id)
	e.next = x.m[k]
	x.m[k] = e
	x.n++
}

// len returns the number of entries.
func (x *entryIndex) len() int { return x.n }

// all yields every entry, in no particular order.
func (x *entryIndex) all() iter.Seq[*Entry] {
	return func(yield func(*Entry) bool) {
		for _, e := range x.m {
			for ; e != nil; e = e.next {
				if !yield(e) {
					return
				}
			}
		}
	}
}
