package importer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// partMetadata names the connectorMetadata "part" in plans and results; the
// other part names are tenant.Part.String() values.
const partMetadata = "metadata"

// content is a connector's configuration in comparable form: the bytes of
// every present part, and the connectorMetadata. An empty XML part counts as
// absent (an empty document cannot be written); an empty translation is a
// locale the connector has, and is compared and written like any other.
type content struct {
	parts    map[string][]byte // part name → bytes
	metadata map[string]any    // nil when absent
	metaJSON []byte            // canonical JSON of metadata; nil when absent
}

// bundleContent returns the content a bundle connector asks for.
func bundleContent(c bundle.Connector) (content, error) {
	ct := content{parts: map[string][]byte{}}
	set := func(name string, b []byte) {
		if len(b) > 0 {
			ct.parts[name] = b
		}
	}
	set(string(tenant.SourceConfig), c.SourceConfig)
	set(string(tenant.SourceTemplate), c.SourceTemplate)
	set(string(tenant.CorrelationConfig), c.CorrelationConfig)
	for loc, b := range c.Translations {
		if b != nil {
			ct.parts[tenant.Part{Kind: tenant.Translations, Locale: loc}.String()] = b
		}
	}
	obj, err := detailObject(c.Detail)
	if err != nil {
		return content{}, fmt.Errorf("connector.json of %q: %w", c.Name, err)
	}
	if raw, ok := obj["connectorMetadata"]; ok && string(raw) != "null" {
		var md map[string]any
		if err := json.Unmarshal(raw, &md); err != nil {
			return content{}, fmt.Errorf("connectorMetadata of %q: %w", c.Name, err)
		}
		ct.setMetadata(md)
	}
	return ct, nil
}

// detailContent returns the content of a connector as the tenant returned it.
func detailContent(d tenant.ConnectorDetail) content {
	ct := content{parts: map[string][]byte{}}
	detailParts(d, func(name, s string) { ct.parts[name] = []byte(s) })
	if d.ConnectorMetadata != nil {
		ct.setMetadata(d.ConnectorMetadata)
	}
	return ct
}

// detailParts calls fn with the name and text of every part the detail d
// has, as detailContent counts them (an empty XML part is absent, an empty
// translation present), in no particular order.
func detailParts(d tenant.ConnectorDetail, fn func(name, s string)) {
	for _, p := range []struct {
		kind tenant.PartKind
		s    string
	}{{tenant.SourceConfig, d.SourceConfigXML}, {tenant.SourceTemplate, d.ApplicationXML}, {tenant.CorrelationConfig, d.CorrelationConfigXML}} {
		if p.s != "" {
			fn(string(p.kind), p.s)
		}
	}
	for loc, s := range d.TranslationProperties {
		fn(tenant.Part{Kind: tenant.Translations, Locale: loc}.String(), s)
	}
}

func (c *content) setMetadata(md map[string]any) {
	if md == nil {
		md = map[string]any{}
	}
	c.metadata = md
	c.metaJSON = metadataJSON(md)
}

// metadataJSON is connectorMetadata in canonical form: its JSON, which
// encoding/json writes with map keys sorted.
func metadataJSON(md map[string]any) []byte {
	b, err := json.Marshal(md)
	if err != nil {
		b = []byte(fmt.Sprintf("%#v", md)) // not reachable for decoded JSON
	}
	return b
}

// hashes returns the SHA-256 of each named part of c ("" for a part c lacks,
// such as metadata a write removes), in the form partHashes gives.
func (c content) hashes(parts []string) map[string]string {
	out := make(map[string]string, len(parts))
	for _, p := range parts {
		switch {
		case p == partMetadata && c.metaJSON != nil:
			out[p] = sha256Hex(c.metaJSON)
		case p != partMetadata && c.parts[p] != nil:
			out[p] = sha256Hex(c.parts[p])
		default:
			out[p] = ""
		}
	}
	return out
}

// locales returns the locales of the translations present, sorted.
func (c content) locales() []string {
	var ls []string
	for name := range c.parts {
		if loc, ok := strings.CutPrefix(name, string(tenant.Translations)+"/"); ok {
			ls = append(ls, loc)
		}
	}
	slices.Sort(ls)
	return ls
}

// diff returns the parts of want that have differs from, in write order:
// source-config, source-template, correlation-config, translations by locale,
// metadata. Parts present only in have are not listed (they cannot be deleted).
func diff(want, have content) []string {
	var out []string
	for _, name := range sortedParts(want) {
		if h, ok := have.parts[name]; !ok || !samePart(name, want.parts[name], h) {
			out = append(out, name)
		}
	}
	if want.metaJSON != nil && !bytes.Equal(want.metaJSON, have.metaJSON) {
		out = append(out, partMetadata)
	}
	return out
}

// allParts returns every part of c in write order, metadata included.
func allParts(c content) []string {
	out := sortedParts(c)
	if c.metaJSON != nil {
		out = append(out, partMetadata)
	}
	return out
}

func sortedParts(c content) []string {
	names := slices.Collect(maps.Keys(c.parts))
	slices.SortFunc(names, comparePartNames)
	return names
}

func comparePartNames(a, b string) int {
	if ra, rb := partRank(a), partRank(b); ra != rb {
		return ra - rb
	}
	return strings.Compare(a, b)
}

func partRank(name string) int {
	switch name {
	case string(tenant.SourceConfig):
		return 0
	case string(tenant.SourceTemplate):
		return 1
	case string(tenant.CorrelationConfig):
		return 2
	case partMetadata:
		return 4
	}
	return 3 // translations/<locale>
}

// parsePart turns a part name back into a tenant.Part.
func parsePart(name string) (tenant.Part, bool) {
	switch name {
	case string(tenant.SourceConfig), string(tenant.SourceTemplate), string(tenant.CorrelationConfig):
		return tenant.Part{Kind: tenant.PartKind(name)}, true
	}
	if loc, ok := strings.CutPrefix(name, string(tenant.Translations)+"/"); ok && loc != "" {
		return tenant.Part{Kind: tenant.Translations, Locale: loc}, true
	}
	return tenant.Part{}, false
}

// detailObject decodes connector.json; an empty Detail is an empty object.
func detailObject(detail json.RawMessage) (map[string]json.RawMessage, error) {
	obj := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(detail)) == 0 {
		return obj, nil
	}
	if err := json.Unmarshal(detail, &obj); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	return obj, nil
}

// directConnect returns connector.json's directConnect, false when absent.
func directConnect(c bundle.Connector) bool {
	obj, err := detailObject(c.Detail)
	if err != nil {
		return false
	}
	var v bool
	_ = json.Unmarshal(obj["directConnect"], &v)
	return v
}

// toBundle turns a connector as read from the tenant into a bundle connector,
// the form of an undo bundle's pre-images.
func toBundle(d tenant.ConnectorDetail) (bundle.Connector, error) {
	// The detail as read keeps what the struct's omitempty would drop, such
	// as an empty connectorMetadata, which rollback must restore as it was.
	raw := []byte(d.Raw)
	if len(raw) == 0 {
		var err error
		if raw, err = json.Marshal(d); err != nil {
			return bundle.Connector{}, fmt.Errorf("encode %q: %w", d.ScriptName, err)
		}
	}
	obj, err := detailObject(raw)
	if err != nil {
		return bundle.Connector{}, err
	}
	for _, f := range tenant.FileFields() {
		delete(obj, f)
	}
	detail, err := json.Marshal(obj)
	if err != nil {
		return bundle.Connector{}, fmt.Errorf("encode %q: %w", d.ScriptName, err)
	}
	c := bundle.Connector{
		ScriptName: d.ScriptName,
		Name:       d.Name,
		Type:       d.Type,
		ClassName:  d.ClassName,
		Status:     string(d.Status),
		Detail:     detail,
	}
	if d.SourceConfigXML != "" {
		c.SourceConfig = []byte(d.SourceConfigXML)
	}
	if d.ApplicationXML != "" {
		c.SourceTemplate = []byte(d.ApplicationXML)
	}
	if d.CorrelationConfigXML != "" {
		c.CorrelationConfig = []byte(d.CorrelationConfigXML)
	}
	for loc, s := range d.TranslationProperties {
		if c.Translations == nil {
			c.Translations = map[string][]byte{}
		}
		c.Translations[loc] = []byte(s)
	}
	return c, nil
}

// detailHash is the pre-image hash a plan records: SHA-256 of the detail's
// JSON (json.Marshal's bytes, written into the hash without being built:
// tenant.ConnectorDetail.WriteJSON), followed, for each part that is not
// UTF-8 (JSON writes its bytes as U+FFFD; see detailBytes), by its name and
// bytes, so that a change among them is drift too. A detail of UTF-8 parts
// hashes as its JSON alone; "" if the detail cannot be encoded.
func detailHash(d tenant.ConnectorDetail) string {
	h := sha256.New()
	if err := d.WriteJSON(h); err != nil {
		return ""
	}
	notUTF8 := map[string]string{}
	detailParts(d, func(name, s string) {
		if !utf8.ValidString(s) {
			notUTF8[name] = s
		}
	})
	names := slices.Collect(maps.Keys(notUTF8))
	slices.SortFunc(names, comparePartNames)
	for _, name := range names {
		writeFieldString(h, name)
		writeFieldString(h, notUTF8[name])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// partHashes returns the SHA-256 of every part of d, and of its other fields
// under "fields" (the JSON of d without its parts), so that drift can be
// named precisely. The parts are hashed as they are, not copied.
func partHashes(d tenant.ConnectorDetail) map[string]string {
	out := make(map[string]string, len(d.TranslationProperties)+5)
	detailParts(d, func(name, s string) { out[name] = sha256String(s) })
	if d.ConnectorMetadata != nil {
		out[partMetadata] = sha256Hex(metadataJSON(d.ConnectorMetadata))
	}
	rest := d
	rest.SourceConfigXML, rest.SourceConfig, rest.ApplicationXML, rest.CorrelationConfigXML = "", nil, "", ""
	rest.TranslationProperties, rest.ConnectorMetadata = nil, nil
	h := sha256.New()
	if rest.WriteJSON(h) == nil {
		out["fields"] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}

// sha256String is sha256Hex of s without a copy of s.
func sha256String(s string) string {
	h := sha256.New()
	hashString(h, s)
	return hex.EncodeToString(h.Sum(nil))
}

// hashString writes s into h through a small buffer: []byte(s) would copy
// all of it.
func hashString(h hash.Hash, s string) {
	var buf [4096]byte
	for len(s) > 0 {
		n := copy(buf[:], s)
		h.Write(buf[:n])
		s = s[n:]
	}
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func writeField(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// writeFieldString is writeField of []byte(s), without the copy.
func writeFieldString(h hash.Hash, s string) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(s)))
	h.Write(n[:])
	hashString(h, s)
}
