package media

import (
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
)

// whenGathered returns channels of which the first to close says the
// local description of pc may be sent: gathered once ICE gathering
// completed and, with hurry, grace gatherGrace after pc's first candidate
// (without, grace is nil). It must be called before SetLocalDescription.
//
// Gathering completes only when every ICE server answered or gave up: a
// TURN server that is gone (that of a relay killed while it hosted the
// call's SFU) holds it for pion's whole allocation retry, past
// gatherTimeout. After a host was lost or replaced, a participant does not wait for
// that: its host candidates come at once, and a live TURN server's
// relay candidate within the grace.
func whenGathered(pc *webrtc.PeerConnection, hurry bool) (gathered, grace <-chan struct{}) {
	gathered = webrtc.GatheringCompletePromise(pc)
	if !hurry {
		return gathered, nil
	}
	g := make(chan struct{})
	var first sync.Once
	pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			first.Do(func() { time.AfterFunc(gatherGrace, func() { close(g) }) })
		}
	})
	return gathered, g
}
