package node

import "crypto/ed25519"

// benchSigner signs ops with a bare Ed25519 key.
type benchSigner struct{ priv ed25519.PrivateKey }

func (s benchSigner) PublicKey() ed25519.PublicKey { return s.priv.Public().(ed25519.PublicKey) }
func (s benchSigner) Sign(m []byte) []byte         { return ed25519.Sign(s.priv, m) }
