package api

import (
	"errors"
	"time"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// File is the file a message shares (Message.Kind "file"). Key, which
// reads it, never leaves the node in JSON.
type File struct {
	Name string `json:"name"`
	Size int64  `json:"size"` // clear bytes
	Mime string `json:"mime"`
	// Root is the address of the file's ciphertext, in hex.
	Root  string `json:"root"`
	Key   []byte `json:"-"`
	Thumb []byte `json:"-"`
}

// Local states of a shared file (FileEntry.State).
const (
	FileComplete = "complete" // every chunk is here and verified
	FilePartial  = "partial"  // a download stopped halfway; GetFile resumes it
	FileRemote   = "remote"   // nothing of it is here
)

// FileEntry is one file shared in a community, as the Files view and
// `umbrellad files` list it.
type FileEntry struct {
	Message    crdt.ID   `json:"message"`
	Group      crdt.ID   `json:"group"`
	Name       string    `json:"name"`
	Size       int64     `json:"size"`
	Mime       string    `json:"mime"`
	Root       string    `json:"root"`
	Author     string    `json:"author"` // peer id
	AuthorName string    `json:"author_name"`
	Time       time.Time `json:"time"` // the author's clock
	// Promo says the file is a promotion's: its card (Message) is the one
	// post that shows it.
	Promo bool `json:"promo,omitempty"`
	// PromoEnds is when that promotion ends: from then on members no
	// longer serve its file to each other (crdt.MayFetch), so only a copy
	// already here opens.
	PromoEnds time.Time `json:"promo_ends,omitzero"`
	// HaveBytes is how many of its clear bytes this node holds.
	HaveBytes int64  `json:"have_bytes"`
	State     string `json:"state"`
	// Relay is how this node's push of the file to the community's
	// relays goes; nil when it pushed it to none since it started.
	Relay *RelayPush `json:"relay,omitempty"`
}

// RelayPush is how the push of one file this node shared to the
// community's relays goes (files.Pusher), so that the file downloads
// while this node is offline.
type RelayPush struct {
	// Relays is how many relays the file is pushed to; Held how many hold
	// it whole, Pending how many are being pushed or wait for a retry.
	Relays  int `json:"relays"`
	Held    int `json:"held"`
	Pending int `json:"pending"`
	// Percent is how far the pending push furthest along is: the share of
	// the file's chunks that went to its relay.
	Percent int `json:"percent"`
	// Refused is a relay's reason for refusing the file (its quota, a
	// file too large); GaveUp why a push was given up after its retries.
	Refused string `json:"refused,omitempty"`
	GaveUp  string `json:"gave_up,omitempty"`
	// Retrying is why the last try failed while a retry waits.
	Retrying string `json:"retrying,omitempty"`
}

// SentFile is a file message just sent.
type SentFile struct {
	ID   crdt.ID `json:"id"`
	File File    `json:"file"`
}

// GotFile is a file downloaded, verified and written out.
type GotFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
	Root string `json:"root"`
	// Sources are the peer ids this download took chunks from (none when
	// the file was already here).
	Sources []string `json:"sources"`
	Seconds float64  `json:"seconds"`
	// Refused are the sources this download dropped, or left out because
	// they failed an earlier one (see package sync/files), with why.
	Refused []RefusedSource `json:"refused_sources"`
}

// RefusedSource is a source a download did not take the file from,
// because it sent data that failed verification or stalled.
type RefusedSource struct {
	Peer string `json:"peer"`
	// Reason is RefusedBadData or RefusedStalled.
	Reason string `json:"reason"`
	// LeftOut is a source not asked at all: it failed an earlier
	// download, and others held the file.
	LeftOut bool `json:"left_out,omitempty"`
}

// Reasons of a RefusedSource.
const (
	RefusedBadData = "bad_data"
	RefusedStalled = "stalled"
)

// FileProgress is how far a download is, or an upload (how much of the
// file is encrypted and stored to serve), in clear bytes.
type FileProgress struct {
	Have, Size int64
	// Sources is how many peers a download is pulling from.
	Sources int
	// Dropped are the sources this download dropped so far (sent data
	// that failed verification, or stalled).
	Dropped []RefusedSource
}

// Errors of files.
var (
	// ErrNotFile: the message shares no file (or was deleted).
	ErrNotFile = errors.New("the message shares no file")
	// ErrFileTooLarge: files are at most 2 GiB, or what the community's
	// admins set lower (Settings.MaxFileSize); the error says which.
	ErrFileTooLarge = errors.New("file too large")
	// ErrNoSource: no one who holds the file and may share it is online.
	ErrNoSource = errors.New("no member who has the file is online; try again when one is")
	// ErrBadSource: the members and relays online who have the file sent
	// chunks that failed verification or stopped answering, and were
	// dropped; the error names them and why.
	ErrBadSource = errors.New("every member or relay online who has the file sent bad chunks or stopped answering; try again when another one is online")
	// ErrDiskFull: the disk has no room for the file.
	ErrDiskFull = errors.New("not enough disk space")
)
