//go:build !linux

package p2p

import "os"

// syncDrop makes f's data durable (the page cache is left as it is).
func syncDrop(f *os.File, _, _ int64) error { return f.Sync() }
