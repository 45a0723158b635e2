package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
	globpkg "github.com/connvault/connvault/internal/glob"
	"go.yaml.in/yaml/v3"
)

// Version is the rules file version this package reads. Version 2 made
// placeholders opt-in (see the package documentation); version 1 files are
// refused with a message saying what to change.
const Version = 2

// Rules is a parsed, validated rules file. Build it with ParseRules. A nil
// *Rules behaves like a rules file holding only "version: 2": every connector
// is kept under its own name and its bytes are left as they are (no
// placeholder is substituted).
type Rules struct {
	file         string // the rules file's name, for messages; "" for --include/--exclude (NameFilter)
	include      []glob
	exclude      []glob
	rename       map[string]string // source name → target name; keys match names by internal/glob's rule (renameOf)
	renameLine   map[string]int    // the line of each rename key
	replace      []replacement
	placeholders bool     // substitute ${NAME}: the file says placeholders: true or {env: […]}
	env          []string // environment variables that may give values (placeholders: {env: […]})
	metadata     []metadataRule
}

// replacement is one entry of replace.
type replacement struct {
	from, to string
	kinds    []string // empty: every text file
}

// appliesTo reports whether the replacement rewrites files of the kind.
func (r replacement) appliesTo(kind string) bool {
	return len(r.kinds) == 0 || slices.Contains(r.kinds, kind)
}

// metadataRule is one entry of metadata.
type metadataRule struct {
	match glob
	set   map[string]json.RawMessage
	unset []string
}

// textKinds returns the kinds of the text files that replace and
// placeholders rewrite, in the order Apply visits them.
func textKinds() []string {
	return []string{
		bundle.KindSourceConfig,
		bundle.KindSourceTemplate,
		bundle.KindCorrelationConfig,
		bundle.KindTranslations,
	}
}

// topKeys returns the keys a rules file may have, in the order the reference
// lists them.
func topKeys() []string {
	return []string{"version", "include", "exclude", "rename", "replace", "placeholders", "metadata"}
}

// ParseRules parses and validates a rules file. name is the file's name, used
// in errors. Every problem found is reported, each with its line.
func ParseRules(name string, data []byte) (*Rules, error) {
	root, err := parseDocument(data)
	if err != nil {
		return nil, fmt.Errorf("rules file %s: %w", name, err)
	}
	if root == nil {
		return nil, noVersion(name)
	}
	p := &parser{file: "rules file " + name}
	if root.Kind != yaml.MappingNode {
		return nil, p.errorf(root, "want a mapping with the keys %s, got %s", strings.Join(topKeys(), ", "), describe(root))
	}
	if err := p.checkVersion(name, root); err != nil {
		return nil, err
	}
	r := &Rules{file: name}
	p.eachKey(root, topKeys(), func(key string, val *yaml.Node) {
		switch key {
		case "include":
			r.include = p.globs(val, key)
		case "exclude":
			r.exclude = p.globs(val, key)
		case "rename":
			r.rename, r.renameLine = p.rename(val)
		case "replace":
			r.replace = p.replacements(val)
		case "placeholders":
			r.placeholders, r.env = p.placeholderSources(val)
		case "metadata":
			r.metadata = p.metadataRules(val)
		}
	})
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return r, nil
}

// parseDocument parses data as one YAML document and returns its root node,
// nil when there is none.
func parseDocument(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("line %d: a second YAML document; the file must hold one", next.Line)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return nil, nil
	}
	return root, nil
}

// parser collects the problems of one YAML file, each naming its line.
type parser struct {
	file string // "rules file x.yaml"
	errs []error
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	err := fmt.Errorf("%s: line %d: %s", p.file, n.Line, fmt.Sprintf(format, args...))
	p.errs = append(p.errs, err)
	return err
}

// checkVersion checks the version key first: a file of another version may
// have keys this connvault does not know, and saying so would mislead.
func (p *parser) checkVersion(name string, root *yaml.Node) error {
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := resolve(root.Content[i]); k.Kind == yaml.ScalarNode && k.Value == "version" {
			v := resolve(root.Content[i+1])
			if v.Kind == yaml.ScalarNode && v.Value == fmt.Sprint(Version) {
				return nil
			}
			if v.Kind == yaml.ScalarNode && v.Value == "1" {
				return fmt.Errorf("rules file %s: line %d: version 1 is no longer read, because version 2 changed what placeholders mean: "+
					"in version 1, ${NAME} was substituted by default, from the values file and then the whole environment (SAIL_CLIENT_SECRET included); "+
					"in version 2, nothing is substituted unless the file says \"placeholders: true\" (values from --values only) "+
					"or \"placeholders: {env: [NAME, ...]}\" (also from the environment variables named; SAIL_* never). "+
					"Change the file to \"version: 2\" and add one of those if you rely on substitution", name, v.Line)
			}
			shown := v.Value
			if v.Kind != yaml.ScalarNode {
				shown = describe(v)
			}
			return fmt.Errorf("rules file %s: unsupported version %s (this connvault reads version %d)", name, shown, Version)
		}
	}
	return noVersion(name)
}

func noVersion(name string) error {
	return fmt.Errorf("rules file %s: no version (this connvault reads version %d; start the file with \"version: %d\")", name, Version, Version)
}

// placeholderSources reads the placeholders key: true or false, or a
// mapping {env: [NAME, …]} naming the environment variables that may give
// values (which enables substitution). SAIL_* variables (connvault's own
// credentials and settings) are refused.
func (p *parser) placeholderSources(n *yaml.Node) (bool, []string) {
	if n.Kind != yaml.MappingNode {
		return p.boolean(n, "placeholders"), nil
	}
	var env []string
	p.eachKey(n, []string{"env"}, func(_ string, val *yaml.Node) {
		items := []*yaml.Node{val}
		if val.Kind == yaml.SequenceNode {
			items = val.Content
		}
		for _, it := range items {
			name, ok := p.str(resolve(it), "placeholders env")
			switch {
			case !ok:
			case !isPlaceholderName(name):
				p.errorf(it, "placeholders env: %q is not a placeholder name (capital letters, digits and _, starting with a letter)", name)
			case strings.HasPrefix(name, "SAIL_"):
				p.errorf(it, "placeholders env: %s: SAIL_* variables hold connvault's own credentials and settings and are never a source of values", name)
			case slices.Contains(env, name):
				p.errorf(it, "placeholders env: %s is named twice", name)
			default:
				env = append(env, name)
			}
		}
	})
	return true, env
}

// Placeholders reports whether the rules substitute ${NAME} placeholders.
func (r *Rules) Placeholders() bool { return r != nil && r.placeholders }

// Lookup returns where placeholder values come from under r: values (a
// values file), then the environment variables r names (getenv), and
// nothing else. It is an error to give values when r does not enable
// placeholders: they would be silently unused.
func (r *Rules) Lookup(values map[string]string, getenv func(string) string) (Lookup, error) {
	if !r.Placeholders() {
		if len(values) > 0 {
			return nil, errors.New("a values file was given, but no rules file enables placeholders (add \"placeholders: true\" to the rules file)")
		}
		return nil, nil
	}
	allowed := slices.Clone(r.env)
	env := func(name string) (string, bool) {
		if !slices.Contains(allowed, name) || strings.HasPrefix(name, "SAIL_") {
			return "", false
		}
		v := getenv(name)
		return v, v != ""
	}
	return Chain(MapLookup(values), env), nil
}

// eachKey calls fn for every key of the mapping n, reporting keys not in
// known and keys given twice.
func (p *parser) eachKey(n *yaml.Node, known []string, fn func(key string, val *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, "want a key, got %s", describe(k))
			continue
		}
		if line, dup := seen[k.Value]; dup {
			p.errorf(k, "duplicate key %q (first at line %d)", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		if !slices.Contains(known, k.Value) {
			p.errorf(k, "unknown key %q (known keys: %s)", k.Value, strings.Join(known, ", "))
			continue
		}
		fn(k.Value, v)
	}
}

// str returns the text of a scalar. Any scalar is text where text is
// expected: `no`, `1.0` and `2024-01-01` stay exactly as written.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	switch {
	case n.Kind != yaml.ScalarNode:
		p.errorf(n, "%s: want a string, got %s", what, describe(n))
		return "", false
	case n.ShortTag() == "!!null":
		p.errorf(n, "%s: want a string, got nothing (write \"\" for an empty string)", what)
		return "", false
	}
	return n.Value, true
}

// stringList returns a list of strings; a single string is a list of one, and
// an empty value an empty list.
func (p *parser) stringList(n *yaml.Node, what string) []string {
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil
	case n.Kind == yaml.ScalarNode:
		return []string{n.Value}
	case n.Kind != yaml.SequenceNode:
		p.errorf(n, "%s: want a list of strings, got %s", what, describe(n))
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if s, ok := p.str(resolve(item), what); ok {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) glob(n *yaml.Node, what string) (glob, bool) {
	s, ok := p.str(n, what)
	if !ok {
		return glob{}, false
	}
	g, err := compileGlob(s)
	if err != nil {
		p.errorf(n, "%s: bad %v", what, err)
		return glob{}, false
	}
	g.line = n.Line
	return g, true
}

func (p *parser) globs(n *yaml.Node, what string) []glob {
	items := []*yaml.Node{n}
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return nil
	case n.Kind == yaml.SequenceNode:
		items = n.Content
	case n.Kind != yaml.ScalarNode:
		p.errorf(n, "%s: want a list of globs, got %s", what, describe(n))
		return nil
	}
	var out []glob
	for _, item := range items {
		if g, ok := p.glob(resolve(item), what); ok {
			out = append(out, g)
		}
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, what string) bool {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
		var b bool
		if err := n.Decode(&b); err == nil {
			return b
		}
	}
	p.errorf(n, "%s: want true or false, got %s", what, describe(n))
	return true
}

func (p *parser) mapping(n *yaml.Node, what string) bool {
	if n.Kind == yaml.MappingNode {
		return true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!null" {
		p.errorf(n, "%s: want a mapping, got %s", what, describe(n))
	}
	return false
}

func (p *parser) sequence(n *yaml.Node, what string) bool {
	if n.Kind == yaml.SequenceNode {
		return true
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!null" {
		p.errorf(n, "%s: want a list, got %s", what, describe(n))
	}
	return false
}

// rename reads the rename mapping and the line of each key. Two keys that
// name the same connector (internal/glob's rule: any letter case, NFC) are
// a name renamed twice.
func (p *parser) rename(n *yaml.Node) (map[string]string, map[string]int) {
	if !p.mapping(n, "rename") {
		return nil, nil
	}
	out, lines := map[string]string{}, map[string]int{}
	sourceOf := map[string]string{} // globpkg.NameKey of the target → source
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		from, ok1 := p.str(k, "rename")
		to, ok2 := p.str(v, fmt.Sprintf("rename %q", from))
		if !ok1 || !ok2 {
			continue
		}
		switch first := sameNameKey(out, from); {
		case first != "" && first == from:
			p.errorf(k, "rename: %q is renamed twice", from)
			continue
		case first != "":
			p.errorf(k, "rename: %q and %q (line %d) name the same connector (names ignore letter case and Unicode normalization)", from, first, lines[first])
			continue
		case to == "":
			p.errorf(v, "rename %q: the target name is empty", from)
			continue
		}
		if other, clash := sourceOf[globpkg.NameKey(to)]; clash {
			p.errorf(v, "rename: %q and %q are both renamed to %q", other, from, to)
			continue
		}
		out[from], sourceOf[globpkg.NameKey(to)], lines[from] = to, from, k.Line
	}
	return out, lines
}

func (p *parser) replacements(n *yaml.Node) []replacement {
	if !p.sequence(n, "replace") {
		return nil
	}
	var out []replacement
	for _, item := range n.Content {
		item = resolve(item)
		if !p.mapping(item, "replace") {
			continue
		}
		var r replacement
		hasFrom, hasTo, ok := false, false, true
		p.eachKey(item, []string{"from", "to", "kinds"}, func(key string, val *yaml.Node) {
			switch key {
			case "from":
				r.from, hasFrom = p.str(val, "replace: from")
				if hasFrom && r.from == "" {
					p.errorf(val, "replace: from is empty")
					ok = false
				}
			case "to":
				r.to, hasTo = p.str(val, "replace: to")
			case "kinds":
				for _, k := range p.stringList(val, "replace: kinds") {
					if !slices.Contains(textKinds(), k) {
						p.errorf(val, "replace: unknown kind %q (kinds: %s)", k, strings.Join(textKinds(), ", "))
						ok = false
					}
					r.kinds = append(r.kinds, k)
				}
			}
		})
		if !hasFrom || !hasTo {
			p.errorf(item, "replace: each entry needs from and to")
			continue
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

func (p *parser) metadataRules(n *yaml.Node) []metadataRule {
	if !p.sequence(n, "metadata") {
		return nil
	}
	var out []metadataRule
	for _, item := range n.Content {
		item = resolve(item)
		if !p.mapping(item, "metadata") {
			continue
		}
		m := metadataRule{set: map[string]json.RawMessage{}}
		hasMatch, ok := false, true
		p.eachKey(item, []string{"match", "set", "unset"}, func(key string, val *yaml.Node) {
			switch key {
			case "match":
				hasMatch = true
				var good bool
				m.match, good = p.glob(val, "metadata: match")
				ok = ok && good
			case "set":
				ok = p.metadataSet(val, m.set) && ok
			case "unset":
				m.unset = p.stringList(val, "metadata: unset")
			}
		})
		for _, k := range m.unset {
			if _, both := m.set[k]; both {
				p.errorf(item, "metadata: %q is both set and unset", k)
				ok = false
			}
		}
		switch {
		case !hasMatch:
			p.errorf(item, "metadata: each entry needs match (a glob; \"*\" for every connector)")
		case ok && len(m.set) == 0 && len(m.unset) == 0:
			p.errorf(item, "metadata: entry for %q neither sets nor unsets anything", m.match.pattern)
		case ok:
			out = append(out, m)
		}
	}
	return out
}

// metadataSet reads the set mapping into dst, each value as JSON.
func (p *parser) metadataSet(n *yaml.Node, dst map[string]json.RawMessage) bool {
	if !p.mapping(n, "metadata: set") {
		return true
	}
	ok := true
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		key, good := p.str(k, "metadata: set")
		if !good {
			ok = false
			continue
		}
		if _, dup := dst[key]; dup {
			p.errorf(k, "metadata: set: duplicate key %q", key)
			ok = false
			continue
		}
		val, err := jsonValue(v)
		if err == nil {
			dst[key], err = marshalJSON(val)
		}
		if err != nil {
			p.errorf(v, "metadata: set %q: %v", key, err)
			ok = false
		}
	}
	return ok
}

// jsonValue converts a YAML value to one encoding/json can write. Strings,
// including `no`, `yes` and dates, stay strings; true/false are booleans;
// numbers in JSON syntax are numbers, kept as written; null is refused (unset removes a key).
func jsonValue(n *yaml.Node) (any, error) {
	n = resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return nil, errors.New("null is not a value (use unset to remove a key)")
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, err
			}
			return b, nil
		case "!!int", "!!float":
			// Numbers go through as written; YAML-only forms (010 is 8 in
			// YAML 1.1, 0x1F, 1_000, .inf) would surprise, so they are refused.
			if !isJSONNumber(n.Value) {
				return nil, fmt.Errorf("%s is not a JSON number (quote it for a string)", n.Value)
			}
			return json.Number(n.Value), nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			v, err := jsonValue(item)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", item.Line, err)
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := resolve(n.Content[i])
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: want a string key, got %s", k.Line, describe(k))
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %s", describe(n))
}

// isJSONNumber reports whether s is a number in JSON syntax.
func isJSONNumber(s string) bool {
	return s != "" && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && json.Valid([]byte(s))
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names a node's kind for an error.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "nothing"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}
