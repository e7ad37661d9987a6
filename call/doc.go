// Package call carries Umbrella's calls: the signalling protocol
// /umbrella/call/1 (sync/wire.CallProtocol) over the members'
// authenticated streams, each call's roster, and the participants' media
// keys. Media itself (WebRTC, SFrame) is package call/media's, which a
// Manager drives through the Media interface declared here; the record
// of a call in its group's log (started, ended, who joined) is crdt's
// call kind, written through the Recorder.
//
// It must never store a key, decide who may do what (crdt does, through
// Members), or import libp2p: handlers take an io.ReadWriteCloser and the
// authenticated key of the peer at its other end.
//
// # Protocol (/umbrella/call/1)
//
// One Message and one Reply per stream, each a sync/wire frame of
// canonical CBOR of at most MaxFrame bytes. Every message names the
// community and the call (the id of the call's start record) and is
// judged against the community's current state: a message from a peer
// who may not take part in calls of the call's group (not a member of the
// community or the group now) is refused, and if that peer was in the
// call it is dropped. Types:
//
//	Ring (1):   Group, Caller, Video, Started, Roster → {}. The caller
//	            tells the group's members it can reach that a call
//	            started. Only the caller rings; a receiver not in the
//	            group refuses.
//	Join (2):   Group, Caller, Video, Started, Reach → Roster, the
//	            call's description, the responder's Reach and the
//	            call's SFU Host (none: a mesh). The joiner sends it to every participant it
//	            knows (from the ring, else the record's caller), then to
//	            those the answers name; if none of those takes part, it
//	            asks up to MaxPoll members it reaches with Roster first.
//	            A participant adds the joiner,
//	            starts media with it and renews its own key. A receiver
//	            that does not take part answers Error with Absent.
//	Leave (3):  → {}. The others drop the leaver and renew their keys.
//	End (4):    → {}. From the caller or an admin: everyone leaves.
//	            A participant the End does not reach leaves when the
//	            end's record reaches it (Manager.Recheck).
//	Remove (5): Peer → {}. From the caller or an admin: everyone drops
//	            Peer and renews its key; Peer itself leaves.
//	Roster (6): → Roster, the description and Host: who takes part;
//	            a member not in a call asks it to list the call (ask.go).
//	            With a Roster, to the relay hosting the call's SFU: who
//	            takes part as the sender judged it; the relay connects
//	            only those a participant named (hostserver.go) → {}.
//	            With a Roster, from that relay to a participant: who is
//	            connected to the call's SFU; the participant reports
//	            (Remove) those crdt does not let take part → Roster, as
//	            the participant's own to the relay (connected.go).
//	Media (7):  Blob → {} or Blob. An opaque media message (SDP, ICE)
//	            between two participants, from call/media's Signal to
//	            its HandleSignal; to the call's SFU host (a participant
//	            or a relay's HostServer), an SFU offer, answered in the
//	            reply's Blob.
//	Key (8):    KID, Key → {}. The sender's SFrame base key KID for its
//	            own frames. Sent only to current participants, over this
//	            authenticated stream, never stored; KID grows with each.
//	Layers (9): Blob → {}. To the call's SFU host only: the sender's
//	            layer request (call/sfu's LayerRequest: the tiles it
//	            shows, the speaker's at the high layer, and hidden ones
//	            not at all), at most MaxLayersBlob bytes. A host takes it
//	            only from a participant its SFU connects (a participant
//	            host also asks crdt); anyone else is refused.
//	KeyAsk (10): → {}. A participant whose frames from the receiver do
//	            not decrypt asks for its current key, which comes again
//	            in a Key message; refused to anyone not a participant
//	            crdt admits, and when asked again within KeyAskEvery.
//	State (11): Muted, Video → {}. The sender's own state (microphone
//	            muted, camera on): sent to every other participant when
//	            it changes, and to a joiner when the sender answers its
//	            join (so a newcomer sees who is muted; a join's Video is
//	            the joiner's state); refused from anyone not a
//	            participant crdt admits. Nodes older than this type
//	            refuse it (unknown type): their peers see them never
//	            muted, with video when a video track of theirs arrives.
//
// # Keys
//
// Each participant makes a fresh send key per call and a new one on every
// join, leave and removal it sees, sends it to each participant still
// allowed (checked just before), and encrypts with it once all were sent
// it. So a newcomer cannot decrypt frames sent before it joined, and one
// who left or was removed decrypts nothing sent after the others learn
// of it: receivers keep a sender's older keys only KeyGrace after a newer
// one arrives. A key that did not reach a participant is sent again
// (backing off from KeyRetryMin to KeyRetryMax) until it is acknowledged
// or either leaves, and a participant whose frames from a sender arrive
// but fail to decrypt asks it for its key (TypeKeyAsk, answered once in
// KeyAskEvery, only to a participant crdt admits). Keys never depend on the topology: an SFU's host, relay or
// participant, forwards ciphertext it cannot read.
//
// # Topology
//
// A small call is a full mesh; a larger one, or one whose community a
// relay with --sfu serves, runs through one SFU. Elect (topology.go)
// documents the rule every participant applies alike, and failover;
// HostServer (hostserver.go) what a relay hosting SFUs answers.
//
// # Stale calls
//
// A call whose caller's node crashed must not stay active forever, yet
// only the caller or an admin may end a call for everyone. So any member
// who may take part may record that a call lapsed (found with nobody in
// it; crdt.CallBody.Lapsed): the last participant to leave, a member
// whose join finds nobody in a call at least StaleAfter old, and the
// caller's own node after a restart, for the calls it started before and
// is no longer in (stale.go). A call recorded as lapsed can still be
// joined, and its participants keep seeing it active.
//
// # ICE servers
//
// Before a call's media starts, the Manager asks Config.ICE for the ICE
// servers of the call's community (the node asks the community's relays
// for TURN credentials, package call/turn) and gives them to the media
// (ice.go).
package call
