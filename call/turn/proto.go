package turn

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/sync/wire"
)

// Request asks for a credential.
type Request struct {
	Version uint8 `cbor:"1,keyasint"`
}

// Response is a credential, or why there is none.
type Response struct {
	Error    string   `cbor:"1,keyasint,omitempty"`
	URLs     []string `cbor:"2,keyasint,omitempty"`
	Username string   `cbor:"3,keyasint,omitempty"`
	Password string   `cbor:"4,keyasint,omitempty"`
	Expires  int64    `cbor:"5,keyasint,omitempty"` // unix seconds
}

// ErrMalformed: a frame breaks the protocol's shape or limits.
var ErrMalformed = errors.New("malformed turn message")

// ErrRefused: the relay gave no credential; the error says why.
var ErrRefused = errors.New("turn credential refused")

// Check checks a response's shape and limits.
func (r *Response) Check() error {
	switch {
	case len(r.Error) > MaxErrorLen:
		return fmt.Errorf("%w: error of %d bytes", ErrMalformed, len(r.Error))
	case r.Error != "":
		if len(r.URLs) > 0 || r.Username != "" || r.Password != "" {
			return fmt.Errorf("%w: a refusal carries a credential", ErrMalformed)
		}
		return nil
	case len(r.URLs) == 0 || len(r.URLs) > MaxURLs:
		return fmt.Errorf("%w: %d URLs, want 1 to %d", ErrMalformed, len(r.URLs), MaxURLs)
	case r.Username == "" || len(r.Username) > MaxUsernameLen || r.Password == "" || len(r.Password) > MaxPasswordLen:
		return fmt.Errorf("%w: username or password missing or too long", ErrMalformed)
	case r.Expires <= 0:
		return fmt.Errorf("%w: no expiry", ErrMalformed)
	}
	for _, u := range r.URLs {
		if len(u) > MaxURLLen || !strings.HasPrefix(u, "turn:") && !strings.HasPrefix(u, "turns:") {
			return fmt.Errorf("%w: URL %.40q", ErrMalformed, u)
		}
	}
	return nil
}

// deadliner is a stream with deadlines (a libp2p stream, net.Pipe).
type deadliner interface{ SetDeadline(time.Time) error }

// closeWriter is a stream that can close its writing half.
type closeWriter interface{ CloseWrite() error }

// Handle answers one credential request from peer from on rw with a
// credential iss issues it, or a refusal. It never closes rw.
func Handle(rw io.ReadWriteCloser, iss *Issuer, from crdt.PublicKey) error {
	if d, ok := rw.(deadliner); ok {
		d.SetDeadline(time.Now().Add(Idle))
	}
	var req Request
	if err := wire.Read(rw, &req, MaxFrame); err != nil {
		return fmt.Errorf("read turn request: %w: %w", ErrMalformed, err)
	}
	var resp Response
	switch c, err := iss.Issue(from); {
	case req.Version != Version:
		resp.Error = fmt.Sprintf("protocol version %d, want %d", req.Version, Version)
	case err != nil:
		resp.Error = err.Error()
	default:
		resp = Response{URLs: c.URLs, Username: c.Username, Password: c.Password, Expires: c.Expires.Unix()}
	}
	if err := wire.Write(rw, &resp); err != nil {
		return fmt.Errorf("write turn response: %w", err)
	}
	return nil
}

// Ask requests a credential on rw: the member's side of one stream. A
// refusal is an error wrapping ErrRefused.
func Ask(rw io.ReadWriteCloser) (Credential, error) {
	if d, ok := rw.(deadliner); ok {
		d.SetDeadline(time.Now().Add(Idle))
	}
	if err := wire.Write(rw, &Request{Version: Version}); err != nil {
		return Credential{}, err
	}
	if cw, ok := rw.(closeWriter); ok {
		if err := cw.CloseWrite(); err != nil {
			return Credential{}, fmt.Errorf("close write: %w", err)
		}
	}
	var r Response
	if err := wire.Read(rw, &r, MaxFrame); err != nil {
		return Credential{}, fmt.Errorf("read turn response: %w", err)
	}
	if err := r.Check(); err != nil {
		return Credential{}, err
	}
	if r.Error != "" {
		return Credential{}, fmt.Errorf("%w: %s", ErrRefused, r.Error)
	}
	return Credential{URLs: r.URLs, Username: r.Username, Password: r.Password, Expires: time.Unix(r.Expires, 0)}, nil
}
