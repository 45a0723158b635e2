package bundle

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	udiff "github.com/aymanbagabas/go-udiff"

	"github.com/connvault/connvault/internal/collation"
	"github.com/connvault/connvault/internal/glob"
)

// Diff is the difference between two bundles, matched by connector name, as
// the diff command prints it (text) or encodes it (--json).
type Diff struct {
	Added   []string        `json:"added"`
	Removed []string        `json:"removed"`
	Changed []ConnectorDiff `json:"changed"`
	// Unknown are connectors one bundle has and the other failed to export:
	// neither added nor removed.
	Unknown  []string `json:"unknown,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// ConnectorDiff names the parts of one connector that differ between two
// bundles and, when asked for, their unified diffs. Parts are named as plans
// name them: "source-config", "source-template", "correlation-config",
// "translations/<locale>", "metadata" (connectorMetadata), and
// "detail.<field>" for any other field of connector.json (e.g.
// "detail.status").
type ConnectorDiff struct {
	Name  string            `json:"name"`
	Parts []string          `json:"parts"`
	Text  map[string]string `json:"text,omitempty"` // part → unified diff
}

// CompareOptions say what Compare reports.
type CompareOptions struct {
	// Content adds a unified diff of each changed part.
	Content bool
	// IgnoreTenantFields leaves out the fields of connector.json that every
	// tenant sets its own way (TenantFields), so that a sandbox bundle and a
	// production bundle of the same connectors compare equal.
	IgnoreTenantFields bool
}

// TenantFields are the connector.json fields a tenant gives a connector of
// its own accord, which differ between tenants holding the same connector:
// the scriptName (derived from the name with a tenant-specific suffix), the
// storage location and uploaded file paths derived from it, and the
// tenant's ids and timestamps.
var TenantFields = []string{"scriptName", "s3Location", "uploadedFiles", "id", "created", "modified"}

// Empty reports whether the bundles hold the same connectors with the same content.
func (d Diff) Empty() bool { return len(d.Added)+len(d.Removed)+len(d.Changed) == 0 }

// Write prints d as the diff command shows it: warnings, ? unknown, + added,
// - removed, ~ changed with its parts (and their text diffs), then a count line.
func (d Diff) Write(w io.Writer) {
	s := newDiffStream(w, false)
	s.head(d)
	for _, ch := range d.Changed {
		s.changed(ch)
	}
	s.end(d)
}

// Compare matches a's and b's connectors by name and names the parts that
// differ (see ConnectorDiff). Files whose SHA-256 agree are equal; a
// connector.json that differs is read on both sides and compared field by
// field. Connectors that one bundle lacks because the other failed them at
// export are Unknown, not added or removed. Names are listed in collation
// order (internal/collation). It returns the first error from loading a
// connector's content. The whole Diff is held in memory, text included:
// WriteDiff writes the same without holding it.
func Compare(a, b *Bundle, opts CompareOptions) (Diff, error) {
	d, pairs := match(a.Manifest, b.Manifest)
	for _, p := range pairs {
		cd, err := compareConnector(a, b, p[0], p[1], opts)
		if err != nil {
			return d, err
		}
		if len(cd.Parts) > 0 {
			d.Changed = append(d.Changed, cd)
		}
	}
	return d, nil
}

// WriteDiff compares a and b as Compare does and writes the result to w as
// Diff.Write prints it or, with asJSON, as the JSON of Diff indented by two
// spaces and ending in a newline (as json.Encoder with SetIndent("", "  ")
// writes it), byte for byte the same as from Compare's Diff; but it compares
// and writes one connector pair at a time, so that memory holds the two
// manifests and one pair's content and text diffs, however many connectors
// differ. It returns the Diff without text (Changed holds names and parts).
// On an error loading a connector's content, what was written so far stays
// written (incomplete: JSON unterminated, no count line).
func WriteDiff(w io.Writer, a, b *Bundle, opts CompareOptions, asJSON bool) (Diff, error) {
	d, pairs := match(a.Manifest, b.Manifest)
	bw := bufio.NewWriterSize(w, 64<<10)
	s := newDiffStream(bw, asJSON)
	s.head(d)
	err := func() error {
		for _, p := range pairs {
			cd, err := compareConnector(a, b, p[0], p[1], opts)
			if err != nil {
				return err
			}
			if len(cd.Parts) == 0 {
				continue
			}
			s.changed(cd)
			d.Changed = append(d.Changed, ConnectorDiff{Name: cd.Name, Parts: cd.Parts})
			if s.err != nil {
				return s.err
			}
		}
		s.end(d)
		return s.err
	}()
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return d, err
}

// match pairs a's and b's connectors by name: the Diff's Added, Removed,
// Unknown and Warnings, and the entries present in both (a's, b's), in
// collation order of their names.
func match(a, b Manifest) (Diff, [][2]Entry) {
	byName := func(m Manifest) map[string]Entry {
		out := make(map[string]Entry, len(m.Connectors))
		for _, en := range m.Connectors {
			out[en.Name] = en
		}
		return out
	}
	am, bm := byName(a), byName(b)
	pairRenormalized(am, bm)
	var d Diff
	failed := func(m Manifest, label string) map[string]bool {
		out := map[string]bool{}
		if !m.Complete {
			d.Warnings = append(d.Warnings, fmt.Sprintf("bundle %s is incomplete: %s", label, m.Incomplete()))
		}
		for _, ie := range m.Errors {
			out[ie.Name], out[ie.ScriptName] = true, true
		}
		return out
	}
	aFailed, bFailed := failed(a, "A"), failed(b, "B")
	for name, be := range bm {
		if _, ok := am[name]; !ok {
			if aFailed[name] || aFailed[be.ScriptName] {
				d.Unknown = append(d.Unknown, name)
				continue
			}
			d.Added = append(d.Added, name)
		}
	}
	names := slices.Collect(maps.Keys(am))
	collation.Sort(names)
	collation.Sort(d.Added)
	var pairs [][2]Entry
	for _, name := range names {
		ae := am[name]
		be, ok := bm[name]
		if !ok {
			if bFailed[name] || bFailed[ae.ScriptName] {
				d.Unknown = append(d.Unknown, name)
				continue
			}
			d.Removed = append(d.Removed, name)
			continue
		}
		pairs = append(pairs, [2]Entry{ae, be})
	}
	collation.Sort(d.Unknown)
	return d, pairs
}

// pairRenormalized files under a's name each connector of b whose name is
// a's in another normalization form or letter case (glob.SameName:
// "Cafe\u0301" is "Café"), where exactly one unpaired name of each bundle
// has that form: it is one connector, compared (a renamed connector.json
// shows as detail.name), not one removed and one added. Names that more
// than one connector of a bundle share by that rule stay apart, so none
// is hidden behind another.
func pairRenormalized(am, bm map[string]Entry) {
	unpaired := func(m, other map[string]Entry) map[string][]string {
		out := map[string][]string{}
		for name := range m {
			if _, ok := other[name]; !ok {
				k := glob.NameKey(name)
				out[k] = append(out[k], name)
			}
		}
		return out
	}
	ua, ub := unpaired(am, bm), unpaired(bm, am)
	for k, as := range ua {
		if bs := ub[k]; len(as) == 1 && len(bs) == 1 {
			bm[as[0]] = bm[bs[0]]
			delete(bm, bs[0])
		}
	}
}

// compareConnector compares one connector present in both bundles. It reads
// content only where it needs to: for the text diffs (opts.Content) and to
// compare connector.json field by field.
func compareConnector(a, b *Bundle, ae, be Entry, opts CompareOptions) (ConnectorDiff, error) {
	cd := ConnectorDiff{Name: ae.Name}
	files := changedFiles(ae, be)
	if len(files) == 0 {
		return cd, nil
	}
	if !opts.Content && !slices.Contains(files, KindConnector) {
		cd.Parts = files
		slices.SortFunc(cd.Parts, comparePartNames)
		return cd, nil
	}
	ac, err := a.Load(ae.Key)
	if err != nil {
		return cd, err
	}
	bc, err := b.Load(be.Key)
	if err != nil {
		return cd, err
	}
	at, bt := partTexts(ac), partTexts(bc)
	text := map[string]string{}
	for _, f := range files {
		if f != KindConnector {
			cd.Parts = append(cd.Parts, f)
			if opts.Content {
				text[f] = UnifiedDiffPaths(partPath(ae.Key, f), partPath(be.Key, f), at[f], bt[f])
			}
			continue
		}
		fields, err := detailFields(ac.Detail, bc.Detail, opts.IgnoreTenantFields)
		if err != nil {
			return cd, fmt.Errorf("compare connector.json of %q: %w", ae.Name, err)
		}
		for i, f := range fields {
			cd.Parts = append(cd.Parts, f.part)
			if opts.Content && i == 0 {
				// One diff of the file, which patch(1) can apply, under
				// the first changed field; the fields only name what changed.
				text[f.part] = UnifiedDiffPaths(partPath(ae.Key, KindConnector), partPath(be.Key, KindConnector), ac.Detail, bc.Detail)
			}
		}
	}
	slices.SortFunc(cd.Parts, comparePartNames)
	if opts.Content {
		cd.Text = text
	}
	return cd, nil
}

// comparePartNames orders parts as plans list them: the XML parts,
// translations, metadata, then other detail fields.
func comparePartNames(a, b string) int {
	rank := func(p string) int {
		switch {
		case p == KindSourceConfig:
			return 0
		case p == KindSourceTemplate:
			return 1
		case p == KindCorrelationConfig:
			return 2
		case strings.HasPrefix(p, "translations/"):
			return 3
		case p == "metadata":
			return 4
		}
		return 5
	}
	if r := rank(a) - rank(b); r != 0 {
		return r
	}
	return strings.Compare(a, b)
}

// fieldDiff is one differing field of connector.json, as indented JSON.
type fieldDiff struct {
	part string
	a, b []byte
}

// FieldDifference is a connector.json field whose values differ: A and B
// are its values as compact JSON, nil where the document lacks the field.
type FieldDifference struct {
	Field string
	A, B  []byte
}

// DetailDifferences compares two connector.json documents (JSON objects)
// field by field and returns the fields that differ, sorted, leaving out
// connectorMetadata (a part of its own), connvault's bookkeeping keys and,
// with ignoreTenant, TenantFields. It returns an error naming the document
// that is not a JSON object.
func DetailDifferences(a, b []byte, ignoreTenant bool) ([]FieldDifference, error) {
	fs, err := detailFields(a, b, ignoreTenant)
	if err != nil {
		return nil, err
	}
	var out []FieldDifference
	for _, f := range fs {
		field, ok := strings.CutPrefix(f.part, "detail.")
		if !ok {
			continue
		}
		out = append(out, FieldDifference{Field: field, A: compactValue(f.a), B: compactValue(f.b)})
	}
	return out, nil
}

// compactValue is indented JSON made compact again (nil stays nil).
func compactValue(data []byte) []byte {
	if data == nil {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		return data
	}
	return b.Bytes()
}

// detailFields compares two connector.json documents field by field and
// returns the fields that differ: connectorMetadata as part "metadata", any
// other field as "detail.<field>". connvault's own bookkeeping keys
// ("connvault.…") and, with ignoreTenant, TenantFields are left out.
func detailFields(a, b []byte, ignoreTenant bool) ([]fieldDiff, error) {
	decode := func(data []byte) (map[string]any, error) {
		obj := map[string]any{}
		if len(bytes.TrimSpace(data)) == 0 {
			return obj, nil
		}
		if err := json.Unmarshal(data, &obj); err != nil {
			return nil, err
		}
		return obj, nil
	}
	ao, err := decode(a)
	if err != nil {
		return nil, err
	}
	bo, err := decode(b)
	if err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	for k := range ao {
		keys[k] = true
	}
	for k := range bo {
		keys[k] = true
	}
	var out []fieldDiff
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if strings.HasPrefix(k, "connvault.") || ignoreTenant && slices.Contains(TenantFields, k) {
			continue
		}
		av, bv := indentJSON(ao, k), indentJSON(bo, k)
		if bytes.Equal(av, bv) {
			continue
		}
		part := "detail." + k
		if k == "connectorMetadata" {
			part = "metadata"
		}
		out = append(out, fieldDiff{part: part, a: av, b: bv})
	}
	return out, nil
}

// indentJSON returns obj[key] as indented JSON ending in a newline, or nil
// when obj lacks the key.
func indentJSON(obj map[string]any, key string) []byte {
	v, ok := obj[key]
	if !ok {
		return nil
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil // decoded JSON always encodes
	}
	return append(data, '\n')
}

// changedFiles names the files (by part) whose hashes differ between two entries.
func changedFiles(a, b Entry) []string {
	hashes := func(en Entry) map[string]string {
		out := map[string]string{}
		for _, f := range en.Files {
			out[partName(f)] = f.SHA256
		}
		return out
	}
	ah, bh := hashes(a), hashes(b)
	var parts []string
	for p, h := range ah {
		if bh[p] != h {
			parts = append(parts, p)
		}
	}
	for p := range bh {
		if _, ok := ah[p]; !ok {
			parts = append(parts, p)
		}
	}
	slices.Sort(parts)
	return parts
}

func partName(f File) string {
	if f.Kind == KindTranslations {
		return "translations/" + f.Locale
	}
	return f.Kind
}

func partTexts(c Connector) map[string][]byte {
	out := map[string][]byte{
		KindConnector:         c.Detail,
		KindSourceConfig:      c.SourceConfig,
		KindSourceTemplate:    c.SourceTemplate,
		KindCorrelationConfig: c.CorrelationConfig,
	}
	for l, t := range c.Translations {
		out["translations/"+l] = t
	}
	return out
}

// UnifiedDiff renders a line diff of a and b in the unified format of
// diff -u, as patch(1) applies it, with name as both file names (a/name,
// b/name) and 3 lines of context; "" when they are equal. The diff is
// github.com/aymanbagabas/go-udiff's (Myers' algorithm, as in gopls).
func UnifiedDiff(name string, a, b []byte) string {
	return UnifiedDiffPaths(name, name, a, b)
}

// UnifiedDiffPaths is UnifiedDiff with the file names a/aPath and b/bPath:
// the bundle-relative paths of the two files, so that `patch -p1` inside the
// older bundle's directory applies it.
func UnifiedDiffPaths(aPath, bPath string, a, b []byte) string {
	return udiff.Unified("a/"+aPath, "b/"+bPath, string(a), string(b))
}

// partPath is the bundle-relative path of part (a kind, or
// "translations/<locale>") of the connector with key.
func partPath(key, part string) string {
	kind, locale := part, ""
	if l, ok := strings.CutPrefix(part, "translations/"); ok {
		kind, locale = KindTranslations, l
	}
	if p, ok := filePath(key, kind, locale); ok {
		return p
	}
	return part
}
