// Package spconfig rewrites connector scriptNames in SP-Config export
// documents (the JSON that ISC's SP-Config export and Configuration Hub
// produce), with a connvault mapping file, so that sources can be recreated
// through SP-Config import against connectors that have other scriptNames in
// the target: ISC cannot re-point an existing source to another connector.
//
// Remap is a pure function: bytes and a mapping in, bytes and a report out.
// It recognises a document by its shape: a JSON object whose "objects" is an
// array of {"self": {"type": …}, "object": {…}} items; anything else is
// refused before any rewrite. Inside each object it rewrites the string
// values of the keys that name a connector by scriptName (connectorScriptName,
// connector, connectorId, connectorImplementationId, scriptName), at any depth,
// when the value is exactly a scriptName the mapping maps; other values are
// never touched, even if they look alike. Key order, and everything else, is
// kept; the output is indented by two spaces.
package spconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ErrNotSPConfig: the input is not an SP-Config export document.
var ErrNotSPConfig = errors.New("not an SP-Config export document")

// ReferenceKeys are the keys whose string values name a connector by
// scriptName in SP-Config objects.
func ReferenceKeys() []string {
	return []string{"connectorScriptName", "connector", "connectorId", "connectorImplementationId", "scriptName"}
}

// Rewrite is one value Remap changed.
type Rewrite struct {
	Object string `json:"object"` // the object, as `SOURCE "HR Prod"`
	Path   string `json:"path"`   // JSON Pointer of the value in the document
	From   string `json:"from"`
	To     string `json:"to"`
}

// Result is Remap's output: the rewritten document and what changed, and the
// scriptNames the document references that the mapping does not map (left
// as they are), with where.
type Result struct {
	Document []byte
	Rewrites []Rewrite
	Unmapped []Rewrite // From only: a reference the mapping has no entry for
}

// Remap rewrites the connector scriptName references of an SP-Config export
// document by mapping (source scriptName → target scriptName). It returns an
// error wrapping ErrNotSPConfig, naming what is missing, for a document of
// another shape, and an error naming the byte offset for invalid JSON.
func Remap(doc []byte, mapping map[string]string) (Result, error) {
	root, err := parse(doc)
	if err != nil {
		return Result{}, err
	}
	objects, err := recognise(root)
	if err != nil {
		return Result{}, err
	}
	var res Result
	for i, item := range objects.arr {
		self := item.field("self")
		label := strings.TrimSpace(self.field("type").str + " " + strconv.Quote(self.field("name").str))
		base := fmt.Sprintf("/objects/%d/object", i)
		item.field("object").walk(base, func(key, path string, n *node) {
			if n.kind != kindString || !slices.Contains(ReferenceKeys(), key) || n.str == "" {
				return
			}
			to, ok := mapping[n.str]
			switch {
			case !ok:
				res.Unmapped = append(res.Unmapped, Rewrite{Object: label, Path: path, From: n.str})
			case to != n.str:
				res.Rewrites = append(res.Rewrites, Rewrite{Object: label, Path: path, From: n.str, To: to})
				n.str = to
			}
		})
	}
	var buf bytes.Buffer
	root.write(&buf, "")
	buf.WriteByte('\n')
	res.Document = buf.Bytes()
	return res, nil
}

// recognise checks the document's shape and returns its objects array.
func recognise(root *node) (*node, error) {
	if root.kind != kindObject {
		return nil, fmt.Errorf("%w: the top level is not a JSON object", ErrNotSPConfig)
	}
	objects := root.field("objects")
	if objects.kind != kindArray {
		return nil, fmt.Errorf(`%w: it has no "objects" array (an SP-Config export has "version", "timestamp", "tenant", "options" and "objects")`, ErrNotSPConfig)
	}
	for i, item := range objects.arr {
		switch {
		case item.kind != kindObject:
			return nil, fmt.Errorf("%w: objects[%d] is not a JSON object", ErrNotSPConfig, i)
		case item.field("self").kind != kindObject || item.field("self").field("type").kind != kindString:
			return nil, fmt.Errorf(`%w: objects[%d] has no "self" with a "type"`, ErrNotSPConfig, i)
		case item.field("object").kind != kindObject:
			return nil, fmt.Errorf(`%w: objects[%d] has no "object"`, ErrNotSPConfig, i)
		}
	}
	return objects, nil
}

type kind int

const (
	kindNull kind = iota
	kindObject
	kindArray
	kindString
	kindOther // number or boolean, kept as its text
)

// node is a JSON value that keeps object key order.
type node struct {
	kind kind
	keys []string
	vals []*node
	arr  []*node
	str  string // a string's value, or the text of a number or boolean
}

var missing = &node{kind: kindNull}

// field returns the value of key in an object (a null node if absent).
func (n *node) field(key string) *node {
	if i := slices.Index(n.keys, key); i >= 0 && n.kind == kindObject {
		return n.vals[i]
	}
	return missing
}

// walk calls f for every value below n with its key ("" in arrays) and JSON
// Pointer.
func (n *node) walk(path string, f func(key, path string, v *node)) {
	switch n.kind {
	case kindObject:
		for i, k := range n.keys {
			p := path + "/" + strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
			f(k, p, n.vals[i])
			n.vals[i].walk(p, f)
		}
	case kindArray:
		for i, v := range n.arr {
			p := path + "/" + strconv.Itoa(i)
			f("", p, v)
			v.walk(p, f)
		}
	}
}

func parse(doc []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	n, err := parseValue(dec)
	if err != nil {
		return nil, fmt.Errorf("invalid JSON at byte %d: %w", dec.InputOffset(), err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("invalid JSON: data after the document at byte %d", dec.InputOffset())
	}
	return n, nil
}

func parseValue(dec *json.Decoder) (*node, error) {
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			n := &node{kind: kindObject}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := parseValue(dec)
				if err != nil {
					return nil, err
				}
				n.keys, n.vals = append(n.keys, kt.(string)), append(n.vals, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		}
		n := &node{kind: kindArray}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			n.arr = append(n.arr, v)
		}
		_, err := dec.Token() // ']'
		return n, err
	case string:
		return &node{kind: kindString, str: t}, nil
	case json.Number:
		return &node{kind: kindOther, str: t.String()}, nil
	case bool:
		return &node{kind: kindOther, str: strconv.FormatBool(t)}, nil
	}
	return &node{kind: kindNull}, nil
}

func (n *node) write(b *bytes.Buffer, indent string) {
	switch n.kind {
	case kindNull:
		b.WriteString("null")
	case kindOther:
		b.WriteString(n.str)
	case kindString:
		writeString(b, n.str)
	case kindObject:
		if len(n.keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range n.keys {
			b.WriteString(indent + "  ")
			writeString(b, k)
			b.WriteString(": ")
			n.vals[i].write(b, indent+"  ")
			if i < len(n.keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case kindArray:
		if len(n.arr) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, v := range n.arr {
			b.WriteString(indent + "  ")
			v.write(b, indent+"  ")
			if i < len(n.arr)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	}
}

// writeString writes s as a JSON string without HTML escaping.
func writeString(b *bytes.Buffer, s string) {
	var tmp bytes.Buffer
	enc := json.NewEncoder(&tmp)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(tmp.Bytes(), []byte("\n")))
}
