//go:build unix

package relay

import (
	"io/fs"
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used so
// far: on a shared machine it tells how much work a benchmark did where
// wall time also counts what others ran.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocated is what file fi takes on disk: its allocated blocks, so
// sparse preallocation does not count.
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}
