package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/umbrella-p2p/umbrella/crdt"
)

// TestCommonIDs: the common id flags are parsed into args, a missing or
// bad one is a usage error naming its flag, and an optional --group is
// read only when given.
func TestCommonIDs(t *testing.T) {
	cid, gid := crdt.ID{1}.String(), crdt.ID{2}.String()
	for _, tc := range []struct {
		name    string
		o       opts
		need    idNeed
		want    args
		wantErr string
	}{
		{"community", opts{community: cid}, 0, args{Community: crdt.ID{1}}, ""},
		{"optional group given", opts{community: cid, group: gid}, 0, args{Community: crdt.ID{1}, Group: crdt.ID{2}}, ""},
		{"group and member", opts{community: " " + cid + " ", group: gid, member: " 12D3KooWben "}, needsGroup | needsMember,
			args{Community: crdt.ID{1}, Group: crdt.ID{2}, Member: "12D3KooWben"}, ""},
		{"no community", opts{group: gid}, needsGroup, args{}, "--community is required"},
		{"bad community", opts{community: "xyz"}, 0, args{}, "--community: "},
		{"no group", opts{community: cid}, needsGroup, args{}, "--group is required"},
		{"bad optional group", opts{community: cid, group: "nope"}, 0, args{}, "--group: "},
		{"no member", opts{community: cid, group: gid, member: "  "}, needsGroup | needsMember, args{}, "--member is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := commonIDs(&tc.o, tc.need)
			if tc.wantErr != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got.Community != tc.want.Community || got.Group != tc.want.Group || got.Member != tc.want.Member {
				t.Fatalf("commonIDs = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
