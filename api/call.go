package api

import (
	"errors"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// Calls: voice and video calls in a group, as the app and the CLI show
// them. The record of a call (who started it, when it ended, who joined)
// is crdt's; who takes part right now comes from the signalling (package
// call).

// CallRow is a call as the conversation shows it, at its start's place:
// a message of kind "call". Who takes part in an active call right now is
// Call's (Calls); the row says what the call's record says.
type CallRow struct {
	Video     bool   `json:"video"`
	StartedBy string `json:"started_by"` // peer id of the caller
	// Active: the call has not ended.
	Active bool `json:"active"`
	// Lapsed: its end was recorded because nobody was left in it.
	Lapsed bool `json:"lapsed,omitempty"`
	// Duration is how long the call ran, once it ended.
	Duration Duration `json:"duration,omitempty"`
	// Joined are the peer ids of who joined it, as its end records;
	// empty while it is active.
	Joined []string `json:"joined"`
}

// Call is one call of a community.
type Call struct {
	ID            crdt.ID   `json:"call"`
	Group         crdt.ID   `json:"group"`
	StartedBy     string    `json:"started_by"` // peer id of the caller
	StartedByName string    `json:"started_by_name"`
	Started       time.Time `json:"started"`
	Video         bool      `json:"video"`
	// Participants are the peer ids of who takes part now in an active
	// call this device knows live, else of who joined it as its end
	// records.
	Participants []string `json:"participants"`
	// Active: the call has not ended.
	Active bool `json:"active"`
	// Lapsed: the call's end was recorded because it was found with
	// nobody in it (its caller's node stopped), not by the caller or an
	// admin ending it.
	Lapsed bool `json:"lapsed,omitempty"`
	// Joined: the local member takes part in it now.
	Joined bool `json:"joined"`
	// Duration is how long the call ran, once it ended.
	Duration Duration `json:"duration,omitempty"`
	// CanEnd: the local member may end the call for everyone and remove
	// participants (the caller or an admin; crdt says).
	CanEnd bool `json:"can_end"`
}

// Call topologies (CallStatus.Topology).
const (
	TopologyMesh = "mesh" // every participant sends to every other
	TopologySFU  = "sfu"  // participants send to a forwarding unit
)

// CallStatus is how a call the local member takes part in runs.
type CallStatus struct {
	Call     crdt.ID `json:"call"`
	Topology string  `json:"topology"`
	// SFU is the peer id of the forwarding unit's host ("" in a mesh).
	SFU          string            `json:"sfu"`
	Participants []CallParticipant `json:"participants"`
	// Reported lists those the relay hosting the call's SFU said are
	// connected to it though they may not take part (removed members):
	// the local member's node reported them to the relay, which drops
	// them once more than half of the participants did.
	Reported []CallReport `json:"reported,omitempty"`
	// SoundProblem, if not empty, says what is wrong with the local
	// member's own sound in this call (no microphone: listening only; no
	// speaker), for the call window. Only the desktop app fills it.
	SoundProblem string `json:"sound_problem,omitempty"`
}

// CallReport is someone connected to a call's SFU on a relay who may not
// take part in the call, as the local member's node reported it.
type CallReport struct {
	PeerID string `json:"peer_id"`
	// Name is its name as the community knows it ("" if none).
	Name string `json:"name,omitempty"`
	// Reason says what the node found and did, naming the key.
	Reason string `json:"reason"`
}

// AudioDevice is a microphone or a speaker the app can use in calls.
type AudioDevice struct {
	// ID names the device to the app (SetCallDevices).
	ID   string `json:"id"`
	Name string `json:"name"`
	// Default: the system's default device of its kind.
	Default bool `json:"default,omitempty"`
}

// CallDevices are the sound devices and cameras of calls on this computer
// and which ones the member chose (kept for the next call).
type CallDevices struct {
	Microphones []AudioDevice `json:"microphones"`
	Speakers    []AudioDevice `json:"speakers"`
	// Microphone and Speaker are the chosen devices' IDs; "" is the
	// system's default.
	Microphone string `json:"microphone"`
	Speaker    string `json:"speaker"`
	// Cameras are the cameras (ID: the device node); Camera is the
	// chosen one's ("": the first that opens).
	Cameras []AudioDevice `json:"cameras"`
	Camera  string        `json:"camera"`
	// Problem, if not empty, says why no device can be listed (no sound
	// system).
	Problem string `json:"problem,omitempty"`
}

// CallParticipant is one participant of a call and, for another than
// the local member, what its media measured of that participant's frames.
type CallParticipant struct {
	PeerID string `json:"peer_id"`
	Name   string `json:"name"`
	Self   bool   `json:"self,omitempty"`
	Audio  bool   `json:"audio"`
	Video  bool   `json:"video"`
	Muted  bool   `json:"muted"`
	// Speaking: the participant's audio is loud enough now to count as
	// speech (false until the media measures audio levels).
	Speaking        bool    `json:"speaking,omitempty"`
	FramesReceived  uint64  `json:"frames_received"`
	FramesDecrypted uint64  `json:"frames_decrypted"`
	DecryptFailures uint64  `json:"decrypt_failures"`
	LatencyP50      float64 `json:"latency_ms_p50"`
	LatencyP99      float64 `json:"latency_ms_p99"`
	// Layer is the picture size of the participant's video that arrives
	// now ("640x360", "320x180"; through an SFU, the simulcast layer the
	// host forwards), "" when none does.
	Layer string `json:"layer"`
}

// Errors of calls.
var (
	// ErrNoMedia: this program has no media for calls (umbrellad before
	// media is built in, or without --synthetic where it has no devices).
	ErrNoMedia = errors.New("calls are not available: no media implementation is configured in this program")
	// ErrUnknownCall: this device knows no such call.
	ErrUnknownCall = errors.New("no such call")
	// ErrNotInCall: the local member does not take part in the call.
	ErrNotInCall = errors.New("you are not in this call")
	// ErrCallEnded: the call has ended.
	ErrCallEnded = errors.New("the call has ended")
	// ErrCallRefused: a participant refused the local member's join (it
	// is not a member of the call's group, or the call is full).
	ErrCallRefused = errors.New("the call refused you")
)
