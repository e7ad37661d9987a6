package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
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
