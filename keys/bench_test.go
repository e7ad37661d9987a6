package keys

import (
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
	"github.com/umbrella-p2p/umbrella/e2ee"
)

// BenchmarkRotation5000 measures one rotation of a 5,000-member log: the
// admin draws an epoch and wraps it to every member's prekey (one core),
// split into rekey ops. Reported: time, the bytes of all its ops' bodies,
// the number of ops, and one member's cost to unwrap its secret.
func BenchmarkRotation5000(b *testing.B) {
	const members = 5000
	for _, suite := range []e2ee.Suite{e2ee.X25519, e2ee.Hybrid} {
		b.Run(suite.String(), func(b *testing.B) {
			st := &crdt.State{Members: map[crdt.PublicKey]*crdt.Member{}, Prekeys: map[crdt.PublicKey]*crdt.Prekey{}}
			var first *e2ee.Prekey
			var firstKey crdt.PublicKey
			for i := range members {
				var k crdt.PublicKey
				k[0], k[1], k[2] = byte(i), byte(i>>8), 1
				p, err := e2ee.NewPrekey(suite, 0)
				if err != nil {
					b.Fatal(err)
				}
				if i == 0 {
					first, firstKey = p, k
				}
				st.Members[k] = &crdt.Member{Key: k, Role: crdt.RoleMember}
				st.Prekeys[k] = &crdt.Prekey{Op: crdt.ID{byte(i)}, KEM: uint16(suite), Key: p.Public}
			}
			cid := crdt.ID{7}
			var bytes, parts int
			b.ResetTimer()
			for b.Loop() {
				id, secret := e2ee.NewEpoch()
				bodies, err := RekeyBodies(Targets(st, crdt.ZeroID, nil), cid, crdt.ZeroID, id, secret, crdt.RekeyTimer, 1, DefaultWrapBudget)
				if err != nil {
					b.Fatal(err)
				}
				bytes, parts = 0, len(bodies)
				for _, body := range bodies {
					raw, err := crdt.EncodeBody(body)
					if err != nil {
						b.Fatal(err)
					}
					if len(raw) > crdt.MaxBodySize {
						b.Fatalf("rekey body of %d bytes", len(raw))
					}
					bytes += len(raw)
				}
				if b.N == 1 { // check one member opens its wrap
					for _, body := range bodies {
						for _, w := range body.Wraps {
							if crdt.PublicKey(w.Member) == firstKey {
								if _, err := first.Unwrap(e2ee.WrapInfo(cid, crdt.ZeroID, id, firstKey), w.Secret); err != nil {
									b.Fatal(err)
								}
							}
						}
					}
				}
			}
			b.ReportMetric(float64(bytes), "bytes/rotation")
			b.ReportMetric(float64(parts), "ops/rotation")
		})
	}
}

// plainPerOp is the plaintext write+read cost per op of the same run, so
// the sealed benchmark can report its ratio.
var plainPerOp time.Duration

// BenchmarkMessageCrypto measures one message op end to end: the author
// encodes, (seals,) signs; a member decodes and verifies, (opens,) and
// decodes the body. "plain" skips sealing and opening; "sealed" reports
// its cost as a ratio to "plain".
func BenchmarkMessageCrypto(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	s := edSigner{priv}
	cid := crdt.ID{3}
	id, secret := e2ee.NewEpoch()
	sender, receiver := e2ee.NewKeyring(), e2ee.NewKeyring()
	for _, k := range []*e2ee.Keyring{sender, receiver} {
		k.AddEpoch(e2ee.EpochKey{ID: id, Community: cid, Log: cid, Secret: secret})
	}
	var author crdt.PublicKey
	copy(author[:], s.PublicKey())
	one := func(b *testing.B, seal bool, i int) {
		body, err := crdt.EncodeBody(&crdt.MessageBody{Text: fmt.Sprintf("Congratulations to Maria, top seller of week %d! Her tip: follow up within a day.", i), Time: int64(i)})
		if err != nil {
			b.Fatal(err)
		}
		o := crdt.Op{Community: cid, Log: cid, Author: author, Kind: crdt.KindMessage, Height: 2, Parents: []crdt.ID{{1}}, Deps: []crdt.ID{{2}}, Body: body}
		if seal {
			if err := sender.Seal(&o, id); err != nil {
				b.Fatal(err)
			}
		}
		op, err := crdt.Sign(o, s)
		if err != nil {
			b.Fatal(err)
		}
		got, err := crdt.DecodeOp(op.Bytes())
		if err != nil {
			b.Fatal(err)
		}
		var plain []byte
		if seal {
			if plain, err = receiver.Open(got); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := crdt.DecodeOpened(got, plain); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("plain", func(b *testing.B) {
		i := 0
		start := time.Now()
		for b.Loop() {
			one(b, false, i)
			i++
		}
		plainPerOp = time.Since(start) / time.Duration(max(i, 1))
	})
	b.Run("sealed", func(b *testing.B) {
		i := 0
		start := time.Now()
		for b.Loop() {
			one(b, true, i)
			i++
		}
		if plainPerOp > 0 {
			b.ReportMetric(float64(time.Since(start)/time.Duration(max(i, 1)))/float64(plainPerOp), "x-plain")
		}
	})
}

type edSigner struct{ priv ed25519.PrivateKey }

func (s edSigner) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }
func (s edSigner) Sign(m []byte) []byte         { return ed25519.Sign(s.priv, m) }
