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
