package wire

// Protocol ids of the stream protocols whose messages this package frames
// (see the package comment). They are plain strings so that this package
// stays free of libp2p; package sync/p2p registers them on a host.
const (
	// SyncProtocol is the pull protocol: one Request, one Response.
	SyncProtocol = "/umbrella/sync/1"
	// ReconcileProtocol is set reconciliation: Reconcile frames, in turns.
	ReconcileProtocol = "/umbrella/reconcile/1"
	// JoinProtocol admits a joiner: one JoinRequest, one JoinResponse.
	JoinProtocol = "/umbrella/join/1"
)
