package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// pipeSource serves a store over net.Pipe; wrap, when set, wraps the
// responder's end of each stream.
type pipeSource struct {
	name  string
	store *Store
	allow func(Root) error
	wrap  func(io.ReadWriteCloser) io.ReadWriteCloser
	lim   *Limiter
	opens int
	// buffer, when set, makes each stream a bufPipe of that many bytes
	// a direction, not a net.Pipe.
	buffer int
	// gone, when set, is the source gone after its first stream: no
	// other opens.
	gone bool
}

func (p *pipeSource) Name() string { return p.name }

func (p *pipeSource) Open(context.Context) (io.ReadWriteCloser, error) {
	if p.gone && p.opens > 0 {
		return nil, errors.New("gone")
	}
	p.opens++
	var c, s io.ReadWriteCloser
	if p.buffer > 0 {
		c, s = bufPipe(p.buffer)
	} else {
		c, s = net.Pipe()
	}
	var rw io.ReadWriteCloser = s
	if p.wrap != nil {
		rw = p.wrap(s)
	}
	allow := p.allow
	if allow == nil {
		allow = func(Root) error { return nil }
	}
	go Serve(rw, p.store, allow, p.lim)
	return c, nil
}

// sender adds a file of size random bytes to a fresh store.
func sender(t *testing.T, size int, seed uint64) (*Store, *File, Key, []byte) {
	t.Helper()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	plain := randomBytes(size, seed)
	k := mustKey(t)
	f, err := s.Add(bytes.NewReader(plain), int64(size), k)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return s, f, k, plain
}

// receiver opens the file at root in a fresh store.
func receiver(t *testing.T, like *File) (*Store, *File) {
	t.Helper()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(like.Root(), like.Size())
	if err != nil {
		t.Fatal(err)
	}
	return s, f
}

// badReports collects Options.Bad reports.
type badReports struct {
	mu  sync.Mutex
	got map[string]error
}

func (b *badReports) report(src string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.got == nil {
		b.got = map[string]error{}
	}
	b.got[src] = err
}

func TestFetchOneSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 10*PlainChunk+5, 1)
		_, f := receiver(t, sf)
		defer f.Close()
		var last int
		stats, err := Fetch(t.Context(), f, []Source{&pipeSource{name: "a", store: ss}}, Options{Progress: func(h, _ int) { last = h }})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Chunks["a"] != 11 || last != 11 {
			t.Fatalf("stats %v, progress %d; want 11 chunks from a", stats.Chunks, last)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
		// The receiver now serves it in turn.
		if _, err := f.SliceOf(10); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFetchThreeSources: a file whose chunks are spread over three
// partial holders comes whole from all three. Each holds four chunks no
// other holds, so each must send some, however the sources' goroutines
// are scheduled (with one holder of the whole file, the others could
// have nothing left to send when a slow one's first answer came), and
// all hold the other twelve.
func TestFetchThreeSources(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 24*PlainChunk, 2)
		var srcs []Source
		for n, name := range []string{"a", "b", "c"} {
			own := func(i int) bool { return i >= 12 || i/4 == n }
			srcs = append(srcs, &pipeSource{name: name, store: partial(t, ss, sf.Root(), own)})
		}
		_, f := receiver(t, sf)
		defer f.Close()
		stats, err := Fetch(t.Context(), f, srcs, Options{Window: 2})
		if err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, name := range []string{"a", "b", "c"} {
			if stats.Chunks[name] < 4 {
				t.Errorf("%d chunks came from %s, want its own 4 at least: %v", stats.Chunks[name], name, stats.Chunks)
			}
			total += stats.Chunks[name]
		}
		if total != 24 {
			t.Errorf("%d chunks fetched for 24: %v", total, stats.Chunks)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// partial returns a fresh store that holds the chunks of the file at
// root in from for which own is true, and the file's tree.
func partial(t *testing.T, from *Store, root Root, own func(int) bool) *Store {
	t.Helper()
	src, err := from.Lookup(root)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	s, f := receiver(t, src)
	defer f.Close()
	for i := range src.Chunks() {
		if own(i) {
			if err := f.PutSlice(i, slice(t, src, i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SetTree(src.Tree()); err != nil {
		t.Fatal(err)
	}
	return s
}

func copyFile(t *testing.T, from, to *Store, r Root) {
	f, err := from.Lookup(r)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := to.Open(r, f.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for i := range f.Chunks() {
		if err := g.PutSlice(i, slice(t, f, i)); err != nil {
			t.Fatal(err)
		}
	}
}

// liar flips a bit of every chunk it sends.
type liar struct{ io.ReadWriteCloser }

func (l liar) Write(p []byte) (int, error) {
	if len(p) > 4096 {
		p = bytes.Clone(p)
		p[len(p)-100] ^= 1
	}
	return l.ReadWriteCloser.Write(p)
}

func TestFetchLyingSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 8*PlainChunk, 3)
		_, f := receiver(t, sf)
		defer f.Close()
		var bad badReports
		srcs := []Source{
			&pipeSource{name: "liar", store: ss, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser { return liar{rw} }},
			&pipeSource{name: "honest", store: ss},
		}
		stats, err := Fetch(t.Context(), f, srcs, Options{Window: 2, Bad: bad.report})
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(bad.got["liar"], ErrChunk) || len(bad.got) != 1 {
			t.Fatalf("bad reports %v, want the liar's bad chunk", bad.got)
		}
		if stats.Chunks["liar"] != 0 || stats.Chunks["honest"] != 8 {
			t.Fatalf("stats %v", stats.Chunks)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// staller sends its first after frames, then nothing until stop closes.
type staller struct {
	io.ReadWriteCloser
	after int
	stop  chan struct{}
}

func (s *staller) Write(p []byte) (int, error) {
	if s.after <= 0 {
		<-s.stop
		return 0, io.ErrClosedPipe
	}
	s.after--
	return s.ReadWriteCloser.Write(p)
}

func TestFetchStallingSource(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 8*PlainChunk, 4)
		_, f := receiver(t, sf)
		defer f.Close()
		stop := make(chan struct{})
		defer close(stop)
		var bad badReports
		srcs := []Source{
			// have and tree (a length and a frame each), then one chunk
			// (its frame written whole)
			&pipeSource{name: "staller", store: ss, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser {
				return &staller{ReadWriteCloser: rw, after: 5, stop: stop}
			}},
			&pipeSource{name: "slow", store: ss, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser {
				return &delayed{rw}
			}},
		}
		start := time.Now()
		stats, err := Fetch(t.Context(), f, srcs, Options{Window: 4, Stall: 5 * time.Second, Bad: bad.report})
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(bad.got["staller"], ErrStalled) {
			t.Fatalf("bad reports %v, want the staller stalled", bad.got)
		}
		if d := time.Since(start); d < 5*time.Second || d > 20*time.Second {
			t.Fatalf("fetch took %v", d)
		}
		if stats.Chunks["staller"] != 1 || stats.Chunks["slow"] != 7 {
			t.Fatalf("stats %v", stats.Chunks)
		}
		if !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatal("fetched file differs")
		}
	})
}

// delayed sends each write a second late: a slow but live source.
type delayed struct{ io.ReadWriteCloser }

func (d *delayed) Write(p []byte) (int, error) {
	time.Sleep(time.Second) // fake time, in the bubble
	return d.ReadWriteCloser.Write(p)
}

// dies closes the stream after its first after writes.
type dies struct {
	io.ReadWriteCloser
	after int
}

func (d *dies) Write(p []byte) (int, error) {
	if d.after <= 0 {
		d.ReadWriteCloser.Close()
		return 0, io.ErrClosedPipe
	}
	d.after--
	return d.ReadWriteCloser.Write(p)
}

// TestFetchResume: a download cut off midway, by the source's going away
// and then a crash of the receiver, resumes with only the chunks it
// lacks.
func TestFetchResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 12*PlainChunk, 5)
		dir := t.TempDir()
		rs, _ := NewStore(dir)
		f, _ := rs.Open(sf.Root(), sf.Size())
		// have, tree (two writes a frame), then five chunks (one write a
		// frame)
		gone := &pipeSource{name: "a", store: ss, gone: true, wrap: func(rw io.ReadWriteCloser) io.ReadWriteCloser {
			return &dies{ReadWriteCloser: rw, after: 2*2 + 5}
		}}
		_, err := Fetch(t.Context(), f, []Source{gone}, Options{Window: 4})
		if !errors.Is(err, ErrNoSources) {
			t.Fatalf("fetch from a source that went: %v", err)
		}
		if n, _ := f.Progress(); n != 5 {
			t.Fatalf("%d chunks held before the crash, want 5", n)
		}
		// Crash: the store is dropped unclosed, with a torn record.
		appendFile(t, rs.path(sf.Root(), "have"), []byte{0, 0, 0})

		rs2, _ := NewStore(dir)
		f2, err := rs2.Open(sf.Root(), sf.Size())
		if err != nil {
			t.Fatal(err)
		}
		defer f2.Close()
		if err := rs2.Reserve(f2); err != nil {
			t.Fatal(err)
		}
		stats, err := Fetch(t.Context(), f2, []Source{&pipeSource{name: "a", store: ss}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Chunks["a"] != 7 {
			t.Fatalf("resumed with %d chunks, want the 7 missing", stats.Chunks["a"])
		}
		if !bytes.Equal(decrypted(t, f2, k), plain) {
			t.Fatal("resumed file differs")
		}
	})
}

// TestFetchRefused: a responder whose authorisation refuses the
// requester (a non-member, a removed member) sends it nothing.
func TestFetchRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, _, _ := sender(t, 3*PlainChunk, 6)
		_, f := receiver(t, sf)
		defer f.Close()
		var asked Root
		src := &pipeSource{name: "a", store: ss, allow: func(r Root) error { asked = r; return errors.New("not a member") }}
		_, err := Fetch(t.Context(), f, []Source{src}, Options{})
		if !errors.Is(err, ErrNoSources) || asked != sf.Root() {
			t.Fatalf("fetch refused: %v (asked about %v)", err, asked)
		}
		if n, _ := f.Progress(); n != 0 {
			t.Fatalf("%d chunks fetched from a refusing source", n)
		}
	})
}

// TestServeLimits: a responder refuses malformed and oversized requests
// and files it does not hold.
func TestServeLimits(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, _, _ := sender(t, 3*PlainChunk, 7)
		root := sf.Root()
		for name, req := range map[string]Request{
			"short root":    {Kind: KindHave, Root: root[:5]},
			"unknown kind":  {Kind: 9, Root: root[:]},
			"too many":      {Kind: KindChunks, Root: root[:], Indexes: make([]uint32, MaxWindow+1)},
			"none":          {Kind: KindChunks, Root: root[:]},
			"beyond":        {Kind: KindChunks, Root: root[:], Indexes: []uint32{MaxChunks}},
			"not held":      {Kind: KindHave, Root: make([]byte, 32)},
			"have, indexes": {Kind: KindHave, Root: root[:], Indexes: []uint32{1}},
		} {
			c, s := net.Pipe()
			done := make(chan error, 1)
			go func() { done <- Serve(s, ss, func(Root) error { return nil }, nil) }()
			go writeFrame(c, &req)
			var resp Response
			if err := readFrame(c, &resp, MaxTreeFrame); err != nil || resp.Error == "" {
				t.Errorf("%s: answer %+v, %v; want an error", name, resp, err)
			}
			if err := <-done; err == nil {
				t.Errorf("%s: served on", name)
			}
			c.Close()
		}
		// An unknown chunk of a held file is "not held", not a failure.
		c, s := net.Pipe()
		go Serve(s, ss, func(Root) error { return nil }, nil)
		go writeFrame(c, &Request{Kind: KindChunks, Root: root[:], Indexes: []uint32{7}})
		var ch Chunk
		if err := readFrame(c, &ch, MaxChunkFrame); err != nil || ch.Error != errNotHeld {
			t.Errorf("chunk beyond the file: %+v, %v", ch, err)
		}
		c.Close()
	})
}

// TestFetchPartialSourceGrows: a source that holds part of the file is
// asked again what it has, and the chunks it gets meanwhile come too.
func TestFetchPartialSourceGrows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, k, plain := sender(t, 8*PlainChunk, 8)
		full, _ := ss.Lookup(sf.Root())
		defer full.Close()
		bs, bf := receiver(t, sf)
		defer bf.Close()
		for i := range 3 {
			bf.PutSlice(i, slice(t, full, i))
		}
		bf.SetTree(full.Tree())
		_, f := receiver(t, sf)
		defer f.Close()
		grow := func(held, _ int) {
			if held == 3 { // b has given all it had: it gets the rest
				go func() {
					time.Sleep(time.Second)
					for i := 3; i < 8; i++ {
						bf.PutSlice(i, slice(t, full, i))
					}
				}()
			}
		}
		stats, err := Fetch(t.Context(), f, []Source{&pipeSource{name: "b", store: bs}}, Options{Progress: grow})
		if err != nil {
			t.Fatal(err)
		}
		if stats.Chunks["b"] != 8 || !bytes.Equal(decrypted(t, f, k), plain) {
			t.Fatalf("stats %v", stats.Chunks)
		}
	})
}

// TestServeRate: a Limiter bounds what a node serves over all streams.
func TestServeRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ss, sf, _, _ := sender(t, 8*PlainChunk, 9)
		lim := NewLimiter(1 << 20) // 1 MiB/s; the file is 2 MiB
		var fs []*File
		for range 2 {
			_, f := receiver(t, sf)
			defer f.Close()
			fs = append(fs, f)
		}
		start := time.Now()
		var wg sync.WaitGroup
		for _, f := range fs {
			wg.Go(func() {
				if _, err := Fetch(t.Context(), f, []Source{&pipeSource{name: "a", store: ss, lim: lim}}, Options{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// 4 MiB in all at 1 MiB/s, the first chunk free.
		if d := time.Since(start); d < 3*time.Second+700*time.Millisecond || d > 5*time.Second {
			t.Fatalf("two downloads of 2 MiB at 1 MiB/s took %v", d)
		}
	})
}

// TestFetchThreeSourcesAtOnce: three sources, each bound by its own
// uplink (a Limiter of its own), all serve a share of one file at the
// same time, so the fetch takes about a third of the time one of them
// alone needs: a source is not left idle while another has the window.
func TestFetchThreeSourcesAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const chunks = 48 // 12 MiB of ciphertext
		ss, sf, k, plain := sender(t, chunks*PlainChunk, 10)
		stores := []*Store{ss}
		for range 2 {
			cs, _, _, _ := sender(t, 0, 0)
			copyFile(t, ss, cs, sf.Root())
			stores = append(stores, cs)
		}
		const rate = 2 << 20 // bytes per second, each source
		fetch := func(n int) (time.Duration, Stats) {
			_, f := receiver(t, sf)
			defer f.Close()
			var srcs []Source
			for i, s := range stores[:n] {
				srcs = append(srcs, &pipeSource{name: string(rune('a' + i)), store: s, lim: NewLimiter(rate)})
			}
			start := time.Now()
			stats, err := Fetch(t.Context(), f, srcs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(decrypted(t, f, k), plain) {
				t.Fatal("fetched file differs")
			}
			return time.Since(start), stats
		}
		one, _ := fetch(1)
		three, stats := fetch(3)
		for _, name := range []string{"a", "b", "c"} {
			// Each serves about a third; at least a quarter.
			if stats.Chunks[name] < chunks/4 {
				t.Errorf("%s served %d of %d chunks: %v", name, stats.Chunks[name], chunks, stats.Chunks)
			}
		}
		if three > one*2/5 {
			t.Errorf("three sources took %v, one %v: want under 40 %%", three, one)
		}
	})
}
