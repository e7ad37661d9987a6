package view

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// SharedFile is a file shared in a community as the local member sees it:
// its entry (HaveBytes and State left for the file store to fill in) and
// the key that reads it.
type SharedFile struct {
	api.FileEntry
	Key []byte
}

// Files lists the files shared in the groups of community cid the local
// member reads (only group gid if it is not zero), newest first: the
// messages shown to the local member that share a file and are not
// deleted or hidden, and the promotions showing one.
func (v *Views) Files(cid, gid crdt.ID) ([]SharedFile, error) {
	var out []SharedFile
	err := v.rep.View(cid, func(c *crdt.Community) error {
		st := c.State()
		groups := c.ContentLogs()
		if !gid.IsZero() {
			if _, ok := st.Groups[gid]; !ok {
				return fmt.Errorf("group %s: %w", gid.Short(), api.ErrUnknownGroup)
			}
			groups = []crdt.ID{gid}
		}
		nm := newNamer(st, v.names)
		for _, g := range groups {
			if _, ok := st.Groups[g]; !ok || !st.MayRead(v.self, g) {
				continue
			}
			s := v.shown(c, g)
			for i := range s.len() {
				p := s.at(i)
				ref := p.File
				if ref == nil && p.Promo != nil {
					ref = p.Promo.File // a promotion's image or file downloads like any
				}
				if ref == nil || p.Deleted || p.Hidden != nil {
					continue
				}
				f := FileOf(ref)
				e := api.FileEntry{Message: p.ID, Group: g, Name: f.Name, Size: f.Size, Mime: f.Mime, Root: f.Root,
					Author: nm.peer(p.Author), AuthorName: nm.name(p.Author), Time: time.UnixMilli(p.Time),
					State: api.FileRemote, Promo: p.File == nil}
				if e.Promo {
					e.PromoEnds = time.UnixMilli(p.Promo.Ends)
				}
				out = append(out, SharedFile{Key: f.Key, FileEntry: e})
			}
		}
		return nil
	})
	slices.SortStableFunc(out, func(a, b SharedFile) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.Message.String(), b.Message.String())
	})
	return out, err
}
