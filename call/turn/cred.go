package turn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme's MAC; the key is random and the credential short-lived
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pion/stun/v4"
	pturn "github.com/pion/turn/v5"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// ErrNotMember: the relay cannot tell the asking peer is a member of a
// community it keeps.
var ErrNotMember = errors.New("not a member of a community this relay keeps")

// Credential is a short-lived TURN credential and where to use it.
type Credential struct {
	URLs     []string
	Username string
	Password string
	Expires  time.Time
}

// IssuerConfig configures an Issuer.
type IssuerConfig struct {
	// URLs are the TURN server's URLs, as members dial them
	// (turn:203.0.113.7:3478?transport=udp). Required.
	URLs []string
	// Allowed reports whether member k may get a credential: whether the
	// relay knows it as a member of a community it keeps. Required.
	Allowed func(k crdt.PublicKey) bool
	// PeerID names member k in usernames (its libp2p peer id). Required.
	PeerID func(k crdt.PublicKey) string
	// Member is PeerID's inverse: the member a username's peer id names.
	// Required: every credential is checked against Allowed again each
	// time it is used, so that a member removed from the relay's
	// communities cannot use one it already holds.
	Member func(peerID string) (crdt.PublicKey, bool)
	// Now is the clock; nil: time.Now.
	Now func() time.Time
	// TTL is how long a credential lives; 0: TTL.
	TTL time.Duration
	// Secret is the HMAC key; nil: 32 random bytes.
	Secret []byte
}

// Issuer issues credentials to members and checks them for the TURN
// server. It is safe for concurrent use.
type Issuer struct {
	cfg IssuerConfig
}

// NewIssuer returns an Issuer of cfg.
func NewIssuer(cfg IssuerConfig) (*Issuer, error) {
	if len(cfg.URLs) == 0 || len(cfg.URLs) > MaxURLs || cfg.Allowed == nil || cfg.PeerID == nil || cfg.Member == nil {
		return nil, fmt.Errorf("turn issuer: 1 to %d URLs, Allowed, PeerID and Member are required", MaxURLs)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TTL <= 0 {
		cfg.TTL = TTL
	}
	if cfg.Secret == nil {
		cfg.Secret = make([]byte, 32)
		if _, err := rand.Read(cfg.Secret); err != nil {
			return nil, fmt.Errorf("turn secret: %w", err)
		}
	}
	return &Issuer{cfg: cfg}, nil
}

// Issue returns a fresh credential for member k, or ErrNotMember.
func (i *Issuer) Issue(k crdt.PublicKey) (Credential, error) {
	if !i.cfg.Allowed(k) {
		return Credential{}, ErrNotMember
	}
	exp := i.cfg.Now().Add(i.cfg.TTL).Truncate(time.Second)
	user := strconv.FormatInt(exp.Unix(), 10) + ":" + i.cfg.PeerID(k)
	return Credential{URLs: append([]string(nil), i.cfg.URLs...), Username: user, Password: password(i.cfg.Secret, user), Expires: exp}, nil
}

// password is the TURN REST password of username.
func password(secret []byte, username string) string {
	mac := hmac.New(sha1.New, secret)
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Check returns the long-term key (RFC 8489 §9.2.2) of a username the
// server is asked to authenticate in realm, or false when the username is
// malformed or expired, or names a member no longer Allowed. A new allocation needs an unexpired username;
// the requests that keep an allocation alive (refresh, permissions,
// channels) are taken up to KeepAlive after it expired, so that a call
// longer than TTL keeps the allocation it made in time (they match an
// allocation only from the address that made it).
func (i *Issuer) Check(username, realm string, allocate bool) ([]byte, bool) {
	exp, peer, ok := strings.Cut(username, ":")
	if !ok || peer == "" || len(username) > MaxUsernameLen {
		return nil, false
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	now := i.cfg.Now()
	switch {
	case err != nil:
		return nil, false
	case allocate && t <= now.Unix():
		return nil, false
	case !allocate && t <= now.Add(-KeepAlive).Unix():
		return nil, false
	case !i.allowed(peer):
		return nil, false
	}
	return pturn.GenerateAuthKey(username, realm, password(i.cfg.Secret, username)), true
}

// allowed reports whether the member a username's peer id names is
// still Allowed.
func (i *Issuer) allowed(peer string) bool {
	k, ok := i.cfg.Member(peer)
	return ok && i.cfg.Allowed(k)
}

// authHandler is Check as pion's server asks it; g, if set, learns which
// member each client address is.
func (i *Issuer) authHandler(g *gate) func(ra *pturn.RequestAttributes) (string, []byte, bool) {
	return func(ra *pturn.RequestAttributes) (string, []byte, bool) {
		key, ok := i.Check(ra.Username, ra.Realm, ra.Method == stun.MethodAllocate)
		if !ok {
			return "", nil, false
		}
		if g != nil {
			_, peer, _ := strings.Cut(ra.Username, ":")
			g.learn(ra.SrcAddr, peer)
		}
		return ra.Username, key, true
	}
}
