package e2ee

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
)

// TestDerivationMatchesTheStandard checks the ratchet's hand-written
// HMAC and HKDF against crypto/hmac and crypto/hkdf: a message key, its
// next chain key, and the AEAD key and nonce expanded from it must be
// what RFC 2104 and RFC 5869 give, or ops sealed by other nodes would
// not open.
func TestDerivationMatchesTheStandard(t *testing.T) {
	for range 200 {
		var ck [32]byte
		rand.Read(ck[:])
		mk, next := step(ck)
		for i, want := range [][]byte{refHMAC(ck[:], []byte{1}), refHMAC(ck[:], []byte{2})} {
			got := [][32]byte{mk, next}[i]
			if !bytes.Equal(got[:], want) {
				t.Fatalf("step(%x)[%d] = %x, want %x", ck, i, got, want)
			}
		}
		okm, err := hkdf.Key(sha256.New, mk[:], nil, messageKeyInfo, chacha20poly1305.KeySize+chacha20poly1305.NonceSize)
		if err != nil {
			t.Fatal(err)
		}
		a, nonce := aeadOf(mk)
		if !bytes.Equal(nonce, okm[chacha20poly1305.KeySize:]) {
			t.Fatalf("nonce of %x = %x, want %x", mk, nonce, okm[chacha20poly1305.KeySize:])
		}
		ref, err := chacha20poly1305.New(okm[:chacha20poly1305.KeySize])
		if err != nil {
			t.Fatal(err)
		}
		plain := []byte("a tip for the team")
		if got, want := a.Seal(nil, nonce, plain, nil), ref.Seal(nil, nonce, plain, nil); !bytes.Equal(got, want) {
			t.Fatalf("key of %x seals %x, want %x", mk, got, want)
		}
	}
	for n := range hmacMaxMsg + 1 { // every message length hmac32 takes
		var k [32]byte
		rand.Read(k[:])
		msg := make([]byte, n)
		rand.Read(msg)
		if got, want := hmac32(&k, msg), refHMAC(k[:], msg); !bytes.Equal(got[:], want) {
			t.Fatalf("hmac32 of %d bytes = %x, want %x", n, got, want)
		}
	}
}

func refHMAC(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

// TestDerivationAllocates: a ratchet step allocates nothing and expanding
// a message key allocates only the AEAD and its nonce, since every sealed op received
// runs them on the ingest path.
func TestDerivationAllocates(t *testing.T) {
	var ck [32]byte
	if n := testing.AllocsPerRun(100, func() { ck, _ = step(ck) }); n != 0 {
		t.Errorf("step allocates %v times, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { aeadOf(ck) }); n > 2 {
		t.Errorf("aeadOf allocates %v times, want at most 2", n)
	}
}

func BenchmarkOpenDerivation(b *testing.B) {
	b.ReportAllocs()
	var ck [32]byte
	for b.Loop() {
		var mk [32]byte
		mk, ck = step(ck)
		aeadOf(mk)
	}
}
