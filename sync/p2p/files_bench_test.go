package p2p

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/blob"
)

// benchFileSize is the clear size of the file BenchmarkFileTransfer moves:
// $UMBRELLA_BENCH_FILE_MB mebibytes (2048 for the 2 GiB), 256 by
// default so that `make bench` stays short.
func benchFileSize(b *testing.B) int64 {
	mb := int64(256)
	if v := os.Getenv("UMBRELLA_BENCH_FILE_MB"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 || n<<20 > blob.MaxSize {
			b.Fatalf("UMBRELLA_BENCH_FILE_MB=%q: want 1 to 2048", v)
		}
		mb = n
	}
	return mb << 20
}

// benchUplink is what each source serves at most, in bytes per second,
// in the limited runs of BenchmarkFileTransfer: a member's uplink. On
// loopback one unlimited source is bound by the CPU the four hosts share,
// so more sources only add work; limited, each source is bound by its
// uplink, as over the internet, and three sources should come close to
// three times one.
const benchUplink = 10 << 20

// realHost starts a libp2p host with the node's transports, muxers and
// security on loopback, listening on addr.
func realHost(b *testing.B, addr string) host.Host {
	b.Helper()
	key, _, err := crypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	h, err := libp2p.New(libp2p.Identity(key), libp2p.ListenAddrStrings(addr),
		libp2p.DefaultTransports, libp2p.DefaultMuxers, libp2p.DefaultSecurity)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { h.Close() })
	return h
}

// rawID is the baseline protocol: the server writes the bytes asked for,
// as fast as the stream takes them.
const rawID = "/umbrella-bench/raw/1"

// serveRaw makes h answer rawID by writing n bytes of a fixed buffer.
func serveRaw(h host.Host, n int64) {
	buf := make([]byte, blob.ChunkSize)
	h.SetStreamHandler(rawID, func(st network.Stream) {
		defer st.Close()
		for left := n; left > 0; {
			m := min(left, int64(len(buf)))
			if _, err := st.Write(buf[:m]); err != nil {
				st.Reset()
				return
			}
			left -= m
		}
	})
}

// rawFileID is the second baseline's protocol: the server copies a file
// to the stream.
const rawFileID = "/umbrella-bench/raw-file/1"

// serveRawFile makes h answer rawFileID by copying the file at path to
// the stream, read from disk a chunk at a time (the buffer the memory
// baseline and a source's chunk frames have).
func serveRawFile(h host.Host, path string) {
	h.SetStreamHandler(rawFileID, func(st network.Stream) {
		defer st.Close()
		f, err := os.Open(path)
		if err != nil {
			st.Reset()
			return
		}
		defer f.Close()
		// The file hidden behind a plain Reader: io.CopyBuffer would
		// otherwise hand the copy to os.File.WriteTo and its 32 KiB.
		if _, err := io.CopyBuffer(st, struct{ io.Reader }{f}, make([]byte, blob.ChunkSize)); err != nil {
			st.Reset()
		}
	})
}

// counted counts the bytes written to a stream.
type counted struct {
	io.ReadWriteCloser
	n *atomic.Int64
}

func (c counted) Write(p []byte) (int, error) {
	n, err := c.ReadWriteCloser.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// rss is the process's resident set size in bytes (Linux), or 0.
func rss() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// peakRSS samples rss every 20 ms until stop is called, and returns the
// highest sample then.
func peakRSS() (stop func() int64) {
	var (
		peak atomic.Int64
		wg   sync.WaitGroup
	)
	peak.Store(rss())
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if r := rss(); r > peak.Load() {
					peak.Store(r)
				}
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		if r := rss(); r > peak.Load() {
			peak.Store(r)
		}
		return peak.Load()
	}
}

// profile writes, when $UMBRELLA_BENCH_FILE_PROFILE names a directory,
// the CPU profile of what runs until the returned stop (NAME.cpu.pprof)
// and the block profile of the same span (NAME.block.pprof, every
// blocking event): BenchmarkFileTransfer profiles the raw streams (raw,
// rawfile) and the one-source fetch (1src) apart, so that they compare
// function by function.
func profile(b *testing.B, name string) (stop func()) {
	dir := os.Getenv("UMBRELLA_BENCH_FILE_PROFILE")
	if dir == "" {
		return func() {}
	}
	cpu, err := os.Create(filepath.Join(dir, name+".cpu.pprof"))
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		b.Fatal(err)
	}
	runtime.SetBlockProfileRate(1)
	return func() {
		pprof.StopCPUProfile()
		runtime.SetBlockProfileRate(0)
		blk, err := os.Create(filepath.Join(dir, name+".block.pprof"))
		if err == nil {
			err = pprof.Lookup("block").WriteTo(blk, 0)
			err = errors.Join(err, blk.Close())
		}
		if err = errors.Join(err, cpu.Close()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileTransfer moves one file between real libp2p hosts on
// loopback, over TCP and over QUIC, the way a member's node does: the
// sources serve it with FileHandler from their blob stores on disk, the
// downloader pulls it with blob.Fetch into a fresh store on disk (every
// chunk verified against the root and synced before it counts). Each
// iteration, in the same run and on the same hosts:
//
//   - raw-MB/s: a plain libp2p stream copying as many bytes as the
//     ciphertext from memory to nowhere (the receiver discards them), the
//     strict baseline: it neither reads a file nor writes one;
//   - raw-file-MB/s: a plain libp2p stream copying the stored ciphertext
//     file itself, which the receiver writes to a new file beside the
//     fetches' stores and syncs once at the end (as `cp` and `sync`
//     would): the baseline that does the disk's work too, but no hash;
//   - raw-groups-MB/s: the same file copy, synced every
//     blob.CommitEvery chunks and its pages dropped from the cache as
//     the store does: a raw stream doing all the disk's work of a fetch
//     the way a fetch does it (raw-file's one sync at the end leaves
//     the whole file in the cache, which at 2 GiB costs several times
//     more; see the README);
//   - 1src-MB/s, %-of-raw, %-of-raw-file and %-of-raw-groups: the file
//     from one source, and its speed as a share of each baseline's;
//   - 3src-MB/s, 3src-%-of-raw, 3src-%-of-raw-file and 3src-x-1src: the
//     file from three sources at once;
//   - lim-1src-MB/s, lim-3src-MB/s and lim-3src-x-1src: the same with
//     each source serving at most benchUplink (blob.Limiter), as a
//     member's uplink would: what three sources gain when the network,
//     not this machine's CPU, bounds each of them;
//   - rss-growth-MB: the growth of the process's resident memory over
//     what it was before the transfers, highest sample, with every host
//     (the downloader and the sources) in this process;
//   - redownload-%: the file fetched again after the fetch was cut at
//     half (its context cancelled, its streams closed, as when the
//     downloader is killed, but for the chunks the store had not yet
//     recorded, which a Fetch that returns flushes): the bytes the
//     source sent over both fetches beyond those of an uninterrupted
//     one, as a share of the file.
//
// MB/s counts clear bytes of the file (ciphertext bytes for raw). On a
// machine whose CPU is the bound, or is shared with other work, the
// speeds say little of the code: raw-cpu-s/GiB, raw-file-cpu-s/GiB,
// raw-groups-cpu-s/GiB, 1src-cpu-s/GiB and 3src-cpu-s/GiB are the CPU
// time the process (both ends) spent per GiB of ciphertext for each
// baseline and each fetch (a fetch's figure includes hashing each chunk,
// reading, writing and syncing the file: raw-file's and raw-groups' the
// disk's part of that, raw's none), and %-of-raw-cpu, %-of-raw-file-cpu,
// %-of-raw-groups-cpu and the 3src- twins of the first two the ratios:
// the share of a baseline's speed a fetch reaches when CPU bounds both,
// and a figure that holds under load.
// $UMBRELLA_BENCH_FILE_MB sets the file's size (benchFileSize), and
// $UMBRELLA_BENCH_FILE_PROFILE a directory for profiles (profile).
func BenchmarkFileTransfer(b *testing.B) {
	for _, tr := range []struct{ name, addr string }{
		{"tcp", "/ip4/127.0.0.1/tcp/0"},
		{"quic", "/ip4/127.0.0.1/udp/0/quic-v1"},
	} {
		b.Run(tr.name, func(b *testing.B) { benchTransfer(b, tr.addr) })
	}
}

func benchTransfer(b *testing.B, addr string) {
	ctx := b.Context()
	size := benchFileSize(b)
	cipher := blob.CipherSize(size)
	dir := b.TempDir()

	// The sources share one store: the file is encrypted and hashed once.
	held, err := blob.NewStore(filepath.Join(dir, "held"))
	if err != nil {
		b.Fatal(err)
	}
	key, _ := blob.NewKey()
	plain := bufio.NewReaderSize(io.LimitReader(mrand.NewChaCha8([32]byte{1}), size), 1<<20)
	file, err := held.Add(plain, size, key)
	if err != nil {
		b.Fatal(err)
	}
	root := file.Root()
	file.Close()

	down := realHost(b, addr)
	dsvc := NewService(ctx, down, nil, nil)
	var srcs []blob.Source
	var limits []*atomic.Pointer[blob.Limiter]
	var sent atomic.Int64 // bytes the sources wrote, whether read or not
	for range 3 {
		h := realHost(b, addr)
		svc := NewService(ctx, h, nil, nil)
		// Each source has a limiter of its own, set only for the limited
		// runs: a peer's uplink, which loopback does not have.
		var lim atomic.Pointer[blob.Limiter]
		limits = append(limits, &lim)
		svc.Handle(FileID, func(ctx context.Context, rw io.ReadWriteCloser, from crdt.PublicKey) error {
			serve := FileHandler(held, func(crdt.PublicKey, blob.Root) error { return nil }, lim.Load())
			return serve(ctx, counted{rw, &sent}, from)
		})
		serveRaw(h, cipher)
		serveRawFile(h, filepath.Join(dir, "held", root.String(), "data"))
		if err := down.Connect(ctx, peer.AddrInfo{ID: h.ID(), Addrs: h.Addrs()}); err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, FileSource{S: dsvc, Peer: h.ID()})
	}

	raw := func() time.Duration {
		start := time.Now()
		st, err := down.NewStream(ctx, srcs[0].(FileSource).Peer, rawID)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, st)
		st.Close()
		if err != nil || n != cipher {
			b.Fatalf("raw stream: %d of %d bytes: %v", n, cipher, err)
		}
		return time.Since(start)
	}
	// rawFile copies the stored ciphertext over a plain stream into a new
	// file beside the fetches' stores, synced once at the end, as `cp`
	// and `sync` would; with groups, it syncs every blob.CommitEvery
	// chunks instead and drops their pages from the cache, as the store
	// does (all the disk's work a fetch does, none of its hashing).
	rawFile := func(into string, groups bool) time.Duration {
		start := time.Now()
		st, err := down.NewStream(ctx, srcs[0].(FileSource).Peer, rawFileID)
		if err != nil {
			b.Fatal(err)
		}
		out, err := os.Create(into)
		if err != nil {
			b.Fatal(err)
		}
		defer os.Remove(into)
		// Written a chunk at a time, as a fetch writes, whatever sizes
		// the stream's reads come in.
		var n int64
		buf := make([]byte, blob.ChunkSize)
		for {
			m, rerr := io.ReadFull(st, buf)
			if _, err = out.Write(buf[:m]); err != nil {
				break
			}
			n += int64(m)
			if group := int64(blob.CommitEvery * blob.ChunkSize); groups && (n%group == 0 || n == cipher) {
				if err = syncDrop(out, (n-1)/group*group, group); err != nil {
					break
				}
			}
			if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
				break
			}
			if err = rerr; err != nil {
				break
			}
		}
		st.Close()
		if err == nil && !groups {
			err = out.Sync()
		}
		err = errors.Join(err, out.Close())
		if err != nil || n != cipher {
			b.Fatalf("raw file stream: %d of %d bytes: %v", n, cipher, err)
		}
		return time.Since(start)
	}
	// fetch pulls the file into a fresh store from srcs, cut when cut > 0
	// chunks are held, and returns the time and the bytes the sources
	// sent (a source's answer already written when the fetch is cut
	// counts: it went over the network).
	fetch := func(srcs []blob.Source, cut int, into string) (time.Duration, int64) {
		store, err := blob.NewStore(into)
		if err != nil {
			b.Fatal(err)
		}
		f, err := store.Open(root, size)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		opt := blob.Options{}
		if cut > 0 {
			opt.Progress = func(held, _ int) {
				if held >= cut {
					cancel()
				}
			}
		}
		before := sent.Load()
		start := time.Now()
		_, err = blob.Fetch(fctx, f, srcs, opt)
		took := time.Since(start)
		if cut == 0 && (err != nil || !f.Complete()) {
			b.Fatalf("fetch: %v", err)
		}
		if cut > 0 {
			// What the sources had written when the cut reset their
			// streams is counted once their handlers return.
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
				n := sent.Load()
				time.Sleep(50 * time.Millisecond) // a benchmark, not a test: waits for the sources to notice
				if sent.Load() == n {
					break
				}
			}
		}
		return took, sent.Load() - before
	}
	mbps := func(n int64, d time.Duration) float64 { return float64(n) / (1 << 20) / d.Seconds() }
	// limited fetches the file from n sources that each serve at most
	// benchUplink, a fresh limiter each (no debt from a run before).
	limited := func(n, i int) time.Duration {
		for _, l := range limits[:n] {
			l.Store(blob.NewLimiter(benchUplink))
		}
		defer func() {
			for _, l := range limits {
				l.Store(nil)
			}
		}()
		into := filepath.Join(dir, fmt.Sprint("lim", n, "-", i))
		defer os.RemoveAll(into)
		d, _ := fetch(srcs[:n], 0, into)
		return d
	}

	var tRaw, tFile, tGroups, t1, t3, tl1, tl3, cRaw, cFile, cGroups, c1, c3 time.Duration
	var growth, extra int64
	i := 0
	for b.Loop() {
		i++
		stopProf := profile(b, "raw")
		c := cpuTime()
		tRaw += raw()
		cRaw += cpuTime() - c
		stopProf()
		stopProf = profile(b, "rawfile")
		c = cpuTime()
		tFile += rawFile(filepath.Join(dir, fmt.Sprint("rawfile", i)), false)
		cFile += cpuTime() - c
		stopProf()
		c = cpuTime()
		tGroups += rawFile(filepath.Join(dir, fmt.Sprint("rawgroups", i)), true)
		cGroups += cpuTime() - c
		runtime.GC()
		debug.FreeOSMemory()
		base := rss()
		stop := peakRSS()
		stopProf = profile(b, "1src")
		c = cpuTime()
		d, whole := fetch(srcs[:1], 0, filepath.Join(dir, fmt.Sprint("one", i)))
		c1 += cpuTime() - c
		stopProf()
		t1 += d
		c = cpuTime()
		d, _ = fetch(srcs, 0, filepath.Join(dir, fmt.Sprint("three", i)))
		c3 += cpuTime() - c
		t3 += d
		growth = max(growth, stop()-base)
		os.RemoveAll(filepath.Join(dir, fmt.Sprint("three", i)))
		os.RemoveAll(filepath.Join(dir, fmt.Sprint("one", i)))

		// The same from sources that each serve at most benchUplink (for
		// files up to 256 MiB: a larger one would take minutes at that
		// rate, and the ratio does not depend on the size).
		if size <= 256<<20 {
			tl1, tl3 = tl1+limited(1, i), tl3+limited(3, i)
		}

		again := filepath.Join(dir, fmt.Sprint("again", i))
		_, first := fetch(srcs[:1], blob.Chunks(size)/2, again)
		_, second := fetch(srcs[:1], 0, again)
		extra = max(extra, first+second-whole)
		os.RemoveAll(again)
	}
	n := float64(i)
	b.ReportMetric(mbps(cipher, tRaw/time.Duration(n)), "raw-MB/s")
	b.ReportMetric(mbps(cipher, tFile/time.Duration(n)), "raw-file-MB/s")
	b.ReportMetric(mbps(cipher, tGroups/time.Duration(n)), "raw-groups-MB/s")
	b.ReportMetric(mbps(size, t1/time.Duration(n)), "1src-MB/s")
	b.ReportMetric(mbps(size, t3/time.Duration(n)), "3src-MB/s")
	// The fetches' shares of the baselines' speeds, counting clear bytes
	// for the fetch and ciphertext for the baselines as MB/s does: a
	// fetch moves the ciphertext too, so its time is compared with theirs.
	speed := func(base, fetch time.Duration) float64 {
		return 100 * base.Seconds() / fetch.Seconds() * float64(size) / float64(cipher)
	}
	b.ReportMetric(speed(tRaw, t1), "%-of-raw")
	b.ReportMetric(speed(tFile, t1), "%-of-raw-file")
	b.ReportMetric(speed(tGroups, t1), "%-of-raw-groups")
	b.ReportMetric(speed(tRaw, t3), "3src-%-of-raw")
	b.ReportMetric(speed(tFile, t3), "3src-%-of-raw-file")
	b.ReportMetric(t1.Seconds()/t3.Seconds(), "3src-x-1src")
	if tl1 > 0 {
		b.ReportMetric(mbps(size, tl1/time.Duration(n)), "lim-1src-MB/s")
		b.ReportMetric(mbps(size, tl3/time.Duration(n)), "lim-3src-MB/s")
		b.ReportMetric(tl1.Seconds()/tl3.Seconds(), "lim-3src-x-1src")
	}
	gib := float64(cipher) / (1 << 30)
	b.ReportMetric(cRaw.Seconds()/n/gib, "raw-cpu-s/GiB")
	b.ReportMetric(cFile.Seconds()/n/gib, "raw-file-cpu-s/GiB")
	b.ReportMetric(cGroups.Seconds()/n/gib, "raw-groups-cpu-s/GiB")
	b.ReportMetric(c1.Seconds()/n/gib, "1src-cpu-s/GiB")
	b.ReportMetric(c3.Seconds()/n/gib, "3src-cpu-s/GiB")
	b.ReportMetric(100*cRaw.Seconds()/c1.Seconds(), "%-of-raw-cpu")
	b.ReportMetric(100*cFile.Seconds()/c1.Seconds(), "%-of-raw-file-cpu")
	b.ReportMetric(100*cGroups.Seconds()/c1.Seconds(), "%-of-raw-groups-cpu")
	b.ReportMetric(100*cRaw.Seconds()/c3.Seconds(), "3src-%-of-raw-cpu")
	b.ReportMetric(100*cFile.Seconds()/c3.Seconds(), "3src-%-of-raw-file-cpu")
	b.ReportMetric(float64(growth)/(1<<20), "rss-growth-MB")
	b.ReportMetric(100*float64(extra)/float64(size), "redownload-%")
}
