package ui

import (
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// pageSize is how many messages the conversation asks the backend for at
// once; maxPages how many pages it keeps.
const (
	pageSize = 50
	maxPages = 24
)

// msgWindow caches the pages of the open group's messages that the list
// has shown recently, so scrolling asks the backend only for new pages and
// memory stays bounded whatever the group's size.
type msgWindow struct {
	b         Backend
	community crdt.ID
	group     crdt.ID

	total int
	pages map[int][]api.Message // page number → its messages
	used  map[int]uint64        // page number → last use
	tick  uint64
	// fetched counts pages asked of the backend (a test hook).
	fetched int
	err     error // the last fetch's failure, shown by the rows
}

func newMsgWindow(b Backend, cid, gid crdt.ID) *msgWindow {
	return &msgWindow{b: b, community: cid, group: gid, pages: map[int][]api.Message{}, used: map[int]uint64{}}
}

// tail reads the newest page (which also gives the total) and drops every
// other cached page: after a change anything may have moved or changed.
// It returns the page as read.
func (w *msgWindow) tail() (api.Page, error) {
	p, err := w.b.MessagePage(w.community, w.group, -1, pageSize)
	w.fetched++
	if err != nil {
		w.err = err
		return p, err
	}
	w.err = nil
	clear(w.pages)
	clear(w.used)
	w.total = p.Total
	if p.Total > 0 {
		last := (p.Total - 1) / pageSize
		start := last * pageSize
		var msgs []api.Message
		for _, m := range p.Messages {
			if m.Index >= start {
				msgs = append(msgs, m)
			}
		}
		if len(msgs) == p.Total-start {
			w.store(last, msgs)
		}
	}
	return p, nil
}

// get returns message i, fetching its page if needed.
func (w *msgWindow) get(i int) (api.Message, bool) {
	if i < 0 || i >= w.total {
		return api.Message{}, false
	}
	n := i / pageSize
	pg, ok := w.pages[n]
	if !ok {
		p, err := w.b.MessagePage(w.community, w.group, n*pageSize, pageSize)
		w.fetched++
		if err != nil {
			w.err = err
			return api.Message{}, false
		}
		pg = p.Messages
		w.store(n, pg)
	}
	w.tick++
	w.used[n] = w.tick
	k := i - n*pageSize
	if k >= len(pg) {
		return api.Message{}, false
	}
	return pg[k], true
}

func (w *msgWindow) store(n int, msgs []api.Message) {
	w.tick++
	w.pages[n], w.used[n] = msgs, w.tick
	for len(w.pages) > maxPages {
		oldest, at := -1, ^uint64(0)
		for k, t := range w.used {
			if t < at {
				oldest, at = k, t
			}
		}
		delete(w.pages, oldest)
		delete(w.used, oldest)
	}
}

// held counts the messages in memory.
func (w *msgWindow) held() int {
	n := 0
	for _, pg := range w.pages {
		n += len(pg)
	}
	return n
}
