package crdt

import (
	"encoding/binary"
	"iter"
)

// entryIndex holds a timeline's entries by op id. A map keyed by the whole
// 32-byte id cost about 85 bytes per entry beside the entry itself (the
// largest timeline holds every message of a group); this one is keyed by
// the id's first 8 bytes. An entry whose id starts like one already held
// — ids are BLAKE3 hashes, so almost never, and a peer that grinds ids to
// collide only fills the overflow — goes into a map by whole id, so a
// lookup is always exact. The zero value is empty.
type entryIndex struct {
	m    map[uint64]*Entry
	over map[ID]*Entry // entries whose id prefix another entry holds in m
}

func entryKey(id ID) uint64 { return binary.LittleEndian.Uint64(id[:8]) }

// get returns the entry of op id, or nil.
func (x *entryIndex) get(id ID) *Entry {
	if e := x.m[entryKey(id)]; e != nil && e.Op.id == id {
		return e
	}
	return x.over[id] // nil map: nil
}

// put adds e unless an entry of its op is there already.
func (x *entryIndex) put(e *Entry) {
	id := e.Op.ID()
	k := entryKey(id)
	switch first := x.m[k]; {
	case first == nil:
		if x.m == nil {
			x.m = map[uint64]*Entry{}
		}
		x.m[k] = e
	case first.Op.id == id || x.over[id] != nil:
		return
	default:
		if x.over == nil {
			x.over = map[ID]*Entry{}
		}
		x.over[id] = e
	}
}

// len returns the number of entries.
func (x *entryIndex) len() int { return len(x.m) + len(x.over) }

// all yields every entry, in no particular order.
func (x *entryIndex) all() iter.Seq[*Entry] {
	return func(yield func(*Entry) bool) {
		for _, e := range x.m {
			if !yield(e) {
				return
			}
		}
		for _, e := range x.over {
			if !yield(e) {
				return
			}
		}
	}
}
