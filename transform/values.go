package transform

import (
	"errors"
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Lookup returns the value of the placeholder name, and whether it has one.
// The caller chains its sources, usually a values file before the
// environment: Chain(MapLookup(values), os.LookupEnv).
type Lookup func(name string) (string, bool)

// MapLookup returns a Lookup that answers from m.
func MapLookup(m map[string]string) Lookup {
	return func(name string) (string, bool) {
		v, ok := m[name]
		return v, ok
	}
}

// Chain returns a Lookup that asks each of ls in turn and answers with the
// first that has a value. Nil lookups are skipped.
func Chain(ls ...Lookup) Lookup {
	ls = slices.DeleteFunc(slices.Clone(ls), func(l Lookup) bool { return l == nil })
	return func(name string) (string, bool) {
		for _, l := range ls {
			if v, ok := l(name); ok {
				return v, true
			}
		}
		return "", false
	}
}

// LoadValues parses a values file: one YAML mapping from placeholder name to
// value. Names must be placeholder names ([A-Z][A-Z0-9_]*). A value is any
// scalar, taken as text exactly as written (`no` is "no", `1.10` is "1.10");
// an empty value is refused, write "" for an empty string. name is the file's
// name, used in errors. An empty file gives an empty map.
func LoadValues(name string, data []byte) (map[string]string, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("values file %s: %w", name, err)
	}
	out := map[string]string{}
	if root == nil {
		return out, nil
	}
	p := &parser{file: "values file " + name}
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "want a mapping of NAME: value, got %s", describe(root))
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := resolve(root.Content[i]), resolve(root.Content[i+1])
		key, ok := p.str(k, "key")
		if !ok {
			continue
		}
		if !isPlaceholderName(key) {
			p.errorf(k, "%q is not a placeholder name (capital letters, digits and _, starting with a letter)", key)
			continue
		}
		if line, dup := lines[key]; dup {
			p.errorf(k, "duplicate key %q (first at line %d)", key, line)
			continue
		}
		lines[key] = k.Line
		if val, ok := p.str(v, key); ok {
			out[key] = val
		}
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return out, nil
}
