// Package reach is how an Umbrella node is found and finds others: the
// peer book that remembers addresses across restarts (Book), relay slots
// and AutoNAT reachability (Relays), dialling remembered peers (Redial),
// listen ports that stay free and stable across restarts (CheckPortsFree,
// ReusePorts), and the circuit relay service of `umbrellad relay`
// (OpenRelay).
//
// It knows peers and addresses, never communities' contents: it must
// never decide who is a member (callers filter with what the replica
// says), never read or write ops, and never print.
package reach
