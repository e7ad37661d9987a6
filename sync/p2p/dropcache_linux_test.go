//go:build linux

package p2p

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncDrop makes the n bytes of f at off durable and drops their pages
// from the page cache, as the blob store does with each group of chunks.
func syncDrop(f *os.File, off, n int64) error {
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), off, n, unix.FADV_DONTNEED)
}
