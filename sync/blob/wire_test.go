package blob

import (
	"io"

	"github.com/umbrella-p2p/umbrella/sync/wire"
)

func writeFrame(w io.Writer, v any) error         { return wire.Write(w, v) }
func readFrame(r io.Reader, v any, max int) error { return wire.Read(r, v, max) }
