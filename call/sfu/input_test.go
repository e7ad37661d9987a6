package sfu

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestJoinRefusesBadInput(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for _, c := range []struct {
		name, id, offer string
		want            error
	}{
		{"empty id", "", "v=0", ErrBadPeer},
		{"long id", strings.Repeat("p", MaxPeerIDSize+1), "v=0", ErrBadPeer},
		{"huge offer", "p", strings.Repeat("a", MaxSDPSize+1), ErrBadOffer},
		{"garbage offer", "p", "\x00\xffnot sdp", ErrBadOffer},
	} {
		if _, err := s.Join(c.id, c.offer); !errors.Is(err, c.want) {
			t.Errorf("%s: Join = %v, want %v", c.name, err, c.want)
		}
	}
	if st := s.Stats(); len(st) != 0 {
		t.Errorf("refused joins left participants: %+v", st)
	}
	if err := s.SetShown("nobody", nil); !errors.Is(err, ErrBadPeer) {
		t.Errorf("SetShown of a non-participant = %v, want ErrBadPeer", err)
	}

	// A full call refuses one more.
	s.mu.Lock()
	for i := range MaxParticipants {
		s.parts[fmt.Sprint("x", i)] = nil // reserved, as while connecting
	}
	s.mu.Unlock()
	if _, err := s.Join("p", "v=0"); !errors.Is(err, ErrFull) {
		t.Errorf("Join into a full call = %v, want ErrFull", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Join("p", "v=0"); !errors.Is(err, ErrClosed) {
		t.Errorf("Join after Close = %v, want ErrClosed", err)
	}
}
