package join

import (
	"bytes"
	"encoding/base64"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/umbrella-p2p/umbrella/identity"
)

// realisticShort is a short link as an inviter at home makes it: its IPv4
// and IPv6 QUIC addresses, and another member's IPv4 one, with real peer
// ids.
func realisticShort(t *testing.T) ShortLink {
	t.Helper()
	return ShortLink{
		Secret: bytes.Repeat([]byte{0xa7}, 32),
		Peers: []peer.AddrInfo{
			{ID: newKey(3).peer(t), Addrs: []ma.Multiaddr{
				ma.StringCast("/ip4/203.0.113.54/udp/41234/quic-v1"),
				ma.StringCast("/ip6/2001:db8:85a3:8d3:1319:8a2e:370:7348/udp/41234/quic-v1"),
			}},
			{ID: newKey(4).peer(t), Addrs: []ma.Multiaddr{ma.StringCast("/ip4/198.51.100.7/udp/4001/quic-v1")}},
		},
	}
}

func TestShortLinkIsShort(t *testing.T) {
	s, err := realisticShort(t).String()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d characters: %s", len(s), s)
	if len(s) > 200 {
		t.Errorf("a short link is %d characters, want at most 200", len(s))
	}
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	if q.VersionNumber > 10 {
		t.Errorf("its QR code at level M is version %d, want at most 10", q.VersionNumber)
	}
}

func TestShortLinkRoundTrip(t *testing.T) {
	want := realisticShort(t)
	want.Peers = append(want.Peers, peer.AddrInfo{ID: newKey(5).peer(t), Addrs: []ma.Multiaddr{
		ma.StringCast("/ip4/192.0.2.9/tcp/4001"),
		ma.StringCast("/dns4/relay.example.org/udp/443/quic-v1"),
	}}, peer.AddrInfo{ID: newKey(6).peer(t)})
	s, err := want.String()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseShortLink("  " + s + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Secret, want.Secret) || len(got.Peers) != len(want.Peers) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want.Peers {
		if got.Peers[i].ID != want.Peers[i].ID || !slices.EqualFunc(got.Peers[i].Addrs, want.Peers[i].Addrs, ma.Multiaddr.Equal) {
			t.Errorf("peer %d: got %v, want %v", i, got.Peers[i], want.Peers[i])
		}
	}
	if !IsShort(s) || IsShort(identity.LinkPrefix+"abc") {
		t.Error("IsShort mistakes a link's form")
	}
}

func TestShortLinkRejects(t *testing.T) {
	good, err := realisticShort(t).String()
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]string{
		"long form":  identity.LinkPrefix + "oQ",
		"not base64": ShortPrefix + "***",
		"no secret":  ShortPrefix + b64(checked(make([]byte, 20))),
		"cut peer":   good[:len(ShortPrefix)+50],
		"cut addr":   good[:len(good)-3],
		"too long":   ShortPrefix + strings.Repeat("A", MaxShortLinkLen),
		"bad tag":    ShortPrefix + b64(checked(append(append(make([]byte, 32), newKey(3).PublicKey()...), 1, 9))),
		"flipped":    flip(good, len(good)-40),
		"bad check":  ShortPrefix + b64(append(make([]byte, 32), 0, 0)),
	} {
		if _, err := ParseShortLink(s); !errors.Is(err, identity.ErrBadLink) {
			t.Errorf("%s: got %v, want ErrBadLink", name, err)
		}
	}
	many := realisticShort(t)
	for len(many.Peers) <= MaxShortPeers {
		many.Peers = append(many.Peers, many.Peers[0])
	}
	if _, err := many.String(); err == nil {
		t.Error("a link with too many peers encoded")
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// checked is payload b with its check.
func checked(b []byte) []byte { return append(b, shortCheck(b)...) }

// flip changes the character of s at i.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// FuzzParseShortLink parses fuzzed payloads with a valid check (so the
// fuzzer reaches the decoder behind it) and fuzzed text as it comes:
// errors wrap ErrBadLink, and what parses encodes back and parses alike.
func FuzzParseShortLink(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(append(make([]byte, 32), append(bytes.Repeat([]byte{7}, 32), 1, 4, 1, 2, 3, 4, 5, 6)...))
	f.Add(append(make([]byte, 32), append(bytes.Repeat([]byte{7}, 32), 1, 0, 3, 4, 1, 2)...))
	f.Add([]byte(ShortPrefix + "AAAA"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, s := range []string{ShortPrefix + b64(checked(slices.Clone(payload))), string(payload)} {
			l, err := ParseShortLink(s)
			if err != nil {
				if !errors.Is(err, identity.ErrBadLink) {
					t.Fatalf("error %v does not wrap ErrBadLink", err)
				}
				continue
			}
			again, err := l.String()
			if err != nil {
				continue // a generic address may re-encode longer than the limit
			}
			l2, err := ParseShortLink(again)
			if err != nil || !bytes.Equal(l2.Secret, l.Secret) || len(l2.Peers) != len(l.Peers) {
				t.Fatalf("%q re-encoded as %q: %v", s, again, err)
			}
		}
	})
}

// TestLinkSchemeIgnoresCase: a link's scheme and host are read in any case
// (URL schemes are case-insensitive; some apps upper-case them), its
// base64 payload is not.
func TestLinkSchemeIgnoresCase(t *testing.T) {
	want := realisticShort(t)
	s, err := want.String()
	if err != nil {
		t.Fatal(err)
	}
	payload := strings.TrimPrefix(s, ShortPrefix)
	for _, prefix := range []string{"UMBRELLA://J/", "Umbrella://j/", "umbrella://J/"} {
		if !IsShort(prefix + payload) {
			t.Errorf("IsShort(%s…) = false", prefix)
		}
		got, err := ParseShortLink(prefix + payload)
		if err != nil || !bytes.Equal(got.Secret, want.Secret) || len(got.Peers) != len(want.Peers) {
			t.Errorf("ParseShortLink(%s…) = %+v, %v", prefix, got, err)
		}
	}
	if _, err := ParseShortLink(ShortPrefix + strings.ToUpper(payload)); !errors.Is(err, identity.ErrBadLink) {
		t.Errorf("an upper-cased payload parses: %v", err)
	}

	long, cid := link(t, newKey(1), now.Add(time.Hour), newKey(3))
	up := "UMBRELLA://JOIN/" + strings.TrimPrefix(long, identity.LinkPrefix)
	if IsShort(up) {
		t.Error("an upper-case long link is taken for a short one")
	}
	inv, err := Read(up)
	if err != nil || inv.Community != cid {
		t.Fatalf("Read(UMBRELLA://JOIN/…) = %+v, %v", inv, err)
	}
}
