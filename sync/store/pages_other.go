//go:build !linux

package store

// ReleaseTablePages does nothing off Linux (see pages_linux.go).
func (s *DS) ReleaseTablePages() error { return nil }
