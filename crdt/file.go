package crdt

import (
	"bytes"
	"errors"
	"fmt"
)

// ErrFileTooLarge refuses a file above the community's limit (FileLimit).
var ErrFileTooLarge = errors.New("file too large")

// FileLimit is the largest file, in clear bytes, members may share in the
// community: the limit its admins set in the settings, or the protocol's
// MaxFileSize (2 GiB) when they set none. A member's node refuses to
// share a larger file, and to fetch one that a message shares anyway (a
// message written before the limit, or by a node that ignores it).
func (s *State) FileLimit() int64 {
	if s.FileSizeLimit > 0 && s.FileSizeLimit < MaxFileSize {
		return s.FileSizeLimit
	}
	return MaxFileSize
}

// CheckFileSize refuses, with ErrFileTooLarge and the limit in words, a
// file of size clear bytes above FileLimit.
func (s *State) CheckFileSize(size int64) error {
	if lim := s.FileLimit(); size > lim {
		who := "files are"
		if lim < MaxFileSize {
			who = "this community's admins allow files of"
		}
		return fmt.Errorf("%w: %s, %s at most %s", ErrFileTooLarge, SizeText(size), who, SizeText(lim))
	}
	return nil
}

// SizeText is a size in bytes for people: "1.4 GiB", "300 MiB", "12 KiB",
// "512 bytes" (powers of 1024, named as such, and whole numbers when they
// are).
func SizeText(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB"}
	f, u := float64(n), 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	if u == 0 || f == float64(int64(f)) {
		return fmt.Sprintf("%d %s", int64(f), units[u])
	}
	return fmt.Sprintf("%.1f %s", f, units[u])
}

// MayFetch reports whether member k may fetch the file at root from this
// node at now (unix milliseconds): whether a post that shares it is in a
// group k may read in the current state — a message not deleted, or a
// promotion showing it that is neither deleted nor ended at now (a
// promotion's card is the one place its file is shared: no message
// carries it). A removed member reads no group, so it fetches nothing; a
// member who may read a group fetches every file shared there, as it
// reads every message. It folds the groups' views: callers ask once per
// stream, not per chunk.
func (c *Community) MayFetch(k PublicKey, root []byte, now int64) bool {
	st := c.State()
	for _, g := range c.ContentLogs() {
		if !st.MayRead(k, g) {
			continue
		}
		for _, p := range c.View(g).Posts {
			if p.File != nil && bytes.Equal(p.File.Root, root) {
				return true
			}
			if pr := p.Promo; pr != nil && pr.File != nil && bytes.Equal(pr.File.Root, root) && now < pr.Ends {
				return true
			}
		}
	}
	return false
}
