//go:build linux

package blob

import (
	"os"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident counts the pages of the file at path that are in the page
// cache.
func resident(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, e := syscall.Syscall(syscall.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Fatal(e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestDownloadLeavesNoCache: the chunks a download stored and synced
// leave the page cache, so that a 2 GiB download does not fill it (and
// then pay for reclaiming pages on every write); the file still reads
// back whole.
func TestDownloadLeavesNoCache(t *testing.T) {
	ss, sf, k, plain := sender(t, 4*CommitEvery*PlainChunk, 11)
	rs, f := receiver(t, sf)
	var fs unix.Statfs_t
	if unix.Statfs(rs.dir, &fs) == nil && fs.Type == unix.TMPFS_MAGIC {
		t.Skip("on tmpfs the page cache is the file")
	}
	defer f.Close()
	src, err := ss.Lookup(sf.Root())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := f.SetTree(src.Tree()); err != nil { // as from a source: no hashing of the whole file at the end
		t.Fatal(err)
	}
	for i := range f.Chunks() {
		if err := f.PutSlice(i, slice(t, src, i)); err != nil {
			t.Fatal(err)
		}
	}
	if !f.Complete() {
		t.Fatal("not complete")
	}
	pages := int(f.cipherSize) / os.Getpagesize()
	// A few pages may come back meanwhile (the kernel's readahead).
	if n := resident(t, f.store.path(f.root, "data")); n > pages/4+1 {
		t.Fatalf("%d of the file's %d pages stay in the page cache", n, pages)
	}
	if got := decrypted(t, f, k); string(got) != string(plain) {
		t.Fatal("the file reads back different")
	}
}
