package crdt

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
)

// FuzzDecodeBody: any bytes as the body of an op of any kind are refused
// as malformed or decode to a body that passes its own check and encodes
// back to exactly those bytes. FuzzApply reaches the bodies through a
// signed op and a community; this reaches every body's decoder and check
// alone, thousands of times faster.
func FuzzDecodeBody(f *testing.F) {
	w := randomWorld(f, rand.New(rand.NewPCG(4, 4)), 30, map[string]int{})
	for _, o := range w.all {
		f.Add(uint16(o.Kind), o.Body)
	}
	f.Add(uint16(KindSteps), mustBody(f, stepsOf("Hi {name}", "Watch", "Call")))
	f.Add(uint16(KindStep), mustBody(f, &StepBody{Step: stepID("Watch"), Done: true}))
	ref := &FileRef{Name: "flyer.png", Size: 9, Mime: "image/png", Root: make([]byte, 32), Key: make([]byte, 32), Thumb: []byte{0x89, 'P', 'N', 'G'}}
	f.Add(uint16(KindPromoEdit), mustBody(f, &PromoEditBody{Target: make([]byte, 32), Title: "Sale", Starts: 1, Ends: 2, Time: 1, File: ref}))
	f.Add(uint16(KindRemove), []byte{0xa1, 0x01, 0x40})
	f.Fuzz(func(t *testing.T, kind uint16, body []byte) {
		o := &Op{Kind: Kind(kind), Body: body}
		b, err := DecodeBody(o)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSealed) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		again, err := EncodeBody(b.(interface{ check() error }))
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("a %s body %x decodes to %+v, which encodes to %x (%v)", o.Kind, body, b, again, err)
		}
		back, err := DecodeBody(&Op{Kind: Kind(kind), Body: again})
		if err != nil || !reflect.DeepEqual(back, b) {
			t.Fatalf("a %s body changes in a round trip: %v", o.Kind, err)
		}
	})
}
