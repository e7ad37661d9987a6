package media

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// PeerStats is what this participant received from one remote participant.
type PeerStats struct {
	// Peer is the remote participant's id.
	Peer string
	// Audio and Video are whether a track of that kind arrived from Peer.
	Audio, Video bool
	// FramesReceived counts whole frames reassembled from RTP;
	// FramesDecrypted those that decrypted and authenticated;
	// DecryptFailures the rest (no key for their KID, a dropped key, a
	// forged, replayed or malformed frame).
	FramesReceived, FramesDecrypted, DecryptFailures uint64
	// LatencyP50 and LatencyP99 are percentiles of the send-to-decrypt
	// delay of the latest MaxLatencySamples synthetic frames (0 if none).
	LatencyP50, LatencyP99 time.Duration
	// Layer is the picture size ("640x360") of the video arriving from
	// Peer, as its latest key frame's VP8 header states: through an SFU,
	// the simulcast layer the host forwards this participant. Empty when
	// no video from Peer decrypted in the last VideoStale.
	Layer string
}

// peerStats accumulates a PeerStats; it is safe for concurrent use.
type peerStats struct {
	mu        sync.Mutex
	s         PeerStats       // guarded by mu
	latencies []time.Duration // a ring of at most MaxLatencySamples; guarded by mu
	next      int             // the ring's next slot; guarded by mu
	decrypted [3]uint64       // frames decrypted by Kind; guarded by mu
	// The lowest and highest synthetic frame numbers decrypted by Kind
	// (valid when decrypted[k] > 0): with decrypted, they give the share
	// of frames lost. Guarded by mu.
	lowest, highest [3]uint64
	// The picture size of the latest key frame decrypted, and when the
	// latest video frame decrypted. Guarded by mu.
	width, height int
	videoAt       time.Time
}

func (p *peerStats) track(k Kind) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if k == Audio {
		p.s.Audio = true
	} else {
		p.s.Video = true
	}
}

// numbered records that synthetic frame n of kind k decrypted.
func (p *peerStats) numbered(k Kind, n uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.decrypted[k] == 1 || n < p.lowest[k] {
		p.lowest[k] = n
	}
	if p.decrypted[k] == 1 || n > p.highest[k] {
		p.highest[k] = n
	}
}

// frame records one received frame: whether it decrypted and, for a
// stamped frame, its latency (negative: none).
func (p *peerStats) frame(k Kind, ok bool, latency time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.s.FramesReceived++
	if !ok {
		p.s.DecryptFailures++
		return
	}
	p.s.FramesDecrypted++
	p.decrypted[k]++
	if latency < 0 {
		return
	}
	if len(p.latencies) < MaxLatencySamples {
		p.latencies = append(p.latencies, latency)
		return
	}
	p.latencies[p.next] = latency
	p.next = (p.next + 1) % MaxLatencySamples
}

// picture records that a video frame decrypted at now: a key frame of
// w×h pictures when key.
func (p *peerStats) picture(now time.Time, w, h int, key bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.videoAt = now
	if key {
		p.width, p.height = w, h
	}
}

// snapshot returns the stats at now.
func (p *peerStats) snapshot(now time.Time) PeerStats {
	p.mu.Lock()
	s := p.s
	l := slices.Clone(p.latencies)
	if p.width > 0 && now.Sub(p.videoAt) < VideoStale {
		s.Layer = fmt.Sprintf("%dx%d", p.width, p.height)
	}
	p.mu.Unlock()
	s.LatencyP50, s.LatencyP99 = percentile(l, 50), percentile(l, 99)
	return s
}

// percentile is the nearest-rank q-th percentile of l (which it sorts).
func percentile(l []time.Duration, q int) time.Duration {
	if len(l) == 0 {
		return 0
	}
	slices.Sort(l)
	i := (len(l)*q + 99) / 100 // ceil(len*q/100), the nearest rank
	return l[max(i, 1)-1]
}

func slicesSortByPeer(l []PeerStats) {
	slices.SortFunc(l, func(a, b PeerStats) int {
		switch {
		case a.Peer < b.Peer:
			return -1
		case a.Peer > b.Peer:
			return 1
		}
		return 0
	})
}
