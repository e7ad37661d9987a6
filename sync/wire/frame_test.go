package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
)

// TestAnnouncedFrameCostsOnlyWhatArrives: a peer that announces the
// largest frame and sends a few bytes makes the reader allocate about what
// arrived, not the announced length, and the read fails as truncated.
func TestAnnouncedFrameCostsOnlyWhatArrives(t *testing.T) {
	var frame []byte
	frame = binary.AppendUvarint(frame, MaxFrame)
	frame = append(frame, make([]byte, 100)...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var v Reconcile
	err := Read(bytes.NewReader(frame), &v, 0)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read a truncated frame: %v, want io.ErrUnexpectedEOF", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("reading 100 bytes of an announced %d-byte frame allocated %d bytes", MaxFrame, got)
	}
}

// TestLargeFrameRoundTrip: a frame larger than what Read allocates up front
// still reads whole.
func TestLargeFrameRoundTrip(t *testing.T) {
	msg := bytes.Repeat([]byte{7}, 3*firstChunk+5)
	var buf bytes.Buffer
	if err := Write(&buf, &Reconcile{Msg: msg}); err != nil {
		t.Fatal(err)
	}
	var v Reconcile
	if err := Read(&buf, &v, 0); err != nil || !bytes.Equal(v.Msg, msg) {
		t.Fatalf("read back %d bytes, %v", len(v.Msg), err)
	}
}

// onlyReader hides every method of its reader but Read, as a network
// stream does: it is no io.ByteReader.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// TestPipelinedFramesAllArrive: frames written back to back into a stream
// that is no io.ByteReader all come out, whether read with a Reader or
// with Read (which once read ahead into a buffer it then dropped, losing
// the start of the next frame).
func TestPipelinedFramesAllArrive(t *testing.T) {
	var buf bytes.Buffer
	msgs := [][]byte{[]byte("first"), bytes.Repeat([]byte{1}, 3*firstChunk), []byte("third")}
	for _, m := range msgs {
		if err := Write(&buf, &Reconcile{Msg: m}); err != nil {
			t.Fatal(err)
		}
	}
	stream := buf.Bytes()
	for name, read := range map[string]func(io.Reader) func(v any) error{
		"Reader": func(r io.Reader) func(v any) error {
			fr := NewReader(r)
			return func(v any) error { return fr.Read(v, 0) }
		},
		"Read": func(r io.Reader) func(v any) error {
			return func(v any) error { return Read(r, v, 0) }
		},
	} {
		next := read(onlyReader{bytes.NewReader(stream)})
		for i, m := range msgs {
			var v Reconcile
			if err := next(&v); err != nil || !bytes.Equal(v.Msg, m) {
				t.Fatalf("%s: frame %d: %d bytes, %v", name, i, len(v.Msg), err)
			}
		}
		if err := next(&Reconcile{}); !errors.Is(err, io.EOF) {
			t.Fatalf("%s: after the last frame: %v, want io.EOF", name, err)
		}
	}
}

// TestPipelinedFramesOverAPipe: a writer that sends two frames at once
// over a pipe (no io.ByteReader, and bytes arrive in whatever pieces the
// writer wrote) has both read by a Reader.
func TestPipelinedFramesOverAPipe(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	var buf bytes.Buffer
	Write(&buf, &Request{Kind: KindNudge, Community: make([]byte, 32)})
	Write(&buf, &Request{Kind: KindSecret, Community: make([]byte, 32)})
	go func() { a.Write(buf.Bytes()) }()
	r := NewReader(b)
	for _, want := range []uint8{KindNudge, KindSecret} {
		var req Request
		if err := r.Read(&req, MaxRequestFrame); err != nil || req.Kind != want {
			t.Fatalf("read %+v, %v; want kind %d", req, err, want)
		}
	}
}
