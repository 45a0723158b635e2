package tenantsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// patchableFields are the only ConnectorDetail fields PATCH may change.
func patchableFields() []string {
	return []string{"connectorMetadata", "applicationXml", "correlationConfigXml", "sourceConfigXml"}
}

const patchableHelp = "PATCH may change /connectorMetadata (and paths below it), /applicationXml, /correlationConfigXml and /sourceConfigXml"

// patchOp is one checked RFC 6902 operation.
type patchOp struct {
	op         string
	path, from []string // parsed JSON Pointers
	rawPath    string
	rawFrom    string
	value      any
}

// handlePatch is updateConnector: an RFC 6902 JSON Patch on the four
// patchable fields, applied all or nothing.
func (s *Sim) handlePatch(rc *reqCtx) (*reply, error) {
	s.store.mu.RLock()
	e, err := s.lookup(rc)
	if err == nil {
		err = writable(e, "patch")
	}
	s.store.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := requireJSON(rc, "application/json-patch+json"); err != nil {
		return nil, err
	}
	ops, err := readPatch(rc.r.Body)
	if err != nil {
		return nil, err
	}
	if err := s.opts.Variants.refusedPatch(ops); err != nil {
		return nil, err
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if e, err = s.lookup(rc); err != nil {
		return nil, err
	}
	old := e.full()
	next, err := applyPatch(old, ops)
	if err != nil {
		return nil, err
	}
	s.opts.Variants.normaliseUploads(old, &next)
	if rc.commit {
		e.c, e.src = next, nil
		rc.wrote = true
	}
	return jsonReply(200, s.opts.Variants.detailView(next, rc.r.URL.Query().Get("locale"))), nil
}

// readPatch decodes and checks a JSON Patch document against the spec's
// JsonPatchOperation: op and path required, value a string, boolean,
// integer, object or array.
func readPatch(r io.Reader) ([]patchOp, error) {
	var raws []json.RawMessage
	if err := decodeJSON(r, &raws, "array of JsonPatchOperation"); err != nil {
		return nil, err
	}
	if len(raws) == 0 {
		return nil, badRequest("the JSON Patch is an empty array; send at least one operation")
	}
	ops := make([]patchOp, 0, len(raws))
	for i, raw := range raws {
		op, err := readPatchOp(raw)
		if err != nil {
			return nil, badRequest("operation %d: %v", i, err)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func readPatchOp(raw json.RawMessage) (patchOp, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return patchOp{}, fmt.Errorf("must be an object with op and path, got %s", abbreviate(raw))
	}
	str := func(key string) (string, bool, error) {
		v, ok := m[key]
		if !ok {
			return "", false, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", true, fmt.Errorf("member %q must be a string, got %s", key, abbreviate(v))
		}
		return s, true, nil
	}
	var op patchOp
	var ok bool
	var err error
	if op.op, ok, err = str("op"); err != nil {
		return op, err
	} else if !ok {
		return op, errors.New(`member "op" is required (add, remove, replace, move, copy or test)`)
	}
	if !slices.Contains([]string{"add", "remove", "replace", "move", "copy", "test"}, op.op) {
		return op, fmt.Errorf("op %q is not one of add, remove, replace, move, copy, test", op.op)
	}
	if op.rawPath, ok, err = str("path"); err != nil {
		return op, err
	} else if !ok {
		return op, errors.New(`member "path" is required: a JSON Pointer such as "/sourceConfigXml"`)
	}
	if op.path, err = patchablePointer(op.rawPath); err != nil {
		return op, err
	}
	if op.op == "move" || op.op == "copy" {
		if op.rawFrom, ok, err = str("from"); err != nil {
			return op, err
		} else if !ok {
			return op, fmt.Errorf(`op %q needs a "from" member (RFC 6902), which the spec's JsonPatchOperation does not define; send "from", or use remove and add instead`, op.op)
		}
		if op.from, err = patchablePointer(op.rawFrom); err != nil {
			return op, fmt.Errorf("from: %w", err)
		}
	}
	v, has := m["value"]
	switch {
	case op.op == "add" || op.op == "replace" || op.op == "test":
		if !has {
			return op, fmt.Errorf("op %q needs a \"value\"", op.op)
		}
		if err := checkPatchValue(v); err != nil {
			return op, err
		}
		if err := json.Unmarshal(v, &op.value); err != nil {
			return op, fmt.Errorf("value: %v", err)
		}
	}
	return op, nil
}

// checkPatchValue applies the spec's oneOf for value: string, boolean,
// integer, object or array (so neither null nor a fraction).
func checkPatchValue(v json.RawMessage) error {
	t := bytes.TrimSpace(v)
	switch {
	case len(t) == 0:
		return errors.New("value is empty")
	case t[0] == 'n':
		return errors.New("value must be a string, boolean, integer, object or array (JsonPatchOperation.value); null is not allowed — use op remove to delete")
	case t[0] == '-' || (t[0] >= '0' && t[0] <= '9'):
		if bytes.ContainsAny(t, ".eE") {
			return fmt.Errorf("value %s must be an integer (JsonPatchOperation.value allows string, boolean, integer, object or array)", t)
		}
	}
	return nil
}

// patchablePointer parses a JSON Pointer and checks that it is one of the
// patchable fields or below one.
func patchablePointer(p string) ([]string, error) {
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("path %q is not a JSON Pointer (it must start with \"/\"); %s", p, patchableHelp)
	}
	toks := strings.Split(p[1:], "/")
	for i, t := range toks {
		if strings.Contains(strings.NewReplacer("~0", "", "~1", "").Replace(t), "~") {
			return nil, fmt.Errorf("path %q has a bad escape: in a JSON Pointer \"~\" must be written ~0 and \"/\" ~1", p)
		}
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	if !slices.Contains(patchableFields(), toks[0]) {
		return nil, fmt.Errorf("path %q is not patchable; %s", p, patchableHelp)
	}
	return toks, nil
}

// applyPatch applies ops to a copy of c and checks the result: metadata is
// an object, the XML fields are present, strings and well-formed XML.
func applyPatch(c DumpConnector, ops []patchOp) (DumpConnector, error) {
	meta := map[string]any{}
	if c.ConnectorMetadata != nil {
		meta = cloneJSON(c.ConnectorMetadata).(map[string]any)
	}
	doc := map[string]any{
		"connectorMetadata":    meta,
		"applicationXml":       c.ApplicationXml,
		"correlationConfigXml": c.CorrelationConfigXml,
		"sourceConfigXml":      c.SourceConfigXml,
	}
	for i, op := range ops {
		if err := applyOp(doc, op); err != nil {
			return c, badRequest("operation %d (%s %s): %v; nothing was changed", i, op.op, op.rawPath, err)
		}
	}
	switch m := doc["connectorMetadata"].(type) {
	case nil:
		c.ConnectorMetadata = nil
	case map[string]any:
		c.ConnectorMetadata = m
		if len(m) == 0 {
			c.ConnectorMetadata = nil
		}
	default:
		return c, badRequest("/connectorMetadata must be a JSON object, the patch makes it %s; nothing was changed", jsonTypeName(m))
	}
	for _, f := range patchableFields()[1:] {
		v, ok := doc[f]
		s, isString := v.(string)
		switch {
		case !ok:
			return c, badRequest("/%s cannot be removed: a connector always has one; replace it with a new document instead", f)
		case !isString:
			return c, badRequest("/%s must be a string holding an XML document, the patch makes it %s", f, jsonTypeName(v))
		}
		old := map[string]string{"applicationXml": c.ApplicationXml, "correlationConfigXml": c.CorrelationConfigXml, "sourceConfigXml": c.SourceConfigXml}[f]
		if s == old {
			continue
		}
		if err := checkXML([]byte(s)); err != nil {
			return c, badRequest("/%s is not well-formed XML: %v; nothing was changed", f, err)
		}
		if f == "sourceConfigXml" {
			if msg := formSchemaProblem([]byte(s)); msg != "" {
				return c, badRequest("/sourceConfigXml: %s", msg)
			}
		}
		switch f {
		case "applicationXml":
			c.ApplicationXml = s
		case "correlationConfigXml":
			c.CorrelationConfigXml = s
		case "sourceConfigXml":
			c.SourceConfigXml = s
		}
	}
	return c, nil
}

func applyOp(doc map[string]any, op patchOp) error {
	switch op.op {
	case "test":
		have, err := jsonGet(doc, op.path)
		if err != nil {
			return err
		}
		if !reflect.DeepEqual(have, op.value) {
			return fmt.Errorf("test failed: the value at %s differs from the one given", op.rawPath)
		}
		return nil
	case "remove":
		return jsonSet(doc, op.path, nil, "remove")
	case "add", "replace":
		return jsonSet(doc, op.path, op.value, op.op)
	}
	// move and copy
	v, err := jsonGet(doc, op.from)
	if err != nil {
		return fmt.Errorf("from %s: %w", op.rawFrom, err)
	}
	if op.op == "move" {
		if strings.HasPrefix(op.rawPath, op.rawFrom+"/") {
			return fmt.Errorf("cannot move %s into its own child %s", op.rawFrom, op.rawPath)
		}
		if err := jsonSet(doc, op.from, nil, "remove"); err != nil {
			return err
		}
	}
	return jsonSet(doc, op.path, cloneJSON(v), "add")
}

// jsonGet returns the value at toks.
func jsonGet(doc any, toks []string) (any, error) {
	cur := doc
	for i, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("%s does not exist", pointer(toks[:i+1]))
			}
			cur = v
		case []any:
			idx, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", pointer(toks[:i+1]), err)
			}
			cur = c[idx]
		default:
			return nil, fmt.Errorf("%s: cannot address %q inside a %s", pointer(toks[:i]), t, jsonTypeName(cur))
		}
	}
	return cur, nil
}

// jsonSet adds, replaces or removes (value ignored) the member at toks,
// following RFC 6902: the parent must exist; add inserts into arrays; replace
// and remove need the target to exist.
func jsonSet(doc map[string]any, toks []string, value any, op string) error {
	parentPtr := toks[:len(toks)-1]
	parent, err := jsonGet(doc, parentPtr)
	if err != nil {
		return fmt.Errorf("parent of %s: %w", pointer(toks), err)
	}
	key := toks[len(toks)-1]
	switch p := parent.(type) {
	case map[string]any:
		if _, exists := p[key]; !exists && op != "add" {
			return fmt.Errorf("%s does not exist", pointer(toks))
		}
		if op == "remove" {
			delete(p, key)
		} else {
			p[key] = value
		}
		return nil
	case []any:
		idx, err := arrayIndex(key, len(p), op == "add")
		if err != nil {
			return fmt.Errorf("%s: %w", pointer(toks), err)
		}
		switch op {
		case "add":
			p = slices.Insert(p, idx, value)
		case "remove":
			p = slices.Delete(p, idx, idx+1)
		default:
			p[idx] = value
		}
		return jsonSet(doc, parentPtr, p, "replace") // the slice header changed
	default:
		return fmt.Errorf("cannot address %q inside a %s at %s", key, jsonTypeName(parent), pointer(parentPtr))
	}
}

// arrayIndex parses an array index token; "-" (the end) only when adding.
func arrayIndex(t string, n int, adding bool) (int, error) {
	if t == "-" && adding {
		return n, nil
	}
	idx, err := strconv.Atoi(t)
	if err != nil || idx < 0 || (len(t) > 1 && t[0] == '0') {
		return 0, fmt.Errorf("%q is not an array index", t)
	}
	limit := n - 1
	if adding {
		limit = n
	}
	if idx > limit {
		return 0, fmt.Errorf("index %d is out of range (the array has %d items)", idx, n)
	}
	return idx, nil
}

func pointer(toks []string) string {
	if len(toks) == 0 {
		return "the document"
	}
	var b strings.Builder
	for _, t := range toks {
		b.WriteString("/" + strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func jsonTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func abbreviate(raw []byte) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}
