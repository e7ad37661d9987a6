package wire

// CallProtocol is the calls' signalling protocol: one message and its
// reply per stream (package call documents its messages).
const CallProtocol = "/umbrella/call/1"
