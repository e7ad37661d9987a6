package blob

import (
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Limits of the file format, the store and the transfer protocol.
const (
	// MaxSize bounds a file's clear size: 2 GiB. A larger file is refused
	// with ErrTooLarge.
	MaxSize = crdt.MaxFileSize

	// Group is the bao chunk-group exponent: a group is 2^Group BLAKE3
	// chunks of 1 KiB, and one encrypted chunk fills exactly one group,
	// so a chunk is verified against the root with one slice.
	Group = 8
	// ChunkSize is the size of one encrypted chunk (the last may be
	// shorter): one bao chunk group.
	ChunkSize = 1024 << Group
	// PlainChunk is how many clear bytes one chunk carries.
	PlainChunk = ChunkSize - Overhead
	// Overhead is the AEAD tag each chunk adds.
	Overhead = 16

	// MaxChunks bounds the chunks of a file.
	MaxChunks = (MaxSize + PlainChunk - 1) / PlainChunk

	// MaxWindow bounds the chunks one Range request names, and so the
	// chunks a source has in flight for one downloader.
	MaxWindow = 16
	// MaxRequest bounds a request frame: a root and MaxWindow indexes.
	MaxRequest = 256
	// MaxSlice bounds one bao slice of one chunk: the chunk and the
	// sibling hashes on its path (at most 64 levels) and a length.
	MaxSlice = ChunkSize + 64*64 + 8
	// MaxChunkFrame bounds a frame that carries one chunk.
	MaxChunkFrame = MaxSlice + 64
	// MaxTree bounds the outboard tree of the largest file, and
	// MaxTreeFrame the frame that carries one.
	MaxTree      = (MaxChunks-1)*64 + 8
	MaxTreeFrame = MaxTree + 64
	// MaxHaveFrame bounds a have-bitmap frame: one bit a chunk.
	MaxHaveFrame = MaxChunks/8 + 64

	// CommitEvery is how many chunks a download writes before it syncs
	// them and records them as held (see Store): what a kill may cost
	// beside the chunks in flight, 4 MiB.
	CommitEvery = 16

	// Window is how many chunks a downloader asks one source for in one
	// request, and Pipeline how many such requests it keeps out at once.
	Window   = 8
	Pipeline = 2
	// Stall is how long a downloader waits for a source's next chunk
	// before it gives the source's chunks to the others; only the
	// waiting counts, not the time the downloader stores the last one.
	Stall = 15 * time.Second
	// HaveRefresh is how often a downloader asks a source that has none
	// of the chunks it lacks what it has now.
	HaveRefresh = 2 * time.Second
	// GiveUp is how many times in a row a downloader asks a source what
	// it has, and finds nothing it lacks, before it stops asking.
	GiveUp = 30
	// Idle is how long a server waits for a requester's next request;
	// a requester that took longer (storing on a slow disk) opens
	// another stream.
	Idle = 30 * time.Second
)
