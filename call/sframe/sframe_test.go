package sframe

import (
	"bytes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
)

// hexBytes is a hex string in the vector file.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return err
	}
	*h, err = hex.DecodeString(s)
	return err
}

// vectors is testdata/rfc9605-vectors.json: test-vectors/test-vectors.json
// of github.com/sframe-wg/sframe at 3d07d8ffb23795cd7acc188bd8910dce0c5aa253,
// the vectors of RFC 9605 Appendix C.
type vectors struct {
	Header []struct {
		KID     uint64   `json:"kid"`
		CTR     uint64   `json:"ctr"`
		Encoded hexBytes `json:"encoded"`
	} `json:"header"`
	AESCTRHMAC []struct {
		Suite   CipherSuite `json:"cipher_suite"`
		Key     hexBytes    `json:"key"`
		EncKey  hexBytes    `json:"enc_key"`
		AuthKey hexBytes    `json:"auth_key"`
		Nonce   hexBytes    `json:"nonce"`
		AAD     hexBytes    `json:"aad"`
		PT      hexBytes    `json:"pt"`
		CT      hexBytes    `json:"ct"`
	} `json:"aes_ctr_hmac"`
	SFrame []struct {
		Suite     CipherSuite `json:"cipher_suite"`
		KID       uint64      `json:"kid"`
		CTR       uint64      `json:"ctr"`
		BaseKey   hexBytes    `json:"base_key"`
		KeyLabel  hexBytes    `json:"sframe_key_label"`
		SaltLabel hexBytes    `json:"sframe_salt_label"`
		Key       hexBytes    `json:"sframe_key"`
		Salt      hexBytes    `json:"sframe_salt"`
		Metadata  hexBytes    `json:"metadata"`
		Nonce     hexBytes    `json:"nonce"`
		AAD       hexBytes    `json:"aad"`
		PT        hexBytes    `json:"pt"`
		CT        hexBytes    `json:"ct"`
	} `json:"sframe"`
}

func loadVectors(t testing.TB) vectors {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc9605-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Header) == 0 || len(v.AESCTRHMAC) == 0 || len(v.SFrame) == 0 {
		t.Fatal("vector file lacks a section")
	}
	return v
}

func TestHeaderVectors(t *testing.T) {
	for _, tc := range loadVectors(t).Header {
		h := Header{KID: tc.KID, CTR: tc.CTR}
		if got := h.Append(nil); !bytes.Equal(got, tc.Encoded) {
			t.Errorf("encode %+v = %x, want %x", h, got, []byte(tc.Encoded))
		}
		if h.Len() != len(tc.Encoded) {
			t.Errorf("Len %+v = %d, want %d", h, h.Len(), len(tc.Encoded))
		}
		got, n, err := ParseHeader(append(append([]byte{}, tc.Encoded...), 0xAA, 0xBB))
		if err != nil || got != h || n != len(tc.Encoded) {
			t.Errorf("parse %x = %+v, %d, %v; want %+v, %d", []byte(tc.Encoded), got, n, err, h, len(tc.Encoded))
		}
	}
}

func TestHeaderRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"kid bytes missing", []byte{0x80}, ErrTruncated},
		{"ctr bytes missing", []byte{0x0b, 1, 2}, ErrTruncated},
		{"extended kid below 8", []byte{0x80, 0x07}, ErrBadHeader},
		{"leading zero ctr byte", []byte{0x09, 0x00, 0xff}, ErrBadHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := ParseHeader(tc.in); !errors.Is(err, tc.want) {
				t.Fatalf("ParseHeader(%x) = %v, want %v", tc.in, err, tc.want)
			}
		})
	}
}

func TestAESCTRHMACVectors(t *testing.T) {
	for _, tc := range loadVectors(t).AESCTRHMAC {
		t.Run(tc.Suite.String(), func(t *testing.T) {
			p, err := tc.Suite.params()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(tc.Key[:p.nka], tc.EncKey) || !bytes.Equal(tc.Key[p.nka:], tc.AuthKey) {
				t.Fatal("subkeys do not split as the vector says")
			}
			km, err := newKeyMaterial(p, tc.Suite, tc.Key, make([]byte, nonceSize))
			if err != nil {
				t.Fatal(err)
			}
			nonce := [nonceSize]byte(tc.Nonce)
			if ct := km.seal(nil, nonce, tc.AAD, tc.PT); !bytes.Equal(ct, tc.CT) {
				t.Fatalf("seal = %x, want %x", ct, []byte(tc.CT))
			}
			pt, err := km.open(nil, nonce, tc.AAD, tc.CT)
			if err != nil || !bytes.Equal(pt, tc.PT) {
				t.Fatalf("open = %x, %v; want %x", pt, err, []byte(tc.PT))
			}
			bad := bytes.Clone(tc.CT)
			bad[len(bad)-1] ^= 1
			if _, err := km.open(nil, nonce, tc.AAD, bad); !errors.Is(err, ErrAuth) {
				t.Fatalf("open with a flipped tag bit = %v, want ErrAuth", err)
			}
		})
	}
}

func TestSFrameVectors(t *testing.T) {
	v := loadVectors(t)
	seen := map[CipherSuite]bool{}
	for _, tc := range v.SFrame {
		seen[tc.Suite] = true
		t.Run(tc.Suite.String(), func(t *testing.T) {
			if got := label("SFrame 1.0 Secret key ", tc.KID, tc.Suite); got != string(tc.KeyLabel) {
				t.Errorf("key label = %x, want %x", got, []byte(tc.KeyLabel))
			}
			if got := label("SFrame 1.0 Secret salt ", tc.KID, tc.Suite); got != string(tc.SaltLabel) {
				t.Errorf("salt label = %x, want %x", got, []byte(tc.SaltLabel))
			}
			p, _ := tc.Suite.params()
			key, salt, err := deriveKeySalt(p, tc.Suite, tc.KID, tc.BaseKey)
			if err != nil || !bytes.Equal(key, tc.Key) || !bytes.Equal(salt, tc.Salt) {
				t.Fatalf("derive = %x, %x, %v; want %x, %x", key, salt, err, []byte(tc.Key), []byte(tc.Salt))
			}
			s, err := NewSender(tc.Suite, tc.KID, tc.BaseKey)
			if err != nil {
				t.Fatal(err)
			}
			if n := s.km.nonce(tc.CTR); !bytes.Equal(n[:], tc.Nonce) {
				t.Errorf("nonce = %x, want %x", n, []byte(tc.Nonce))
			}
			ct := s.seal(nil, tc.CTR, tc.Metadata, tc.PT)
			if !bytes.Equal(ct, tc.CT) {
				t.Fatalf("encrypt = %x, want %x", ct, []byte(tc.CT))
			}
			r, err := NewReceiver(tc.Suite)
			if err != nil {
				t.Fatal(err)
			}
			if err := r.AddKey(tc.KID, tc.BaseKey); err != nil {
				t.Fatal(err)
			}
			pt, h, err := r.Decrypt(nil, tc.Metadata, tc.CT)
			if err != nil || !bytes.Equal(pt, tc.PT) || h != (Header{tc.KID, tc.CTR}) {
				t.Fatalf("decrypt = %x, %+v, %v; want %x", pt, h, err, []byte(tc.PT))
			}
			if _, _, err := r.Decrypt(nil, tc.Metadata, tc.CT); !errors.Is(err, ErrReplay) {
				t.Fatalf("second decrypt = %v, want ErrReplay", err)
			}
		})
	}
	for c := range suites {
		if !seen[c] {
			t.Errorf("no vector for %v", c)
		}
	}
}

var testKey = bytes.Repeat([]byte{7}, 16)

func pair(t testing.TB, suite CipherSuite, kid uint64, key []byte) (*Sender, *Receiver) {
	t.Helper()
	s, err := NewSender(suite, kid, key)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReceiver(suite)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddKey(kid, key); err != nil {
		t.Fatal(err)
	}
	return s, r
}

func TestDecryptErrors(t *testing.T) {
	for c := range suites {
		t.Run(c.String(), func(t *testing.T) {
			s, r := pair(t, c, 3, testKey)
			meta := []byte{0x9d, 0x01, 0x2a}
			f, err := s.Encrypt(nil, meta, []byte("hello frame"))
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := r.Decrypt(nil, []byte{0x9c, 0x01, 0x2a}, f); !errors.Is(err, ErrAuth) {
				t.Errorf("changed metadata: %v, want ErrAuth", err)
			}
			flipped := bytes.Clone(f)
			flipped[2] ^= 0x40
			if _, _, err := r.Decrypt(nil, meta, flipped); !errors.Is(err, ErrAuth) {
				t.Errorf("changed ciphertext: %v, want ErrAuth", err)
			}
			p, _ := c.params()
			if _, _, err := r.Decrypt(nil, meta, f[:1+p.nt-1]); !errors.Is(err, ErrTruncated) {
				t.Errorf("shorter than a tag: %v, want ErrTruncated", err)
			}
			if _, _, err := r.Decrypt(nil, meta, f[:len(f)-1]); !errors.Is(err, ErrAuth) {
				t.Errorf("one byte short: %v, want ErrAuth", err)
			}
			if _, _, err := r.Decrypt(nil, meta, make([]byte, MaxFrameSize+1)); !errors.Is(err, ErrFrameTooLarge) {
				t.Errorf("oversized: %v, want ErrFrameTooLarge", err)
			}
			if _, _, err := r.Decrypt(nil, make([]byte, MaxMetadataSize+1), f); !errors.Is(err, ErrMetadataTooLarge) {
				t.Errorf("oversized metadata: %v, want ErrMetadataTooLarge", err)
			}
			other, _ := pair(t, c, 4, testKey)
			g, _ := other.Encrypt(nil, meta, []byte("x"))
			if _, _, err := r.Decrypt(nil, meta, g); !errors.Is(err, ErrUnknownKey) {
				t.Errorf("unknown kid: %v, want ErrUnknownKey", err)
			}
			wrong, _ := pair(t, c, 3, bytes.Repeat([]byte{8}, 16))
			g, _ = wrong.Encrypt(nil, meta, []byte("x"))
			if _, _, err := r.Decrypt(nil, meta, g); !errors.Is(err, ErrAuth) {
				t.Errorf("same kid, wrong key: %v, want ErrAuth", err)
			}
			if pt, _, err := r.Decrypt(nil, meta, f); err != nil || string(pt) != "hello frame" {
				t.Errorf("the good frame after the bad ones: %q, %v", pt, err)
			}
		})
	}
}

func TestReplayWindow(t *testing.T) {
	s, r := pair(t, AES128CTRHMACSHA256_80, 1, testKey)
	var frames [][]byte
	for range ReplayWindow + 10 {
		f, err := s.Encrypt(nil, nil, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, f)
	}
	mustOpen := func(i int, want error) {
		t.Helper()
		_, _, err := r.Decrypt(nil, nil, frames[i])
		if !errors.Is(err, want) {
			t.Fatalf("frame %d: %v, want %v", i, err, want)
		}
	}
	mustOpen(5, nil)
	mustOpen(2, nil) // late but inside the window
	mustOpen(5, ErrReplay)
	mustOpen(2, ErrReplay)
	mustOpen(ReplayWindow+5, nil)
	mustOpen(6, nil)       // exactly ReplayWindow-1 behind
	mustOpen(5, ErrReplay) // ReplayWindow behind: too old
	mustOpen(ReplayWindow+1, nil)
	mustOpen(ReplayWindow+1, ErrReplay)
	mustOpen(ReplayWindow+9, nil)
	mustOpen(ReplayWindow+5, ErrReplay) // still remembered after the window moved
}

func TestKeyChange(t *testing.T) {
	old, r := pair(t, AES128CTRHMACSHA256_80, 1, testKey)
	newKey := bytes.Repeat([]byte{9}, 32)
	next, err := NewSender(AES128CTRHMACSHA256_80, 2, newKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.AddKey(2, newKey); err != nil {
		t.Fatal(err)
	}
	a, _ := old.Encrypt(nil, nil, []byte("old"))
	b, _ := next.Encrypt(nil, nil, []byte("new"))
	if _, _, err := r.Decrypt(nil, nil, b); err != nil {
		t.Fatal(err)
	}
	r.RetainOnly(2)
	if r.HasKey(1) || !r.HasKey(2) {
		t.Fatal("RetainOnly kept the wrong keys")
	}
	if _, _, err := r.Decrypt(nil, nil, a); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("frame under a dropped key: %v, want ErrUnknownKey", err)
	}
	for i := uint64(10); r.HasKey(2) && i < 10+MaxReceiverKeys; i++ {
		err := r.AddKey(i, testKey)
		if i < 10+MaxReceiverKeys-1 && err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
		if i == 10+MaxReceiverKeys-1 && !errors.Is(err, ErrTooManyKeys) {
			t.Fatalf("key past the limit: %v, want ErrTooManyKeys", err)
		}
	}
}

func TestSenderLimits(t *testing.T) {
	if _, err := NewSender(AES128CTRHMACSHA256_80, 1, make([]byte, MinBaseKeySize-1)); !errors.Is(err, ErrBadKey) {
		t.Errorf("short key: %v", err)
	}
	if _, err := NewSender(AES128CTRHMACSHA256_80, 1, make([]byte, MaxBaseKeySize+1)); !errors.Is(err, ErrBadKey) {
		t.Errorf("long key: %v", err)
	}
	if _, err := NewSender(9, 1, testKey); !errors.Is(err, ErrUnknownSuite) {
		t.Errorf("unknown suite: %v", err)
	}
	s, _ := pair(t, AES128GCMSHA256_128, 1, testKey)
	if _, err := s.Encrypt(nil, nil, make([]byte, MaxFrameSize)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized plaintext: %v", err)
	}
	if _, err := s.Encrypt(nil, make([]byte, MaxMetadataSize+1), nil); !errors.Is(err, ErrMetadataTooLarge) {
		t.Errorf("oversized metadata: %v", err)
	}
	s.next = ^uint64(0)
	if _, err := s.Encrypt(nil, nil, []byte("last")); err != nil {
		t.Fatalf("last counter: %v", err)
	}
	if _, err := s.Encrypt(nil, nil, []byte("x")); !errors.Is(err, ErrCounterExhausted) {
		t.Fatalf("past the last counter: %v, want ErrCounterExhausted", err)
	}
}

func FuzzDecrypt(f *testing.F) {
	s, _ := pair(f, AES128CTRHMACSHA256_80, 300, testKey)
	for _, pt := range []string{"", "a", "a longer frame of some bytes"} {
		fr, err := s.Encrypt(nil, []byte{1}, []byte(pt))
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte{1}, fr)
	}
	f.Add([]byte{}, []byte{0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Fuzz(func(t *testing.T, meta, frame []byte) {
		_, r := pair(t, AES128CTRHMACSHA256_80, 300, testKey)
		if err := r.AddKey(5, testKey); err != nil {
			t.Fatal(err)
		}
		pt, h, err := r.Decrypt(nil, meta, frame)
		if err != nil {
			return
		}
		// Only frames the sender made (or forgeries of an 80-bit tag) open;
		// whatever opens must not open twice and must re-encrypt to itself.
		if _, _, err := r.Decrypt(nil, meta, frame); !errors.Is(err, ErrReplay) {
			t.Fatalf("accepted twice: %v", err)
		}
		s2, _ := NewSender(AES128CTRHMACSHA256_80, h.KID, testKey)
		if again := s2.seal(nil, h.CTR, meta, pt); !bytes.Equal(again, frame) {
			t.Fatalf("decrypted %x from %x, which re-encrypts to %x", pt, frame, again)
		}
	})
}

func benchSuite(b *testing.B, c CipherSuite, size int, decrypt bool) {
	s, r := pair(b, c, 1, testKey)
	meta := []byte{0x9d}
	pt := make([]byte, size)
	// Decrypt goes round a ring of frames, the replay window reset (by
	// adding the key again) each time round, so memory stays bounded.
	var frames [][]byte
	if decrypt {
		frames = make([][]byte, ReplayWindow)
		for i := range frames {
			frames[i], _ = s.Encrypt(nil, meta, pt)
		}
	}
	buf := make([]byte, 0, size+c.Overhead())
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var err error
		if decrypt {
			if i > 0 && i%len(frames) == 0 {
				b.StopTimer()
				if err := r.AddKey(1, testKey); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			_, _, err = r.Decrypt(buf[:0], meta, frames[i%len(frames)])
		} else {
			_, err = s.Encrypt(buf[:0], meta, pt)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkSFrame measures encrypt and decrypt of an Opus-sized (80 B) and
// a VP8-sized (4 KiB delta, 32 KiB key frame) frame under the suite media
// uses and under AES-GCM.
func BenchmarkSFrame(b *testing.B) {
	for _, c := range []CipherSuite{AES128CTRHMACSHA256_80, AES128GCMSHA256_128} {
		for _, size := range []int{80, 4096, 32768} {
			for _, dec := range []bool{false, true} {
				op := "encrypt"
				if dec {
					op = "decrypt"
				}
				b.Run(c.String()+"/"+strconv.Itoa(size)+"/"+op, func(b *testing.B) { benchSuite(b, c, size, dec) })
			}
		}
	}
}

// TestSmallCTR checks the short-frame counter mode against the library's
// at every length around the switch between them.
func TestSmallCTR(t *testing.T) {
	p := suites[AES128CTRHMACSHA256_80]
	km, err := newKeyMaterial(p, AES128CTRHMACSHA256_80, bytes.Repeat([]byte{3}, p.nk), make([]byte, nonceSize))
	if err != nil {
		t.Fatal(err)
	}
	nonce := [nonceSize]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}
	for n := 0; n <= smallCTR+40; n++ {
		pt := make([]byte, n)
		for i := range pt {
			pt[i] = byte(i * 7)
		}
		got := bytes.Clone(pt)
		km.xorCTR(got, nonce)
		want := make([]byte, n)
		iv := append(nonce[:], 0, 0, 0, 0)
		cipher.NewCTR(km.ctr, iv).XORKeyStream(want, pt)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: %x, want %x", n, got, want)
		}
	}
}
