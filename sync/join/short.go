package join

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	manet "github.com/multiformats/go-multiaddr/net"

	"github.com/umbrella-p2p/umbrella/identity"
	"github.com/umbrella-p2p/umbrella/identity/peerkey"
)

// ShortPrefix starts every short invite link (the second link format; the
// first, identity.LinkPrefix, carries the whole invite op).
const ShortPrefix = "umbrella://j/"

// ShortLink is what a short invite link carries: only what cannot be
// fetched. The invite's secret names the invite (its public key follows
// from it), and Peers are the members or relays to fetch the invite op
// from and to ask to admit the joiner.
//
// Its payload, in base64url without padding, is the 32-byte secret and
// then, for each peer, its 32-byte Ed25519 key, a count of addresses and
// the addresses, and last a 2-byte check (the start of the SHA-256 of the
// rest) so that a link damaged in copying says so rather than sending its
// joiner to a wrong address. An address is a tag byte and its bytes: tag
// 4 is /ip4/A/udp/P/quic-v1 (4 bytes of address, 2 of port), tag 6 the
// same over IPv6 (16 and 2), and tag 0 any other binary multiaddr, after
// its length as a uvarint. Addresses never repeat the /p2p/ part: the key
// names the peer.
type ShortLink struct {
	Secret []byte // 32-byte Ed25519 seed of the invite key
	Peers  []peer.AddrInfo
}

// Address tags of the short link's payload.
const (
	tagAddr  = 0
	tagQUIC4 = 4
	tagQUIC6 = 6
)

// The binary multiaddr parts of /udp/P/quic-v1 around the port, as the
// compact tags stand for them.
var (
	udpCode  = []byte{0x91, 0x02} // uvarint 0x0111
	quicCode = []byte{0xcd, 0x03} // uvarint 0x01cd
)

// IsShort reports whether s looks like a short link (it may still fail to
// parse).
func IsShort(s string) bool {
	_, ok := cutPrefixFold(strings.TrimSpace(s), ShortPrefix)
	return ok
}

// cutPrefixFold is strings.CutPrefix ignoring the case of the prefix: a
// link's scheme and host are case-insensitive (UMBRELLA://J/… is a short
// link), its base64 payload after them is not.
func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return s, false
	}
	return s[len(prefix):], true
}

// InviteKey returns the invite's public key.
func (l ShortLink) InviteKey() ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(l.Secret).Public().(ed25519.PublicKey)
}

// String encodes l. It fails if l has more peers or addresses than a
// short link may carry or a peer's id is not an Ed25519 key.
func (l ShortLink) String() (string, error) {
	if len(l.Secret) != ed25519.SeedSize {
		return "", fmt.Errorf("invite secret is %d bytes, want %d", len(l.Secret), ed25519.SeedSize)
	}
	if len(l.Peers) > MaxShortPeers {
		return "", fmt.Errorf("%d peers, a short link names at most %d", len(l.Peers), MaxShortPeers)
	}
	b := append([]byte(nil), l.Secret...)
	for _, p := range l.Peers {
		k, err := peerkey.PublicKey(p.ID)
		if err != nil {
			return "", fmt.Errorf("peer %s: %w", p.ID, err)
		}
		if len(p.Addrs) > MaxShortAddrs {
			return "", fmt.Errorf("peer %s has %d addresses, a short link carries at most %d", p.ID.ShortString(), len(p.Addrs), MaxShortAddrs)
		}
		b = append(b, k...)
		b = append(b, byte(len(p.Addrs)))
		for _, a := range p.Addrs {
			b = appendAddr(b, a.Bytes())
		}
	}
	b = append(b, shortCheck(b)...)
	s := ShortPrefix + base64.RawURLEncoding.EncodeToString(b)
	if len(s) > MaxShortLinkLen {
		return "", fmt.Errorf("the link would be %d characters, at most %d", len(s), MaxShortLinkLen)
	}
	return s, nil
}

// appendAddr appends binary multiaddr a in its compact form.
func appendAddr(b, a []byte) []byte {
	for _, c := range []struct {
		tag  byte
		code byte
		ip   int
	}{{tagQUIC4, 0x04, 4}, {tagQUIC6, 0x29, 16}} {
		if len(a) == 1+c.ip+2+2+2 && a[0] == c.code && bytes.Equal(a[1+c.ip:3+c.ip], udpCode) && bytes.Equal(a[5+c.ip:], quicCode) {
			b = append(b, c.tag)
			b = append(b, a[1:1+c.ip]...)
			return append(b, a[3+c.ip:5+c.ip]...)
		}
	}
	b = append(b, tagAddr)
	b = binary.AppendUvarint(b, uint64(len(a)))
	return append(b, a...)
}

// ParseShortLink decodes a short link. It accepts surrounding whitespace.
// Every error wraps identity.ErrBadLink.
func ParseShortLink(s string) (ShortLink, error) {
	s = strings.TrimSpace(s)
	if len(s) > MaxShortLinkLen {
		return ShortLink{}, fmt.Errorf("%w: %d characters, a short link has at most %d", identity.ErrBadLink, len(s), MaxShortLinkLen)
	}
	payload, ok := cutPrefixFold(s, ShortPrefix)
	if !ok {
		return ShortLink{}, fmt.Errorf("%w: it must start with %s", identity.ErrBadLink, ShortPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ShortLink{}, fmt.Errorf("%w: it is damaged or incomplete (was it copied whole?)", identity.ErrBadLink)
	}
	bad := func(format string, args ...any) (ShortLink, error) {
		return ShortLink{}, fmt.Errorf("%w: %s", identity.ErrBadLink, fmt.Sprintf(format, args...))
	}
	if len(b) < ed25519.SeedSize+checkSize {
		return bad("it is too short to hold an invite")
	}
	b, sum := b[:len(b)-checkSize], b[len(b)-checkSize:]
	if !bytes.Equal(sum, shortCheck(b)) {
		return bad("it is damaged (was it copied whole?)")
	}
	l := ShortLink{Secret: b[:ed25519.SeedSize:ed25519.SeedSize]}
	b = b[ed25519.SeedSize:]
	for len(b) > 0 {
		if len(l.Peers) == MaxShortPeers {
			return bad("it names more than %d peers", MaxShortPeers)
		}
		if len(b) < ed25519.PublicKeySize+1 {
			return bad("a peer is cut short")
		}
		id, err := peerkey.FromPublicKey(b[:ed25519.PublicKeySize])
		if err != nil {
			return bad("peer key: %v", err)
		}
		n := int(b[ed25519.PublicKeySize])
		b = b[ed25519.PublicKeySize+1:]
		if n > MaxShortAddrs {
			return bad("a peer has %d addresses, at most %d", n, MaxShortAddrs)
		}
		ai := peer.AddrInfo{ID: id}
		for range n {
			var a ma.Multiaddr
			if a, b, err = readAddr(b); err != nil {
				return bad("address: %v", err)
			}
			ai.Addrs = append(ai.Addrs, a)
		}
		l.Peers = append(l.Peers, ai)
	}
	return l, nil
}

// checkSize is the length of a short link's check.
const checkSize = 2

// shortCheck is the check of a short link's payload b.
func shortCheck(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:checkSize]
}

// readAddr reads one compact address off b.
func readAddr(b []byte) (ma.Multiaddr, []byte, error) {
	if len(b) == 0 {
		return nil, nil, fmt.Errorf("missing")
	}
	tag, b := b[0], b[1:]
	var raw []byte
	switch tag {
	case tagQUIC4, tagQUIC6:
		ip, code := 4, byte(0x04)
		if tag == tagQUIC6 {
			ip, code = 16, 0x29
		}
		if len(b) < ip+2 {
			return nil, nil, fmt.Errorf("cut short")
		}
		raw = append(append(append(append([]byte{code}, b[:ip]...), udpCode...), b[ip:ip+2]...), quicCode...)
		b = b[ip+2:]
	case tagAddr:
		n, k := binary.Uvarint(b)
		if k <= 0 || n > MaxShortAddrLen || uint64(len(b)-k) < n {
			return nil, nil, fmt.Errorf("bad length")
		}
		raw, b = b[k:k+int(n)], b[k+int(n):]
	default:
		return nil, nil, fmt.Errorf("unknown kind %d", tag)
	}
	a, err := ma.NewMultiaddrBytes(raw)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// NewShortLink makes the short link of the invite whose seed is secret,
// naming the inviter by at most two of its addresses (the best of each IP
// family) and at most one other peer (a member or relay, in the order
// given, that has an address) by its best address.
func NewShortLink(secret []byte, inviter peer.AddrInfo, others ...peer.AddrInfo) ShortLink {
	l := ShortLink{Secret: secret, Peers: []peer.AddrInfo{{ID: inviter.ID, Addrs: bestAddrs(inviter.Addrs, 2)}}}
	for _, o := range others {
		if o.ID != inviter.ID && len(o.Addrs) > 0 {
			l.Peers = append(l.Peers, peer.AddrInfo{ID: o.ID, Addrs: bestAddrs(o.Addrs, 1)})
			break
		}
	}
	return l
}

// bestAddrs picks up to n of addrs, the best first, each of another IP
// family while there are: reachable addresses before loopback, direct
// ones before relayed, QUIC before the rest.
func bestAddrs(addrs []ma.Multiaddr, n int) []ma.Multiaddr {
	score := func(a ma.Multiaddr) int {
		s := 0
		if !manet.IsIPLoopback(a) {
			s += 4
		}
		if _, err := a.ValueForProtocol(ma.P_CIRCUIT); err != nil {
			s += 8
		}
		if _, err := a.ValueForProtocol(ma.P_QUIC_V1); err == nil {
			s += 2
		}
		return s
	}
	family := func(a ma.Multiaddr) int {
		if len(a) == 0 {
			return 0
		}
		return a[0].Code()
	}
	sorted := slices.Clone(addrs)
	slices.SortStableFunc(sorted, func(a, b ma.Multiaddr) int { return score(b) - score(a) })
	var out []ma.Multiaddr
	for _, a := range sorted {
		if len(out) < n && !slices.ContainsFunc(out, func(o ma.Multiaddr) bool { return family(o) == family(a) }) {
			out = append(out, a)
		}
	}
	for _, a := range sorted {
		if len(out) < n && !slices.ContainsFunc(out, a.Equal) {
			out = append(out, a)
		}
	}
	return out
}
