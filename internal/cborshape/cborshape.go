// Package cborshape measures the CBOR form of Go types, so that tests can
// check a decoder's limits against the messages it decodes: how deep
// arrays and maps nest, the most pairs of any map, and which fields are
// arrays (each of which needs a declared bound). It is for tests only and
// must never be used to decide anything at run time.
package cborshape

import (
	"reflect"
	"strings"
)

// Shape is the CBOR form of one or more types.
type Shape struct {
	// Depth is the deepest nesting of arrays and maps (a struct, a map or
	// a slice other than []byte is one level).
	Depth int
	// MaxMap is the most fields of any struct encoded as a map.
	MaxMap int
	// Arrays names every array field as "Type.Field" (a slice that is not
	// a byte string).
	Arrays []string
}

// Of measures the types of the values vs (each a struct value).
func Of(vs ...any) Shape {
	var s Shape
	for _, v := range vs {
		s.Depth = max(s.Depth, s.walk(reflect.TypeOf(v), ""))
	}
	return s
}

func (s *Shape) walk(t reflect.Type, owner string) int {
	switch t.Kind() {
	case reflect.Pointer:
		return s.walk(t.Elem(), owner)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 { // a byte string
			return 0
		}
		s.Arrays = append(s.Arrays, owner)
		return 1 + s.walk(t.Elem(), owner)
	case reflect.Map:
		return 1 + max(s.walk(t.Key(), owner), s.walk(t.Elem(), owner))
	case reflect.Struct:
		fields, toArray, depth := 0, false, 0
		for f := range t.Fields() {
			if f.Name == "_" {
				toArray = strings.Contains(f.Tag.Get("cbor"), "toarray")
				continue
			}
			if !f.IsExported() || f.Tag.Get("cbor") == "-" {
				continue
			}
			fields++
			depth = max(depth, s.walk(f.Type, t.Name()+"."+f.Name))
		}
		if !toArray {
			s.MaxMap = max(s.MaxMap, fields)
		}
		return 1 + depth
	}
	return 0
}
