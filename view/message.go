package view

import (
	"encoding/hex"
	"time"

	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// namer gives members' names and peer ids, remembering them for one
// conversion (a peer id's text costs a base58 encoding).
type namer struct {
	st    *crdt.State
	src   Names
	names map[crdt.PublicKey]string
	peers map[crdt.PublicKey]string
}

func newNamer(st *crdt.State, src Names) *namer {
	return &namer{st: st, src: src, names: map[crdt.PublicKey]string{}, peers: map[crdt.PublicKey]string{}}
}

func (nm *namer) name(k crdt.PublicKey) string {
	s, ok := nm.names[k]
	if !ok {
		s = nm.src.Name(nm.st, k)
		nm.names[k] = s
	}
	return s
}

func (nm *namer) peer(k crdt.PublicKey) string {
	s, ok := nm.peers[k]
	if !ok {
		s = nm.src.PeerID(k)
		nm.peers[k] = s
	}
	return s
}

// message converts the i-th post of s.
func (s *shownList) message(nm *namer, self crdt.PublicKey, i int) api.Message {
	p := s.at(i)
	m := messageOf(nm, self, &p)
	m.Index = i
	if m.ReplyTo != nil {
		m.Quote = s.quote(nm, *m.ReplyTo)
	}
	return m
}

// quote is what a reply to post id shows of it.
func (s *shownList) quote(nm *namer, id crdt.ID) *api.Quote {
	i := s.indexOf(id)
	if i < 0 {
		return &api.Quote{ID: id, Missing: true, Index: -1}
	}
	p := s.at(i)
	return &api.Quote{ID: id, AuthorName: nm.name(p.Author), Text: firstRunes(p.Text, api.QuoteRunes), Deleted: p.Deleted, Hidden: p.Hidden != nil, Index: i}
}

// firstRunes returns the first n runes of s.
func firstRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// messageOf converts post p, as self sees it, into the api.Message the app
// shows: the one place a post becomes a message.
func messageOf(nm *namer, self crdt.PublicKey, p *crdt.Post) api.Message {
	m := api.Message{ID: p.ID, Kind: p.Kind.String(), Author: nm.peer(p.Author), AuthorName: nm.name(p.Author),
		Text: p.Text, Time: time.UnixMilli(p.Time), Mine: p.Author == self, Edited: p.Edited,
		Deleted: p.Deleted, Pinned: p.Pinned}
	if am := nm.st.Members[p.Author]; am != nil {
		m.AuthorPhoto = am.Photo
	}
	if !p.ReplyTo.IsZero() {
		r := p.ReplyTo
		m.ReplyTo = &r
	}
	for _, k := range p.Mentions {
		m.Mentions = append(m.Mentions, nm.peer(k))
		m.MentionsMe = m.MentionsMe || k == self
	}
	if p.Deleted {
		m.DeletedBy = nm.name(p.DeletedBy)
	}
	m.Hidden, m.HiddenCause = api.HiddenOf(p.Hidden)
	for _, r := range p.Reactions {
		rr := api.Reaction{Emoji: r.Emoji, Count: len(r.By)}
		for _, k := range r.By {
			rr.By = append(rr.By, nm.name(k))
			rr.Mine = rr.Mine || k == self
		}
		m.Reactions = append(m.Reactions, rr)
	}
	if f := p.File; f != nil {
		m.Kind = "file"
		m.File = FileOf(f)
	}
	if pv := p.Poll; pv != nil {
		pl := &api.Poll{Question: pv.Question, Multi: pv.Multi, Closed: pv.Closed, Voters: pv.Voters}
		if pv.Closes != 0 {
			t := time.UnixMilli(pv.Closes)
			pl.Closes = &t
		}
		for i, opt := range pv.Options {
			po := api.PollOption{Text: opt, By: []string{}}
			for _, k := range pv.Votes[i] {
				po.By = append(po.By, nm.name(k))
				if k == self {
					pl.MyChoices = append(pl.MyChoices, i)
				}
			}
			po.Votes = len(pv.Votes[i])
			pl.Options = append(pl.Options, po)
		}
		m.Poll = pl
	}
	teamCards(nm, self, p, &m)
	if c := p.Call; c != nil {
		m.Call = callRowOf(nm, c)
	}
	return m
}

// callRowOf is the row of call c in its conversation.
func callRowOf(nm *namer, c *crdt.CallView) *api.CallRow {
	r := &api.CallRow{Video: c.Video, StartedBy: nm.peer(c.Caller), Active: !c.Ended, Lapsed: c.Lapsed, Joined: []string{}}
	if c.Ended {
		r.Duration = api.Duration(time.Duration(c.Duration) * time.Millisecond)
	}
	for _, k := range c.Joined {
		r.Joined = append(r.Joined, nm.peer(k))
	}
	return r
}

// FileOf is the api.File of a file reference.
func FileOf(f *crdt.FileRef) *api.File {
	return &api.File{Name: f.Name, Size: f.Size, Mime: f.Mime, Root: hex.EncodeToString(f.Root), Key: f.Key, Thumb: f.Thumb}
}
