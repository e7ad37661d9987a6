package store

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// madvPageout is Linux's MADV_PAGEOUT (5.4 and later): reclaim these
// pages now. Unlike MADV_DONTNEED it never discards data, whatever the
// range holds by the time it is given, so a table unmapped and its
// addresses reused between reading the maps and advising loses nothing.
const madvPageout = 21

// ReleaseTablePages asks the kernel to take back the pages of Badger's
// table files that the process has read through their mappings. Badger
// maps its tables and a node reads all of them once, at start (package
// replica rebuilds its communities from them), then answers from memory:
// without this, every table stays resident for the node's life, counted
// in its memory (about 80 MB for a community of 5,000 members and 100,000
// messages), though nothing reads it. Pages read again later come back
// from the file. It does nothing for a store not on Badger or on a
// kernel without MADV_PAGEOUT.
func (s *DS) ReleaseTablePages() error {
	if s.dir == "" {
		return nil
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	var errs []error
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		start, end, path, ok := parseMapsLine(sc.Text())
		if !ok || !strings.HasPrefix(path, s.dir+"/") || !strings.HasSuffix(path, ".sst") {
			continue
		}
		if _, _, e := syscall.Syscall(syscall.SYS_MADVISE, start, end-start, madvPageout); e != 0 && e != syscall.ENOMEM {
			// ENOMEM: the table was unmapped meanwhile.
			if e == syscall.EINVAL {
				return nil // a kernel before 5.4
			}
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// parseMapsLine reads a line of /proc/self/maps: "start-end perms offset
// dev inode path".
func parseMapsLine(line string) (start, end uintptr, path string, ok bool) {
	f := strings.Fields(line)
	if len(f) < 6 {
		return 0, 0, "", false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return 0, 0, "", false
	}
	a, err1 := strconv.ParseUint(lo, 16, 64)
	b, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || b <= a {
		return 0, 0, "", false
	}
	return uintptr(a), uintptr(b), strings.Join(f[5:], " "), true
}
