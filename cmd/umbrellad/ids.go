package main

import "strings"

// idNeed says which id flags a command requires beyond --community.
type idNeed uint8

const (
	needsGroup  idNeed = 1 << iota // --group is required
	needsMember                    // --member is required
)

// commonIDs parses the flags most commands start with into the control
// API's args: --community, always required; --group, required with
// needsGroup and otherwise read only when given; --member (a peer id,
// trimmed), required with needsMember. --home and --json are parsed for
// every command by run. Each error is a usage error naming its flag.
func commonIDs(o *opts, need idNeed) (args, error) {
	cid, err := parseID("community", o.community)
	if err != nil {
		return args{}, err
	}
	a := args{Community: cid, Member: strings.TrimSpace(o.member)}
	if need&needsGroup != 0 || o.group != "" {
		if a.Group, err = parseID("group", o.group); err != nil {
			return args{}, err
		}
	}
	if need&needsMember != 0 {
		if err := required("member", o.member); err != nil {
			return args{}, err
		}
	}
	return a, nil
}
