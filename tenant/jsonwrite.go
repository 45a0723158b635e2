package tenant

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
)

// WriteJSON writes to w the bytes MarshalJSON returns, without building
// them: the XML documents and translations, most of a detail, are escaped
// into w a piece at a time. It is how a detail is hashed (a plan's
// pre-image hash is the SHA-256 of its JSON) without holding a copy of it,
// or three when Extra is set (MarshalJSON encodes, decodes and encodes
// again to merge Extra). Errors are w's or, for an Extra member that is not
// JSON, the encoder's.
func (d ConnectorDetail) WriteJSON(w io.Writer) error {
	type plain ConnectorDetail
	members, ok := jsonMembers(reflect.ValueOf(plain(d)))
	if !ok { // a field this writer does not know how to write: as MarshalJSON
		b, err := d.MarshalJSON()
		if err == nil {
			_, err = w.Write(b)
		}
		return err
	}
	if len(d.Extra) > 0 {
		// As marshalWithExtra: the members Extra adds, then all by key.
		known := map[string]bool{}
		for _, m := range members {
			known[m.key] = true
		}
		for k, raw := range d.Extra {
			if !known[k] {
				members = append(members, jsonMember{key: k, v: reflect.ValueOf(raw)})
			}
		}
		slices.SortFunc(members, func(a, b jsonMember) int { return strings.Compare(a.key, b.key) })
	}
	sw := &stickyWriter{w: w}
	sw.write("{")
	for i, m := range members {
		if i > 0 {
			sw.write(",")
		}
		if err := sw.marshal(m.key); err != nil {
			return err
		}
		sw.write(":")
		if err := sw.value(m.v); err != nil {
			return err
		}
	}
	sw.write("}")
	return sw.err
}

// jsonMember is a member of an object encoding/json writes: its key and value.
type jsonMember struct {
	key string
	v   reflect.Value
}

// jsonMembers returns the members encoding/json writes for the struct v, in
// field order: exported fields not tagged "-", without the empty ones
// tagged omitempty. It returns false for a struct using what it does not
// handle (embedded fields, tag options other than omitempty).
func jsonMembers(v reflect.Value) ([]jsonMember, bool) {
	var out []jsonMember
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		switch {
		case sf.Anonymous:
			return nil, false
		case !sf.IsExported() || tag == "-":
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if opts != "" && opts != "omitempty" {
			return nil, false
		}
		if name == "" {
			name = sf.Name
		}
		fv := v.Field(i)
		if opts == "omitempty" && emptyJSON(fv) {
			continue
		}
		out = append(out, jsonMember{key: name, v: fv})
	}
	return out, true
}

// emptyJSON is encoding/json's "empty value" of omitempty.
func emptyJSON(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// stickyWriter writes to w until the first error, which it keeps.
type stickyWriter struct {
	w   io.Writer
	err error
	buf bytes.Buffer  // a chunk of a string, escaped
	enc *json.Encoder // into buf
}

func (s *stickyWriter) write(p string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, p)
	}
}

func (s *stickyWriter) writeBytes(p []byte) {
	if s.err == nil {
		_, s.err = s.w.Write(p)
	}
}

// marshal writes v as json.Marshal encodes it.
func (s *stickyWriter) marshal(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.writeBytes(b)
	return s.err
}

// value writes v as encoding/json does inside a struct: strings (and
// pointers to them) and maps of strings a piece at a time, anything else
// through json.Marshal.
func (s *stickyWriter) value(v reflect.Value) error {
	if v.Kind() == reflect.Pointer && !v.IsNil() && v.Elem().Kind() == reflect.String {
		v = v.Elem()
	}
	switch {
	case v.Kind() == reflect.String && !implementsMarshaler(v.Type()):
		s.string(v.String())
		return s.err
	case v.Kind() == reflect.Map && v.Type().Key().Kind() == reflect.String && v.Type().Elem().Kind() == reflect.String &&
		!implementsMarshaler(v.Type()) && !implementsMarshaler(v.Type().Key()) && !implementsMarshaler(v.Type().Elem()):
		if v.IsNil() {
			s.write("null")
			return s.err
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		s.write("{")
		for i, k := range keys {
			if i > 0 {
				s.write(",")
			}
			if err := s.marshal(k); err != nil {
				return err
			}
			s.write(":")
			s.string(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())).String())
		}
		s.write("}")
		return s.err
	}
	return s.marshal(v.Interface())
}

var marshalerType = reflect.TypeFor[json.Marshaler]()

func implementsMarshaler(t reflect.Type) bool {
	return t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)
}

// stringChunk is how much of a string is escaped at a time.
const stringChunk = 8 << 10

// string writes str as a JSON string exactly as encoding/json does (HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD), by
// escaping it with a json.Encoder a chunk at a time (its buffers are
// reused: writing a string allocates next to nothing). A chunk ends only where
// no UTF-8 sequence can span the cut (before a byte that does not continue
// a sequence, or after three that do), so each byte is escaped as it would
// be in the whole string.
func (s *stickyWriter) string(str string) {
	s.write(`"`)
	for len(str) > 0 && s.err == nil {
		n := min(len(str), stringChunk)
		for n < len(str) && !cutsCleanly(str, n) {
			n++
		}
		if s.enc == nil {
			s.enc = json.NewEncoder(&s.buf) // escapes HTML, as json.Marshal
		}
		s.buf.Reset()
		_ = s.enc.Encode(str[:n]) // a string always encodes, into a bytes.Buffer
		b := s.buf.Bytes()
		s.writeBytes(b[1 : len(b)-2]) // without the quotes and Encode's newline
		str = str[n:]
	}
	s.write(`"`)
}

// cutsCleanly says whether str may be cut before index n (0 < n < len(str))
// without splitting a UTF-8 sequence.
func cutsCleanly(str string, n int) bool {
	cont := func(b byte) bool { return b&0xC0 == 0x80 }
	if !cont(str[n]) {
		return true
	}
	return n >= 3 && cont(str[n-1]) && cont(str[n-2]) && cont(str[n-3])
}
