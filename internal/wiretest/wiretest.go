// Package wiretest checks a protocol's messages against its frame bounds:
// the largest message of each kind must go out as one frame within its
// bound and read back unchanged. It is for tests only and must never be
// imported by production code.
package wiretest

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// RoundTrip writes v as one frame, fails t unless the frame fits max
// bytes, and reads it back into back (a pointer to a zero value of v's
// type), which must then equal v.
func RoundTrip(t testing.TB, name string, v, back any, max int) {
	t.Helper()
	var buf bytes.Buffer
	if err := wire.Write(&buf, v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if buf.Len() > max {
		t.Fatalf("%s: a frame of %d bytes, over its bound %d", name, buf.Len(), max)
	}
	if err := wire.Read(&buf, back, max); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !reflect.DeepEqual(v, back) {
		t.Fatalf("%s changes in a round trip", name)
	}
}
