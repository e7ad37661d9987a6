//go:build linux || darwin

package blob

import (
	"fmt"
	"syscall"
)

// freeSpace is how many bytes an unprivileged writer may still write on
// the file system of dir.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}
