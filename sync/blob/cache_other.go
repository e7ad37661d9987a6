//go:build !linux

package blob

import "os"

// dropCached does nothing beside Linux.
func dropCached(*os.File, int64, int64) {}

// syncFile makes the data written to f durable.
func syncFile(f *os.File) error { return f.Sync() }
