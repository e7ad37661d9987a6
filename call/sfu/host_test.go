package sfu

import (
	"errors"
	"strings"
	"testing"
)

func TestSignalRoundTripAndRefusals(t *testing.T) {
	b, err := EncodeSignal(SignalOffer, "v=0")
	if err != nil {
		t.Fatal(err)
	}
	if sdp, err := DecodeSignal(b, SignalOffer); err != nil || sdp != "v=0" {
		t.Fatalf("round trip: %q, %v", sdp, err)
	}
	if _, err := DecodeSignal(b, SignalAnswer); !errors.Is(err, ErrBadSignal) {
		t.Errorf("an offer taken as an answer: %v", err)
	}
	if _, err := EncodeSignal(SignalOffer, strings.Repeat("a", MaxSignalSize)); !errors.Is(err, ErrBadSignal) {
		t.Errorf("a huge offer encoded: %v", err)
	}
	for name, bad := range map[string][]byte{
		"empty":       nil,
		"garbage":     []byte("\xff\x00"),
		"no SDP":      {0xa2, 0x01, 0x01, 0x02, 0x03},
		"version 2":   {0xa3, 0x01, 0x02, 0x02, 0x03, 0x03, 0x61, 0x76},
		"unknown key": {0xa4, 0x01, 0x01, 0x02, 0x03, 0x03, 0x61, 0x76, 0x04, 0x00},
		"huge":        make([]byte, MaxSignalSize+1),
	} {
		if _, err := DecodeSignal(bad, SignalOffer); !errors.Is(err, ErrBadSignal) {
			t.Errorf("%s: %v, want ErrBadSignal", name, err)
		}
	}
}

// TestHostRefusesBadOffers: a Host answers only well-formed offers and
// keeps no participant for a bad one.
func TestHostRefusesBadOffers(t *testing.T) {
	h, err := NewHost(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	notSDP, _ := EncodeSignal(SignalOffer, "not sdp")
	answer, _ := EncodeSignal(SignalAnswer, "v=0")
	for name, blob := range map[string][]byte{"garbage": []byte("x"), "bad SDP": notSDP, "an answer": answer} {
		if _, err := h.Offer("p", blob); err == nil {
			t.Errorf("%s: answered", name)
		}
	}
	if p := h.Participants(); len(p) != 0 {
		t.Errorf("bad offers left participants %v", p)
	}
}

func FuzzDecodeSignal(f *testing.F) {
	b, _ := EncodeSignal(SignalOffer, "v=0\r\n")
	f.Add(b)
	b, _ = EncodeSignal(SignalAnswer, "v=0\r\n")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, want := range []uint{SignalOffer, SignalAnswer} {
			sdp, err := DecodeSignal(b, want)
			if err != nil {
				continue
			}
			again, err := EncodeSignal(want, sdp)
			if err != nil || string(again) != string(b) {
				t.Fatalf("decoded %q from %x, which encodes to %x, %v", sdp, b, again, err)
			}
		}
	})
}

// TestHostRefusesBadLayerRequests: a Host takes a layer request only
// from a participant it connects, and only a well-formed one.
func TestHostRefusesBadLayerRequests(t *testing.T) {
	h, err := NewHost(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	good, err := LayerRequest{Want: map[string]Layer{"a": LayerHigh}}.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Layers("stranger", good); !errors.Is(err, ErrBadPeer) {
		t.Errorf("a stranger's request: %v, want ErrBadPeer", err)
	}
	h.parts = []string{"a", "b"}
	for name, blob := range map[string][]byte{
		"empty":    nil,
		"layer 3":  {1, 1, 1, 'a', 3},
		"trailing": append(good, 0),
	} {
		if err := h.Layers("b", blob); !errors.Is(err, ErrBadLayer) {
			t.Errorf("%s: %v, want ErrBadLayer", name, err)
		}
	}
	if len(h.asked) != 0 {
		t.Errorf("refused requests were kept: %v", h.asked)
	}
	if err := h.Layers("b", good); err != nil {
		t.Errorf("a participant's request: %v", err)
	}
}
