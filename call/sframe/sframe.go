// Package sframe is SFrame (RFC 9605): end-to-end encryption of media
// frames above the transport's own encryption, so that whoever forwards
// media (an SFU, a relay, a member passing packets on) cannot read it.
//
// A Sender encrypts its own frames under one key identified by a KID; a
// Receiver holds the keys of one sender (several KIDs may be live while
// keys change) and decrypts, refusing replays, unknown KIDs, forged,
// truncated and oversized frames with the sentinel errors below. A frame is
// the SFrame header (KID and counter), then the AEAD ciphertext of the
// frame; the header and the caller's clear metadata (a codec header left
// readable for forwarding) are the AEAD's associated data.
//
// The package does no I/O, starts no goroutines and never reads the clock;
// it never chooses or distributes keys (that is the signalling's job).
package sframe

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
)

// Errors a caller may branch on (a receiver counts them as decrypt
// failures; none of them is fatal to a session).
var (
	// ErrTruncated: the frame ends before its header or its tag does.
	ErrTruncated = errors.New("sframe: truncated frame")
	// ErrFrameTooLarge: the frame or the plaintext is over MaxFrameSize.
	ErrFrameTooLarge = errors.New("sframe: frame too large")
	// ErrMetadataTooLarge: the clear metadata is over MaxMetadataSize.
	ErrMetadataTooLarge = errors.New("sframe: metadata too large")
	// ErrBadHeader: the header is not in the RFC's minimal encoding.
	ErrBadHeader = errors.New("sframe: malformed header")
	// ErrUnknownKey: no key is held for the frame's KID.
	ErrUnknownKey = errors.New("sframe: no key for KID")
	// ErrAuth: the frame did not authenticate under the KID's key.
	ErrAuth = errors.New("sframe: authentication failed")
	// ErrReplay: a frame with this KID and counter was already accepted,
	// or is further behind the newest than ReplayWindow.
	ErrReplay = errors.New("sframe: replayed or too old frame")
	// ErrCounterExhausted: a Sender used every counter of its key.
	ErrCounterExhausted = errors.New("sframe: counter exhausted; a new key is needed")
	// ErrTooManyKeys: a Receiver already holds MaxReceiverKeys keys.
	ErrTooManyKeys = errors.New("sframe: too many keys")
	// ErrBadKey: a base key's length is outside [MinBaseKeySize, MaxBaseKeySize].
	ErrBadKey = errors.New("sframe: bad base key length")
	// ErrUnknownSuite: the cipher suite is not one of RFC 9605's.
	ErrUnknownSuite = errors.New("sframe: unknown cipher suite")
)

// CipherSuite is an RFC 9605 cipher suite identifier (IANA "SFrame Cipher
// Suites").
type CipherSuite uint16

// The cipher suites of RFC 9605, Section 4.5.
const (
	// AES128CTRHMACSHA256_80 is AES_128_CTR_HMAC_SHA256_80, the suite
	// WebRTC's SFrame uses: AES-CTR with an 80-bit truncated HMAC tag.
	AES128CTRHMACSHA256_80 CipherSuite = 0x0001
	// AES128CTRHMACSHA256_64 is AES_128_CTR_HMAC_SHA256_64.
	AES128CTRHMACSHA256_64 CipherSuite = 0x0002
	// AES128CTRHMACSHA256_32 is AES_128_CTR_HMAC_SHA256_32.
	AES128CTRHMACSHA256_32 CipherSuite = 0x0003
	// AES128GCMSHA256_128 is AES_128_GCM_SHA256_128.
	AES128GCMSHA256_128 CipherSuite = 0x0004
	// AES256GCMSHA512_128 is AES_256_GCM_SHA512_128.
	AES256GCMSHA512_128 CipherSuite = 0x0005
)

// suiteParams are a suite's constants (RFC 9605 Table 3).
type suiteParams struct {
	name string
	hash func() hash.Hash
	nka  int // AES key size of the CTR+HMAC suites; 0 for GCM
	nk   int // AEAD key size
	nn   int // nonce size
	nt   int // tag size
}

var suites = map[CipherSuite]suiteParams{
	AES128CTRHMACSHA256_80: {"AES_128_CTR_HMAC_SHA256_80", sha256.New, 16, 48, 12, 10},
	AES128CTRHMACSHA256_64: {"AES_128_CTR_HMAC_SHA256_64", sha256.New, 16, 48, 12, 8},
	AES128CTRHMACSHA256_32: {"AES_128_CTR_HMAC_SHA256_32", sha256.New, 16, 48, 12, 4},
	AES128GCMSHA256_128:    {"AES_128_GCM_SHA256_128", sha256.New, 0, 16, 12, 16},
	AES256GCMSHA512_128:    {"AES_256_GCM_SHA512_128", sha512.New, 0, 32, 12, 16},
}

// String returns the suite's RFC name.
func (c CipherSuite) String() string {
	if p, ok := suites[c]; ok {
		return p.name
	}
	return fmt.Sprintf("CipherSuite(%#04x)", uint16(c))
}

// Overhead is how many bytes a frame grows by at most when encrypted under
// the suite: the longest header plus the tag.
func (c CipherSuite) Overhead() int {
	return MaxHeaderSize + suites[c].nt
}

func (c CipherSuite) params() (suiteParams, error) {
	p, ok := suites[c]
	if !ok {
		return suiteParams{}, fmt.Errorf("%w: %#04x", ErrUnknownSuite, uint16(c))
	}
	return p, nil
}

// nonceSize is Nn, the same for every suite of the RFC.
const nonceSize = 12

// keyMaterial is a KID's derived key and salt, ready to seal and open. It
// is not safe for concurrent use (the CTR+HMAC suites reuse one hash); the
// Sender and Receiver that own it hold their lock around it.
type keyMaterial struct {
	suite CipherSuite
	nt    int
	salt  [nonceSize]byte
	gcm   cipher.AEAD  // GCM suites
	ctr   cipher.Block // CTR+HMAC suites: the AES block of enc_key
	mac   hash.Hash    // CTR+HMAC suites: HMAC keyed with auth_key
	// Scratch for the CTR+HMAC suites: a counter block, its key stream
	// and a tag.
	block, stream [aes.BlockSize]byte
	sum           [sha512.Size]byte
}

// deriveKey is the RFC's derive_key_salt, and builds the AEAD.
func deriveKey(suite CipherSuite, kid uint64, baseKey []byte) (*keyMaterial, error) {
	p, err := suite.params()
	if err != nil {
		return nil, err
	}
	if len(baseKey) < MinBaseKeySize || len(baseKey) > MaxBaseKeySize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadKey, len(baseKey))
	}
	key, salt, err := deriveKeySalt(p, suite, kid, baseKey)
	if err != nil {
		return nil, err
	}
	return newKeyMaterial(p, suite, key, salt)
}

// newKeyMaterial builds the AEAD of sframe_key and keeps sframe_salt.
func newKeyMaterial(p suiteParams, suite CipherSuite, key, salt []byte) (*keyMaterial, error) {
	var err error
	km := &keyMaterial{suite: suite, nt: p.nt}
	copy(km.salt[:], salt)
	if p.nka == 0 {
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("sframe: aes: %w", err)
		}
		if km.gcm, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("sframe: gcm: %w", err)
		}
		return km, nil
	}
	encKey, authKey := key[:p.nka], key[p.nka:]
	if km.ctr, err = aes.NewCipher(encKey); err != nil {
		return nil, fmt.Errorf("sframe: aes: %w", err)
	}
	km.mac = hmac.New(p.hash, authKey)
	return km, nil
}

// deriveKeySalt returns sframe_key and sframe_salt (RFC 9605 Section 4.4.2).
func deriveKeySalt(p suiteParams, suite CipherSuite, kid uint64, baseKey []byte) (key, salt []byte, err error) {
	secret, err := hkdf.Extract(p.hash, baseKey, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("sframe: hkdf extract: %w", err)
	}
	if key, err = hkdf.Expand(p.hash, secret, label("SFrame 1.0 Secret key ", kid, suite), p.nk); err != nil {
		return nil, nil, fmt.Errorf("sframe: hkdf expand key: %w", err)
	}
	if salt, err = hkdf.Expand(p.hash, secret, label("SFrame 1.0 Secret salt ", kid, suite), p.nn); err != nil {
		return nil, nil, fmt.Errorf("sframe: hkdf expand salt: %w", err)
	}
	return key, salt, nil
}

// label is the HKDF info: the prefix, the KID as 8 bytes and the suite as 2
// bytes, both big-endian.
func label(prefix string, kid uint64, suite CipherSuite) string {
	b := make([]byte, 0, len(prefix)+10)
	b = append(b, prefix...)
	b = binary.BigEndian.AppendUint64(b, kid)
	b = binary.BigEndian.AppendUint16(b, uint16(suite))
	return string(b)
}

// nonce is sframe_salt XOR the counter as an Nn-byte big-endian integer.
func (km *keyMaterial) nonce(ctr uint64) [nonceSize]byte {
	n := km.salt
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], ctr)
	for i := range c {
		n[nonceSize-8+i] ^= c[i]
	}
	return n
}

// seal appends AEAD.Encrypt(key, nonce, aad, pt) to dst.
func (km *keyMaterial) seal(dst []byte, nonce [nonceSize]byte, aad, pt []byte) []byte {
	if km.gcm != nil {
		return km.gcm.Seal(dst, nonce[:], pt, aad)
	}
	start := len(dst)
	dst = append(dst, pt...)
	ct := dst[start:]
	km.xorCTR(ct, nonce)
	return append(dst, km.tag(nonce, aad, ct)...)
}

// open appends AEAD.Decrypt(key, nonce, aad, ct) to dst, or fails with
// ErrAuth (ErrTruncated when ct is shorter than the tag).
func (km *keyMaterial) open(dst []byte, nonce [nonceSize]byte, aad, ct []byte) ([]byte, error) {
	if len(ct) < km.nt {
		return nil, ErrTruncated
	}
	if km.gcm != nil {
		out, err := km.gcm.Open(dst, nonce[:], ct, aad)
		if err != nil {
			return nil, ErrAuth
		}
		return out, nil
	}
	inner, tag := ct[:len(ct)-km.nt], ct[len(ct)-km.nt:]
	if subtle.ConstantTimeCompare(tag, km.tag(nonce, aad, inner)) != 1 {
		return nil, ErrAuth
	}
	start := len(dst)
	dst = append(dst, inner...)
	km.xorCTR(dst[start:], nonce)
	return dst, nil
}

// smallCTR is the frame size up to which xorCTR runs the counter blocks
// itself: cipher.NewCTR allocates and precomputes, which costs more than
// it saves on an Opus-sized frame.
const smallCTR = 512

// xorCTR runs AES-CTR over b in place from the counter block nonce||0^32.
func (km *keyMaterial) xorCTR(b []byte, nonce [nonceSize]byte) {
	copy(km.block[:], nonce[:])
	if len(b) > smallCTR {
		binary.BigEndian.PutUint32(km.block[nonceSize:], 0)
		cipher.NewCTR(km.ctr, km.block[:]).XORKeyStream(b, b)
		return
	}
	// A frame of at most smallCTR bytes has fewer than 2^32 blocks, so the
	// counter never carries out of its low 32 bits.
	for i := uint32(0); len(b) > 0; i++ {
		binary.BigEndian.PutUint32(km.block[nonceSize:], i)
		km.ctr.Encrypt(km.stream[:], km.block[:])
		b = b[subtle.XORBytes(b, b, km.stream[:]):]
	}
}

// tag is compute_tag of RFC 9605 Section 4.5.1, truncated to Nt bytes.
func (km *keyMaterial) tag(nonce [nonceSize]byte, aad, ct []byte) []byte {
	var lens [24]byte
	binary.BigEndian.PutUint64(lens[0:], uint64(len(aad)))
	binary.BigEndian.PutUint64(lens[8:], uint64(len(ct)))
	binary.BigEndian.PutUint64(lens[16:], uint64(km.nt))
	km.mac.Reset()
	km.mac.Write(lens[:])
	km.mac.Write(nonce[:])
	km.mac.Write(aad)
	km.mac.Write(ct)
	return km.mac.Sum(km.sum[:0])[:km.nt]
}

// Sender encrypts one participant's frames under its current key. It is
// safe for concurrent use; every frame gets the next counter, so no
// (KID, counter) pair is ever used twice.
type Sender struct {
	mu   sync.Mutex
	kid  uint64
	km   *keyMaterial // guarded by mu
	next uint64       // the next counter; guarded by mu
	done bool         // every counter was used; guarded by mu
	aad  []byte       // scratch for header||metadata; guarded by mu
}

// NewSender returns a Sender for frames under base key baseKey with the
// given KID.
func NewSender(suite CipherSuite, kid uint64, baseKey []byte) (*Sender, error) {
	km, err := deriveKey(suite, kid, baseKey)
	if err != nil {
		return nil, err
	}
	return &Sender{kid: kid, km: km}, nil
}

// KID is the key id every frame of this Sender carries.
func (s *Sender) KID() uint64 { return s.kid }

// Encrypt appends the SFrame ciphertext of plaintext to dst and returns it.
// metadata is authenticated but not encrypted or carried: the receiver
// must pass the same bytes to Decrypt.
func (s *Sender) Encrypt(dst, metadata, plaintext []byte) ([]byte, error) {
	if len(metadata) > MaxMetadataSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMetadataTooLarge, len(metadata))
	}
	if len(plaintext)+s.km.nt+MaxHeaderSize > MaxFrameSize {
		return nil, fmt.Errorf("%w: %d bytes of plaintext", ErrFrameTooLarge, len(plaintext))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return nil, ErrCounterExhausted
	}
	ctr := s.next
	if s.next++; s.next == 0 {
		s.done = true
	}
	return s.seal(dst, ctr, metadata, plaintext), nil
}

// seal encrypts under an explicit counter (the RFC's encrypt); s.mu is held.
func (s *Sender) seal(dst []byte, ctr uint64, metadata, plaintext []byte) []byte {
	h := Header{KID: s.kid, CTR: ctr}
	start := len(dst)
	dst = h.Append(dst)
	s.aad = append(append(s.aad[:0], dst[start:]...), metadata...)
	return s.km.seal(dst, s.km.nonce(ctr), s.aad, plaintext)
}

// Receiver decrypts one sender's frames. It holds up to MaxReceiverKeys
// keys by KID and refuses a (KID, counter) it has already accepted. It is
// safe for concurrent use.
type Receiver struct {
	suite CipherSuite
	mu    sync.Mutex
	keys  map[uint64]*recvKey // guarded by mu
	aad   []byte              // scratch; guarded by mu
}

// recvKey is one KID's key and its replay window: counters at or below top
// and within ReplayWindow of it are remembered in a ring of bits indexed by
// counter modulo ReplayWindow.
type recvKey struct {
	km   *keyMaterial
	used bool
	top  uint64
	seen [ReplayWindow / 64]uint64
}

// NewReceiver returns a Receiver with no keys for frames under suite.
func NewReceiver(suite CipherSuite) (*Receiver, error) {
	if _, err := suite.params(); err != nil {
		return nil, err
	}
	return &Receiver{suite: suite, keys: make(map[uint64]*recvKey)}, nil
}

// AddKey adds (or replaces, with a fresh replay window) the key for kid.
func (r *Receiver) AddKey(kid uint64, baseKey []byte) error {
	km, err := deriveKey(r.suite, kid, baseKey)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[kid]; !ok && len(r.keys) >= MaxReceiverKeys {
		return fmt.Errorf("%w: %d held", ErrTooManyKeys, len(r.keys))
	}
	r.keys[kid] = &recvKey{km: km}
	return nil
}

// RemoveKey forgets the key for kid; frames under it then fail with
// ErrUnknownKey.
func (r *Receiver) RemoveKey(kid uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.keys, kid)
}

// RetainOnly forgets every key but the one for kid.
func (r *Receiver) RetainOnly(kid uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k := range r.keys {
		if k != kid {
			delete(r.keys, k)
		}
	}
}

// HasKey reports whether a key for kid is held.
func (r *Receiver) HasKey(kid uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[kid]
	return ok
}

// Decrypt authenticates and decrypts an SFrame frame, appending the
// plaintext to dst. metadata must be what the sender passed to Encrypt. It
// returns the frame's header with the plaintext; a frame is accepted at
// most once.
func (r *Receiver) Decrypt(dst, metadata, frame []byte) ([]byte, Header, error) {
	if len(frame) > MaxFrameSize {
		return nil, Header{}, fmt.Errorf("%w: %d bytes", ErrFrameTooLarge, len(frame))
	}
	if len(metadata) > MaxMetadataSize {
		return nil, Header{}, fmt.Errorf("%w: %d bytes", ErrMetadataTooLarge, len(metadata))
	}
	h, n, err := ParseHeader(frame)
	if err != nil {
		return nil, Header{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.keys[h.KID]
	if !ok {
		return nil, h, fmt.Errorf("%w %d", ErrUnknownKey, h.KID)
	}
	if !k.fresh(h.CTR) {
		return nil, h, fmt.Errorf("%w: kid %d ctr %d", ErrReplay, h.KID, h.CTR)
	}
	r.aad = append(append(r.aad[:0], frame[:n]...), metadata...)
	out, err := k.km.open(dst, k.km.nonce(h.CTR), r.aad, frame[n:])
	if err != nil {
		return nil, h, fmt.Errorf("kid %d ctr %d: %w", h.KID, h.CTR, err)
	}
	k.accept(h.CTR)
	return out, h, nil
}

func (k *recvKey) bit(ctr uint64) (word int, mask uint64) {
	i := ctr % ReplayWindow
	return int(i / 64), 1 << (i % 64)
}

// fresh reports whether ctr may still be accepted.
func (k *recvKey) fresh(ctr uint64) bool {
	if !k.used || ctr > k.top {
		return true
	}
	if k.top-ctr >= ReplayWindow {
		return false
	}
	w, m := k.bit(ctr)
	return k.seen[w]&m == 0
}

// accept records ctr as seen (after it authenticated).
func (k *recvKey) accept(ctr uint64) {
	switch {
	case !k.used || ctr-k.top >= ReplayWindow && ctr > k.top:
		k.seen = [ReplayWindow / 64]uint64{}
		k.used, k.top = true, ctr
	case ctr > k.top:
		for c := k.top + 1; c != ctr; c++ {
			w, m := k.bit(c)
			k.seen[w] &^= m
		}
		k.top = ctr
	}
	w, m := k.bit(ctr)
	k.seen[w] |= m
}
