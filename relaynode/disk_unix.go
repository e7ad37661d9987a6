//go:build unix

package relaynode

import (
	"io/fs"
	"syscall"
)

// onDisk returns the bytes a file takes on disk: its allocated blocks,
// not its length (Badger preallocates its value log files, sparse).
func onDisk(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return int64(st.Blocks) * 512
	}
	return info.Size()
}
