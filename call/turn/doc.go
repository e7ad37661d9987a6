// Package turn runs a TURN server (RFC 8656, pion/turn) on a relay for the
// members of the communities that registered it, so members behind
// symmetric NATs, who cannot reach each other directly, still get call
// media through: each relays its media through an allocation on the
// relay. It also carries the protocol by which a member gets credentials
// for it.
//
// It must never hand out a static shared password, judge who is a member
// itself (the relay's owner says, through Config.Allowed, from what the
// relay knows of the control logs), hold a call's media keys (media
// through TURN is SRTP carrying SFrame ciphertext, as on any path), or
// import libp2p: the credential protocol runs over an io.ReadWriteCloser
// and the authenticated key of the peer at its other end.
//
// # Credentials (the TURN REST scheme)
//
// The relay keeps a random secret in memory (a restart makes a new one,
// and every earlier credential stops working). A credential is
//
//	username = "<expiry, unix seconds>:<the member's peer id>"
//	password = base64(HMAC-SHA1(secret, username))
//
// so the relay checks one with no table of credentials: the server
// recomputes the password from the username, and refuses a new
// allocation under a username whose expiry passed. A credential makes
// allocations for TTL (10 minutes; a call asks again each time its media
// starts); the requests that keep an allocation made in time alive
// (refresh, permissions, channels) are taken up to KeepAlive (24 hours,
// the longest call) after the expiry, so a long call keeps its relay. A member removed from every community
// that registered the relay gets no new credential, one it already holds
// is refused at its next use, and its allocations, over UDP or TCP, are
// cut off (see "Removed members" in gate.go).
//
// # Protocol (/umbrella/turn/1)
//
// One Request and one Response per stream, each a sync/wire frame of
// canonical CBOR of at most MaxFrame bytes:
//
//	Request:  Version (1).
//	Response: URLs (turn:host:port?transport=udp, and tcp when served),
//	          Username, Password, Expires (unix seconds); or Error when
//	          the relay cannot tell the peer is a member of a community
//	          it keeps, or serves no TURN.
package turn
