package transform

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
	globpkg "github.com/connvault/connvault/internal/glob"
)

// Apply returns the connectors of cs the rules keep, in their order, each
// renamed, with its text files rewritten by replace and placeholder
// substitution (lookup gives the values; nil means none) and its metadata
// overridden. cs is not modified and the result shares no memory with it.
//
// Every problem is reported, not just the first: each names its connector,
// and an unresolved placeholder also its bundle file and line. The
// unresolved placeholders come together as one *UnresolvedError.
func (r *Rules) Apply(cs []bundle.Connector, lookup Lookup) ([]bundle.Connector, error) {
	p := r.Pass(lookup)
	var out []bundle.Connector
	for _, c := range cs {
		if nc, kept := p.Add(c); kept {
			out = append(out, nc)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Pass applies rules to connectors one at a time, as Apply does to a
// slice, so that a bundle can be transformed without holding all of it:
// Add returns each connector as Apply would; Err, once every connector was
// added, returns the error Apply would (every problem, rename collisions
// across connectors included). A connector Add returns is only usable if
// Err is nil at the end.
type Pass struct {
	r          *Rules
	lookup     Lookup
	errs       []error
	unresolved []Unresolved
	sourceOf   map[string]string // globpkg.NameKey of the target name → source name
}

// Pass starts a pass of r (nil: no rules) with the values of lookup.
func (r *Rules) Pass(lookup Lookup) *Pass {
	if r == nil {
		r = &Rules{}
	}
	return &Pass{r: r, lookup: lookup, sourceOf: map[string]string{}}
}

// Add returns c rewritten, and whether the rules keep it.
func (p *Pass) Add(c bundle.Connector) (bundle.Connector, bool) {
	if !p.r.keeps(c.Name) {
		return bundle.Connector{}, false
	}
	nc, miss, err := p.r.applyOne(c, p.lookup)
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("connector %q: %w", c.Name, err))
		return bundle.Connector{}, false
	}
	p.unresolved = append(p.unresolved, miss...)
	// ISC compares connector names ignoring case, and connvault in NFC too
	// (glob.SameName): two names equal by that rule are one name.
	key := globpkg.NameKey(nc.Name)
	if src, taken := p.sourceOf[key]; taken && src != c.Name {
		p.errs = append(p.errs, fmt.Errorf("rename: connectors %q and %q would both be named %q (names are unique in a tenant, ignoring case and Unicode normalization)", src, c.Name, nc.Name))
	}
	p.sourceOf[key] = c.Name
	return nc, true
}

// Err returns every problem of the connectors added so far, nil if none.
func (p *Pass) Err() error {
	errs := p.errs
	if len(p.unresolved) > 0 {
		errs = append(slices.Clip(errs), &UnresolvedError{Placeholders: p.unresolved})
	}
	return errors.Join(errs...)
}

// keeps reports whether include and exclude keep the connector named name.
func (r *Rules) keeps(name string) bool {
	if len(r.include) > 0 && !matchAny(r.include, name) {
		return false
	}
	return !matchAny(r.exclude, name)
}

// applyOne rewrites one kept connector.
func (r *Rules) applyOne(c bundle.Connector, lookup Lookup) (bundle.Connector, []Unresolved, error) {
	out := cloneConnector(c)
	var miss []Unresolved
	for _, p := range textParts(out) {
		text := p.data
		for _, rep := range r.replace {
			if rep.appliesTo(p.kind) {
				text = bytes.ReplaceAll(text, []byte(rep.from), []byte(rep.to))
			}
		}
		if r.placeholders {
			var m []missing
			text, m = expand(text, p.format(), lookup)
			for _, m := range m {
				miss = append(miss, Unresolved{Connector: c.Name, File: p.path(c), Line: m.line, Name: m.name})
			}
		}
		p.data = text
		setTextPart(&out, p)
	}

	newName, renamed := r.renameOf(c.Name)
	renamed = renamed && newName != c.Name
	var meta []metadataRule
	for _, m := range r.metadata {
		if m.match.match(c.Name) {
			meta = append(meta, m)
		}
	}
	if !renamed && len(meta) == 0 {
		return out, miss, nil
	}
	if renamed {
		out.Name = newName
	}
	detail, err := editDetail(c.Detail, out.Name, renamed, meta)
	if err != nil {
		return bundle.Connector{}, nil, err
	}
	out.Detail = detail
	return out, miss, nil
}

// editDetail renames connector.json's object and applies metadata rules to
// its connectorMetadata. Other keys keep their values.
func editDetail(raw json.RawMessage, name string, rename bool, rules []metadataRule) (json.RawMessage, error) {
	obj, err := decodeObject(raw)
	if err != nil {
		return nil, fmt.Errorf("connector.json: %w", err)
	}
	if rename {
		if obj["name"], err = marshalJSON(name); err != nil {
			return nil, err
		}
	}
	if len(rules) > 0 {
		meta, err := decodeObject(obj["connectorMetadata"])
		if err != nil {
			return nil, fmt.Errorf("connector.json: connectorMetadata: %w", err)
		}
		for _, m := range rules {
			maps.Copy(meta, m.set)
			for _, k := range m.unset {
				delete(meta, k)
			}
		}
		if obj["connectorMetadata"], err = marshalJSON(meta); err != nil {
			return nil, err
		}
	}
	return marshalJSON(obj)
}

// decodeObject decodes a JSON object; absent or null is an empty object.
func decodeObject(raw json.RawMessage) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("want a JSON object: %w", err)
		}
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	return obj, nil
}

// marshalJSON encodes v compactly, with map keys sorted and without
// escaping <, > and & (XML fragments stay readable).
func marshalJSON(v any) (json.RawMessage, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// textPart is one text file of a connector.
type textPart struct {
	kind   string
	locale string // translations only
	data   []byte
}

// textParts returns the text files c has, in bundle order: the three XML
// files, then translations by locale.
func textParts(c bundle.Connector) []textPart {
	var out []textPart
	for _, p := range []textPart{
		{kind: bundle.KindSourceConfig, data: c.SourceConfig},
		{kind: bundle.KindSourceTemplate, data: c.SourceTemplate},
		{kind: bundle.KindCorrelationConfig, data: c.CorrelationConfig},
	} {
		if p.data != nil {
			out = append(out, p)
		}
	}
	for _, l := range slices.Sorted(maps.Keys(c.Translations)) {
		if c.Translations[l] != nil {
			out = append(out, textPart{kind: bundle.KindTranslations, locale: l, data: c.Translations[l]})
		}
	}
	return out
}

// setTextPart stores p's data in c.
func setTextPart(c *bundle.Connector, p textPart) {
	switch p.kind {
	case bundle.KindSourceConfig:
		c.SourceConfig = p.data
	case bundle.KindSourceTemplate:
		c.SourceTemplate = p.data
	case bundle.KindCorrelationConfig:
		c.CorrelationConfig = p.data
	case bundle.KindTranslations:
		c.Translations[p.locale] = p.data
	}
}

func (p textPart) format() textFormat {
	if p.kind == bundle.KindTranslations {
		return formatProperties
	}
	return formatXML
}

// path returns the part's path in a bundle, as errors name it.
func (p textPart) path(c bundle.Connector) string {
	file := p.kind + ".xml"
	if p.kind == bundle.KindTranslations {
		file = "translations/" + p.locale + ".properties"
	}
	return path.Join("connectors", bundle.KeyFor(c.ScriptName), file)
}

// cloneConnector returns a deep copy of c. Absent parts stay nil.
func cloneConnector(c bundle.Connector) bundle.Connector {
	c.Detail = bytes.Clone(c.Detail)
	c.SourceConfig = bytes.Clone(c.SourceConfig)
	c.SourceTemplate = bytes.Clone(c.SourceTemplate)
	c.CorrelationConfig = bytes.Clone(c.CorrelationConfig)
	if c.Translations != nil {
		t := make(map[string][]byte, len(c.Translations))
		for l, b := range c.Translations {
			t[l] = bytes.Clone(b)
		}
		c.Translations = t
	}
	return c
}

// UnresolvedError lists every placeholder Apply found no value for.
type UnresolvedError struct {
	Placeholders []Unresolved
}

// Unresolved is one placeholder without a value and where it is.
type Unresolved struct {
	Connector string // the connector's name in the bundle
	File      string // bundle path, e.g. "connectors/<key>/source-config.xml"
	Line      int    // 1-based, in the file after replace
	Name      string // NAME of ${NAME}
}

// String formats u as `connector "<name>": <file> line <n>: ${NAME}`.
func (u Unresolved) String() string {
	return fmt.Sprintf("connector %q: %s line %d: ${%s}", u.Connector, u.File, u.Line, u.Name)
}

// Error lists the placeholders, one a line when there are several.
func (e *UnresolvedError) Error() string {
	const hint = "give them values in the values file (--values), or in environment variables the rules file names under placeholders: {env: [...]}"
	if len(e.Placeholders) == 1 {
		u := e.Placeholders[0]
		return fmt.Sprintf("connector %q: %s line %d: unresolved placeholder ${%s} (give it a value in the values file (--values), or in an environment variable the rules file names under placeholders: {env: [...]})", u.Connector, u.File, u.Line, u.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d unresolved placeholders (%s):", len(e.Placeholders), hint)
	for _, u := range e.Placeholders {
		b.WriteString("\n  ")
		b.WriteString(u.String())
	}
	return b.String()
}
