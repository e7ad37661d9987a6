package ui

import (
	"context"
	enchex "encoding/hex"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/act"
	"github.com/umbrella-p2p/umbrella/api"
	"github.com/umbrella-p2p/umbrella/crdt"
)

// fakeFiles are the fake's shared files, by message, and how its
// downloads go: chunk bytes at a time, the clock advancing step per
// chunk, onChunk told after each (outside the lock: a test pauses there).
type fakeFiles struct {
	byMsg   map[crdt.ID]*fakeFile
	chunk   int64
	step    time.Duration
	onChunk func(msg crdt.ID, have int64)
	// noSource: no member who has a file is online.
	noSource bool
	// dropped are the sources a download reports it dropped, from its
	// second chunk on.
	dropped []api.RefusedSource
	// gets counts downloads started (GetFile calls that had to fetch).
	gets int
	// storing, if set, is called by SendFileWithProgress with the file's
	// size and the progress callback, before the file is posted.
	storing func(size int64, progress func(api.FileProgress))
	// deadlines counts SendFileWithProgress calls whose context had a
	// deadline.
	deadlines int
	// relay is how the push of each file message to the relays goes.
	relay map[crdt.ID]*api.RelayPush
}

type fakeFile struct {
	cid, gid crdt.ID
	data     []byte
	have     int64
}

// addFile records a file message's content; have is how much is here.
func (f *fakeBackend) addFile(cid, gid, msg crdt.ID, data []byte, have int64) {
	if f.files.byMsg == nil {
		f.files.byMsg = map[crdt.ID]*fakeFile{}
	}
	f.files.byMsg[msg] = &fakeFile{cid: cid, gid: gid, data: data, have: have}
}

// deliverFile adds a file message by someone else, as if it arrived.
func (f *fakeBackend) deliverFile(cid, gid crdt.ID, author, name, mimeType string, data []byte, caption string) crdt.ID {
	f.mu.Lock()
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	_, g, _ := f.group(cid, gid)
	file := &api.File{Name: name, Size: int64(len(data)), Mime: mimeType, Root: enchex.EncodeToString(id[:])}
	if isImage(mimeType) {
		file.Thumb = act.Thumbnail(data)
	}
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "file", Author: "peer-" + author, AuthorName: author, Text: caption, Time: f.clock, File: file})
	f.addFile(cid, gid, id, data, 0)
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
	return id
}

func (f *fakeBackend) Message(cid, gid, id crdt.ID) (api.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, g, m, err := f.find(cid, gid, id)
	if err != nil {
		return api.Message{}, err
	}
	i := slices.IndexFunc(g.msgs, func(x api.Message) bool { return x.ID == m.ID })
	return f.page(g, i, i+1)[0], nil
}

func (f *fakeBackend) SendFileWithProgress(ctx context.Context, cid, gid crdt.ID, path, caption string, progress func(api.FileProgress)) (api.SentFile, error) {
	data, err := f.storeFile(ctx, path, progress)
	if err != nil {
		return api.SentFile{}, err
	}
	f.mu.Lock()
	err = f.enter("SendFile")
	var g *fakeGroup
	if err == nil {
		var c *fakeCommunity
		c, g, err = f.group(cid, gid)
		if err == nil && !f.groupInfo(c, g).CanPost {
			err = fmt.Errorf("%w: a member may not post here", crdt.ErrUnauthorized)
		}
	}
	if err != nil {
		f.mu.Unlock()
		return api.SentFile{}, err
	}
	id := f.id()
	f.clock = f.clock.Add(time.Minute)
	name := filepath.Base(path)
	file := sharedFile(id, name, data)
	g.msgs = append(g.msgs, api.Message{ID: id, Kind: "file", Author: f.self.PeerID, AuthorName: f.self.Name, Text: caption, Time: f.clock, Mine: true, File: file})
	f.posts = append(f.posts, "file:"+name)
	f.addFile(cid, gid, id, data, int64(len(data)))
	f.mu.Unlock()
	f.emit(api.Event{Kind: api.EventMessages, Community: cid, Group: gid})
	return api.SentFile{ID: id, File: *file}, nil
}

// storeFile reads the file at path as a node stores one to share,
// telling progress how far (through the test's storing hook), and returns
// its bytes; when ctx ends first (Cancel) it stores nothing and fails
// with ctx's error, as files.Library.Keep does. f.mu is not held.
func (f *fakeBackend) storeFile(ctx context.Context, path string, progress func(api.FileProgress)) ([]byte, error) {
	if _, ok := ctx.Deadline(); ok {
		f.files.deadlines++
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("send file: %w", err)
	}
	if f.files.storing != nil { // the test reports the progress of storing it
		f.files.storing(int64(len(data)), progress)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("share %s: %w", filepath.Base(path), err)
	}
	return data, nil
}

// sharedFile is the file data named name that post id shares.
func sharedFile(id crdt.ID, name string, data []byte) *api.File {
	mt, _, _ := strings.Cut(mime.TypeByExtension(filepath.Ext(name)), ";")
	if mt == "" {
		mt = "application/octet-stream"
	}
	file := &api.File{Name: name, Size: int64(len(data)), Mime: mt, Root: enchex.EncodeToString(id[:])}
	if isImage(mt) {
		file.Thumb = act.Thumbnail(data)
	}
	return file
}

func (f *fakeBackend) GetFile(ctx context.Context, cid, gid, msg crdt.ID, out string, progress func(api.FileProgress)) (api.GotFile, error) {
	f.mu.Lock()
	if err := f.enter("GetFile"); err != nil {
		f.mu.Unlock()
		return api.GotFile{}, err
	}
	ff := f.files.byMsg[msg]
	_, _, m, err := f.find(cid, gid, msg)
	if err != nil || ff == nil || m.File == nil {
		f.mu.Unlock()
		return api.GotFile{}, fmt.Errorf("message %s: %w", msg.Short(), api.ErrNotFile)
	}
	name, size := m.File.Name, int64(len(ff.data))
	chunk, step := max(f.files.chunk, 64<<10), f.files.step
	if step == 0 {
		step = 10 * time.Millisecond
	}
	if ff.have < size {
		f.files.gets++
		if f.files.noSource {
			f.mu.Unlock()
			return api.GotFile{}, fmt.Errorf("%s: %w", name, api.ErrNoSource)
		}
	}
	f.mu.Unlock()
	for {
		f.mu.Lock()
		have := ff.have
		f.mu.Unlock()
		if have >= size {
			break
		}
		if err := ctx.Err(); err != nil {
			return api.GotFile{}, err
		}
		f.mu.Lock()
		ff.have = min(size, ff.have+chunk)
		f.clock = f.clock.Add(step)
		have = ff.have
		onChunk := f.files.onChunk
		var dropped []api.RefusedSource
		if have > chunk {
			dropped = f.files.dropped
		}
		f.mu.Unlock()
		if progress != nil {
			progress(api.FileProgress{Have: have, Size: size, Sources: 2, Dropped: dropped})
		}
		if onChunk != nil {
			onChunk(msg, have)
		}
	}
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		out = filepath.Join(out, name)
	}
	if err := os.WriteFile(out, ff.data, 0o600); err != nil {
		return api.GotFile{}, err
	}
	return api.GotFile{Path: out, Size: size, Root: m.File.Root}, nil
}

func (f *fakeBackend) entry(c *fakeCommunity, g *fakeGroup, m api.Message) api.FileEntry {
	ff := f.files.byMsg[m.ID]
	e := api.FileEntry{Message: m.ID, Group: g.info.ID, Name: m.File.Name, Size: m.File.Size, Mime: m.File.Mime, Root: m.File.Root,
		Author: m.Author, AuthorName: m.AuthorName, Time: m.Time, State: api.FileRemote, Promo: m.Promo != nil}
	if m.Promo != nil {
		e.PromoEnds = m.Promo.Ends
	}
	if p := f.files.relay[m.ID]; p != nil {
		e.Relay = new(*p)
	}
	if ff != nil {
		e.HaveBytes = ff.have
		switch {
		case ff.have >= int64(len(ff.data)):
			e.State = api.FileComplete
		case ff.have > 0:
			e.State = api.FilePartial
		}
	}
	return e
}

func (f *fakeBackend) Files(cid, gid crdt.ID) ([]api.FileEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("Files"); err != nil {
		return nil, err
	}
	c := f.comm(cid)
	if c == nil {
		return nil, errors.New("unknown community")
	}
	var out []api.FileEntry
	for _, g := range c.groups {
		if !gid.IsZero() && g.info.ID != gid {
			continue
		}
		for _, m := range g.msgs {
			if m.File != nil && !m.Deleted {
				out = append(out, f.entry(c, g, m))
			}
		}
	}
	slices.SortStableFunc(out, func(a, b api.FileEntry) int { return b.Time.Compare(a.Time) })
	return out, nil
}

func (f *fakeBackend) FileStatus(cid, msg crdt.ID) (api.FileEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls["FileStatus"]++
	ff := f.files.byMsg[msg]
	if ff == nil {
		return api.FileEntry{}, api.ErrNotFile
	}
	c, g, m, err := f.find(cid, ff.gid, msg)
	if err != nil {
		return api.FileEntry{}, err
	}
	return f.entry(c, g, *m), nil
}

func (f *fakeBackend) DeleteLocalFile(_ context.Context, cid, msg crdt.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.enter("DeleteLocalFile"); err != nil {
		return err
	}
	ff := f.files.byMsg[msg]
	if ff == nil {
		return api.ErrNotFile
	}
	ff.have = 0
	return nil
}
