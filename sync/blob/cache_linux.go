//go:build linux

package blob

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCached tells the kernel that the n bytes of f at off, written and
// synced, will not be read soon, so that their pages leave the page cache
// at once (see File.record).
func dropCached(f *os.File, off, n int64) {
	unix.Fadvise(int(f.Fd()), off, n, unix.FADV_DONTNEED) // advice: an error changes nothing
}

// syncFile makes the data written to f durable: fdatasync, which skips
// the metadata a read does not need (the times).
func syncFile(f *os.File) error {
	if err := unix.Fdatasync(int(f.Fd())); err != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
	}
	return nil
}
