package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Source is one peer a file can be pulled from.
type Source interface {
	// Name names the source in reports.
	Name() string
	// Open opens a transfer-protocol stream to it.
	Open(ctx context.Context) (io.ReadWriteCloser, error)
}

// Options tunes Fetch; the zero value uses the package's limits.
type Options struct {
	// Window is how many chunks one source has in flight (Window).
	Window int
	// Stall is how long a source may take to send its next chunk once
	// this end waits for it (Stall); the time this end takes to store
	// the last one does not count.
	Stall time.Duration
	// Refresh is how often a source with nothing useful is asked again
	// what it has (HaveRefresh).
	Refresh time.Duration
	// Bad is told about a source that sent a chunk or a tree that fails
	// verification, or that stalled; Fetch then pulls from the others.
	Bad func(source string, err error)
	// Progress is told the chunks held after each chunk stored.
	Progress func(held, total int)
	// Sequential pulls the lowest chunks first, for someone watching the
	// file as it arrives (a video). By default a fetch pulls the rarest
	// first: of the chunks a source has that the file lacks, those the
	// fewest of this fetch's sources hold, lowest index first among
	// equals, so a chunk only one source holds is taken while that
	// source is still there, and the sources that hold what others also
	// hold are left for it.
	Sequential bool
}

// ErrStalled is a source that sent nothing for Options.Stall.
var ErrStalled = errors.New("source stalled")

// ErrNoSources ends a fetch that no remaining source can finish.
var ErrNoSources = errors.New("no source left")

// Stats tells how a fetch went: chunks stored from each source.
type Stats struct {
	Chunks map[string]int
}

// fetch is the state shared by the sources of one Fetch.
type fetch struct {
	f   *File
	opt Options

	mu       sync.Mutex
	inFlight []bool
	avail    []int32       // guarded by mu; how many sources' last have-bitmaps name each chunk
	changed  chan struct{} // closed and replaced when a claim ends
	got      map[string]int
}

// newFetch returns the state of a fetch into f.
func newFetch(f *File, opt Options) *fetch {
	return &fetch{f: f, opt: opt, inFlight: make([]bool, f.Chunks()), avail: make([]int32, f.Chunks()), changed: make(chan struct{}), got: map[string]int{}}
}

// see replaces a source's have-bitmap old (nil the first time, or when
// it leaves: next nil) by next in the counts of who holds what.
func (st *fetch) see(old, next []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for i := range st.avail {
		if old != nil && old[i/8]&(1<<(i%8)) != 0 {
			st.avail[i]--
		}
		if next != nil && next[i/8]&(1<<(i%8)) != 0 {
			st.avail[i]++
		}
	}
}

// Fetch pulls the chunks f lacks from the sources at once, each with a
// window of chunks in flight, rarest first (or lowest index first, see
// Options.Sequential), until f is complete.
// A source that sends a chunk or tree that fails verification, a frame
// that does not decode, or that stalls, is reported to Options.Bad and dropped, and its chunks go to
// the others; a stream that ends for no fault of the source's after it
// sent chunks is opened again. A source's time runs only while this end
// waits for it, not while this end stores what came, so a slow disk is
// never taken for a stalled source. Fetch fails when ctx ends, with
// ErrDisk when this node's disk fails (a full disk), or with ErrNoSources
// when every source is gone. Interrupted, it resumes from what f holds.
func Fetch(ctx context.Context, f *File, sources []Source, opt Options) (Stats, error) {
	if opt.Window <= 0 || opt.Window > MaxWindow {
		opt.Window = Window
	}
	if opt.Stall <= 0 {
		opt.Stall = Stall
	}
	if opt.Refresh <= 0 {
		opt.Refresh = HaveRefresh
	}
	if opt.Bad == nil {
		opt.Bad = func(string, error) {}
	}
	st := newFetch(f, opt)
	if f.Complete() {
		return Stats{Chunks: st.got}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		fatal atomic.Pointer[error]
	)
	for _, src := range sources {
		wg.Go(func() {
			for {
				before := st.stored(src)
				err := st.pull(ctx, src)
				switch {
				case err == nil, ctx.Err() != nil:
				case errors.Is(err, ErrChunk), errors.Is(err, ErrStalled):
					opt.Bad(src.Name(), err)
				case errors.Is(err, ErrDisk):
					fatal.CompareAndSwap(nil, &err)
					cancel()
				case st.stored(src) > before:
					// The stream ended (closed, reset) with no fault of
					// the source's shown, after it sent chunks: it may
					// have closed an idle stream while this end stored
					// on a slow disk (a server waits Idle for the next
					// request). Another stream goes on; a source that
					// went away fails to open one.
					continue
				}
				return
			}
		})
	}
	wg.Wait()
	flushErr := f.Flush()
	st.mu.Lock()
	stats := Stats{Chunks: st.got}
	st.mu.Unlock()
	short := f.Root().String()[:12]
	if err := fatal.Load(); err != nil {
		return stats, fmt.Errorf("fetch %s: %w", short, *err)
	}
	if flushErr != nil {
		return stats, fmt.Errorf("fetch %s: %w", short, diskErr(flushErr))
	}
	if f.Complete() {
		return stats, nil
	}
	if ctx.Err() != nil {
		return stats, fmt.Errorf("fetch %s: %w", short, ctx.Err())
	}
	held, _ := f.Progress()
	return stats, fmt.Errorf("fetch %s: %w: %d of %d chunks held", short, ErrNoSources, held, f.Chunks())
}

// ErrDisk ends a fetch that this node's disk failed: a verified chunk or
// tree could not be written, synced, recorded or read back (a full disk,
// a permission, an I/O error). No source is blamed (Options.Bad is not
// told), and the chunks recorded before stay held, for the next fetch to
// resume from.
var ErrDisk = errors.New("this node's disk failed to store the file")

// diskErr marks err, of the store, as ErrDisk.
func diskErr(err error) error { return fmt.Errorf("%w: %w", ErrDisk, err) }

// watchdog closes a source's stream when one read from it (of one
// frame) takes longer than Stall. It runs only while this end waits for
// the source, from start before a read to stop after it, so the time this
// end spends verifying and storing what came (a slow disk's group sync, a
// wait for another source's, the caller's Progress) never counts against
// the source, and a source that sends nothing is still caught Stall after
// this end begins to wait for it.
type watchdog struct {
	stall time.Duration
	timer *time.Timer
	fired atomic.Bool // the timer closed the stream
}

func newWatchdog(stall time.Duration, rw io.Closer) *watchdog {
	w := &watchdog{stall: stall}
	w.timer = time.AfterFunc(stall, func() { w.fired.Store(true); rw.Close() })
	w.timer.Stop()
	return w
}

// start arms the watchdog before a read from the source.
func (w *watchdog) start() { w.timer.Reset(w.stall) }

// stop disarms it once the read returns.
func (w *watchdog) stop() { w.timer.Stop() }

// claim takes up to window chunks that have marks and f lacks and that
// no other source is fetching: the rarest first (lowest index first among
// equals), or the lowest first when the fetch is sequential. It returns
// nil when there are none, with the channel that is closed when that may
// change, and whether f lacks any chunk at all.
func (st *fetch) claim(have []byte, window int) (idx []uint32, changed chan struct{}, missing bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	// One pass finds the candidates' lowest count (the sequential order
	// counts every chunk alike), the next takes the chunks at that count
	// in index order, and a further pass the next count while the window
	// has room: in practice one or two passes over the bitmap.
	level := func(i int) int32 {
		if st.opt.Sequential {
			return 0
		}
		return st.avail[i]
	}
	held := st.f.Have() // one snapshot, not a lock of the file per chunk
	has := func(i int) bool { return held[i/8]&(1<<(i%8)) != 0 }
	floor := int32(-1) // counts up to floor are taken
	for len(idx) < window {
		next := int32(-1)
		for i := range st.inFlight {
			if has(i) {
				continue
			}
			missing = true
			if st.inFlight[i] || have[i/8]&(1<<(i%8)) == 0 {
				continue
			}
			if l := level(i); l > floor && (next < 0 || l < next) {
				next = l
			}
		}
		if next < 0 {
			break
		}
		for i := range st.inFlight {
			if st.inFlight[i] || have[i/8]&(1<<(i%8)) == 0 || level(i) != next || has(i) {
				continue
			}
			st.inFlight[i] = true
			idx = append(idx, uint32(i))
			if len(idx) == window {
				break
			}
		}
		floor = next
	}
	return idx, st.changed, missing
}

// stored is how many chunks src sent that were stored.
func (st *fetch) stored(src Source) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.got[src.Name()]
}

// release ends the claims on idx.
func (st *fetch) release(idx []uint32) {
	if len(idx) == 0 {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, i := range idx {
		st.inFlight[i] = false
	}
	close(st.changed)
	st.changed = make(chan struct{})
}

// pull fetches from one source until f is complete, the source fails, or
// ctx ends.
func (st *fetch) pull(ctx context.Context, src Source) (err error) {
	rw, err := src.Open(ctx)
	if err != nil {
		return fmt.Errorf("open %s: %w", src.Name(), err)
	}
	// Requests go out from a goroutine of their own, so that a request
	// written while the source is still answering the last one never
	// waits for this end to read (a stream may not buffer, as net.Pipe).
	// At most Pipeline requests are ever queued.
	out := make(chan *Request, Pipeline+1)
	var writer sync.WaitGroup
	writer.Go(func() {
		for req := range out {
			if err := wire.Write(rw, req); err != nil {
				rw.Close() // the reads fail, and pull returns
				for range out {
				}
				return
			}
		}
	})
	defer func() { // after rw is closed, below, so no write is stuck
		close(out)
		writer.Wait()
	}()
	watch := newWatchdog(st.opt.Stall, rw)
	stop := context.AfterFunc(ctx, func() { rw.Close() })
	defer func() {
		watch.stop()
		stop()
		rw.Close()
		if watch.fired.Load() && ctx.Err() == nil && !errors.Is(err, ErrDisk) {
			err = fmt.Errorf("%w: %s sent nothing for %v", ErrStalled, src.Name(), st.opt.Stall)
		}
	}()
	rd := wire.NewReader(rw)
	root := st.f.Root()
	n := st.f.Chunks()
	ask := func(kind int, max int) (*Response, error) {
		out <- &Request{Kind: kind, Root: root[:]}
		watch.start()
		data, err := rd.ReadRaw(nil, max)
		watch.stop()
		if err != nil {
			return nil, malformed(src, err)
		}
		var resp Response
		if err := wire.Decode(data, &resp); err != nil {
			return nil, fmt.Errorf("%w: %s sent a malformed answer: %v", ErrChunk, src.Name(), err)
		}
		if resp.Error != "" {
			return nil, fmt.Errorf("%w: %s: %s", ErrRefused, src.Name(), resp.Error)
		}
		return &resp, nil
	}
	haveOf := func() ([]byte, error) {
		resp, err := ask(KindHave, MaxHaveFrame)
		if err != nil {
			return nil, err
		}
		if err := resp.checkHave(n); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrChunk, src.Name(), err)
		}
		return resp.Have, nil
	}
	have, err := haveOf()
	if err != nil {
		return err
	}
	st.see(nil, have)
	defer func() { st.see(have, nil) }() // have is the source's last bitmap, as counted
	// Up to Pipeline requests are out at once: the source works on the
	// next window while this end verifies and stores the last.
	var pending [][]uint32
	defer func() {
		for _, idx := range pending {
			st.release(idx)
		}
	}()
	buf := make([]byte, 0, MaxChunkFrame)
	idle := 0
	for {
		if len(pending) == 0 && st.f.Tree() == nil && anySet(have) {
			resp, err := ask(KindTree, MaxTreeFrame)
			if err != nil {
				return err
			}
			if err := st.f.SetTree(resp.Tree); err != nil {
				if errors.Is(err, ErrChunk) {
					return fmt.Errorf("tree from %s: %w", src.Name(), err)
				}
				return diskErr(err)
			}
		}
		if len(pending) < Pipeline {
			idx, changed, missing := st.claim(have, st.opt.Window)
			if idx != nil {
				idle = 0
				pending = append(pending, idx)
				out <- &Request{Kind: KindChunks, Root: root[:], Indexes: idx}
				continue
			}
			if len(pending) == 0 {
				if !missing {
					return nil
				}
				if idle++; idle > GiveUp {
					return nil // it has had nothing this fetch lacks for long
				}
				wait := time.NewTimer(st.opt.Refresh)
				select {
				case <-ctx.Done():
					wait.Stop()
					return ctx.Err()
				case <-changed:
					wait.Stop()
					continue
				case <-wait.C:
				}
				next, err := haveOf()
				if err != nil {
					return err
				}
				st.see(have, next)
				have = next
				continue
			}
		}
		idx := pending[0]
		pending = pending[1:]
		err := st.chunks(rd, &buf, src, idx, have, watch)
		st.release(idx)
		if err != nil {
			return err
		}
	}
}

// chunks reads the answer of src to a request for the chunks idx and
// stores those that verify.
func (st *fetch) chunks(rd *wire.Reader, buf *[]byte, src Source, idx []uint32, have []byte, watch *watchdog) error {
	for _, i := range idx {
		watch.start()
		data, err := rd.ReadRaw(*buf, MaxChunkFrame)
		watch.stop()
		if err != nil {
			return malformed(src, err)
		}
		*buf = data[:0] // the stream's one buffer: the chunk is stored before the next is read
		var c Chunk
		if err := decodeChunk(data, &c); err != nil {
			return fmt.Errorf("%w: %s sent a malformed chunk: %v", ErrChunk, src.Name(), err)
		}
		if c.Index != i {
			return fmt.Errorf("%w: %s sent chunk %d for %d", ErrChunk, src.Name(), c.Index, i)
		}
		if c.Error != "" {
			st.mu.Lock()
			if have[i/8]&(1<<(i%8)) != 0 {
				have[i/8] &^= 1 << (i % 8) // it no longer has it: ask another
				st.avail[i]--
			}
			st.mu.Unlock()
			continue
		}
		if err := st.f.PutSlice(int(i), c.Slice); err != nil {
			if errors.Is(err, ErrChunk) {
				return fmt.Errorf("%s: %w", src.Name(), err)
			}
			return diskErr(err)
		}
		st.mu.Lock()
		st.got[src.Name()]++
		st.mu.Unlock()
		if st.opt.Progress != nil {
			held, _ := st.f.Progress()
			st.opt.Progress(held, st.f.Chunks())
		}
	}
	return nil
}

// malformed marks a read from src that failed on a frame longer than
// the protocol allows as src's fault (ErrChunk); any other failure of a
// read (the stream closed or reset) blames no one.
func malformed(src Source, err error) error {
	if errors.Is(err, wire.ErrFrameTooLarge) {
		return fmt.Errorf("%w: %s: %v", ErrChunk, src.Name(), err)
	}
	return err
}

func anySet(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}
