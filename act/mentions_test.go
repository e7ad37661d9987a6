package act

import (
	"slices"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

func TestMentions(t *testing.T) {
	ann, annabel, bo, olivia := crdt.PublicKey{1}, crdt.PublicKey{2}, crdt.PublicKey{3}, crdt.PublicKey{4}
	st := &crdt.State{Members: map[crdt.PublicKey]*crdt.Member{
		ann:     {Key: ann, Name: "Ann"},
		annabel: {Key: annabel, Name: "Annabel"},
		bo:      {Key: bo, Name: "Bo Li"},
		olivia:  {Key: olivia, Name: "Olivia Park"},
	}}
	cases := []struct {
		text string
		want []crdt.PublicKey
	}{
		{"no mentions here", nil},
		{"@Ann welcome!", []crdt.PublicKey{ann}},
		{"@annabel, well done", []crdt.PublicKey{annabel}},
		{"@Anna is nobody", nil},
		{"thanks @Olivia Park and @bo li!", []crdt.PublicKey{bo, olivia}},
		{"@Ann @Ann @Ann", []crdt.PublicKey{ann}},
		{"mail me at x@y.z or @", nil},
		{"@@Bo Li", []crdt.PublicKey{bo}},
	}
	for _, tc := range cases {
		var got []crdt.PublicKey
		for _, m := range mentions(st, tc.text) {
			got = append(got, crdt.PublicKey(m))
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("mentions(%q) = %v, want %v", tc.text, got, tc.want)
		}
	}
}
