package crdt

import "slices"

func slicesSortIDs(ids []ID) { slices.SortFunc(ids, func(a, b ID) int { return a.Compare(b) }) }
