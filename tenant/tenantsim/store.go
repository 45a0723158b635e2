package tenantsim

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// part names a sub-resource of a connector.
type part int

const (
	partSourceConfig part = iota
	partSourceTemplate
	partCorrelationConfig
	partTranslations
)

func (p part) String() string {
	return [...]string{"source-config", "source-template", "correlation-config", "translations"}[p]
}

// entry is one connector. Its summary fields (everything but the XML and the
// translations) are always in c. A seeded connector's content is generated
// from src on every read until the connector is first changed; then it is
// materialized into c and src is dropped. This keeps a tenant of 10 000
// connectors small and quick to start.
type entry struct {
	c   DumpConnector
	src *lazySource
}

// xml returns the XML of a config sub-resource.
func (e *entry) xml(p part) string {
	if e.src != nil {
		return e.src.xml(&e.c, p)
	}
	switch p {
	case partSourceConfig:
		return e.c.SourceConfigXml
	case partSourceTemplate:
		return e.c.ApplicationXml
	default:
		return e.c.CorrelationConfigXml
	}
}

// translation returns the properties text of locale, if the connector has it.
func (e *entry) translation(locale string) (string, bool) {
	if e.src != nil {
		if !slices.Contains(e.src.locales, locale) {
			return "", false
		}
		return e.src.translation(&e.c, locale), true
	}
	t, ok := e.c.Translations[locale]
	return t, ok
}

// full returns a deep copy of the connector with all its content.
func (e *entry) full() DumpConnector {
	c := cloneConnector(e.c)
	if e.src != nil {
		c.SourceConfigXml = e.src.xml(&e.c, partSourceConfig)
		c.ApplicationXml = e.src.xml(&e.c, partSourceTemplate)
		c.CorrelationConfigXml = e.src.xml(&e.c, partCorrelationConfig)
		c.Translations = make(map[string]string, len(e.src.locales))
		for _, l := range e.src.locales {
			c.Translations[l] = e.src.translation(&e.c, l)
		}
	}
	return c
}

// materialize stores the generated content so that it can be changed.
func (e *entry) materialize() {
	if e.src != nil {
		e.c = e.full()
		e.src = nil
	}
}

// store holds the connectors of a tenant, built-in and custom.
type store struct {
	mu      sync.RWMutex
	suffix  string            // tenant-specific scriptName suffix
	entries map[string]*entry // by scriptName
	names   map[string]*entry // by foldName(name)
	sorted  []*entry          // list order: name, then scriptName
}

func newStore(opts Options) *store {
	st := &store{suffix: tenantSuffix(opts.TenantName)}
	builtins := builtinEntries()
	isBuiltin := map[string]bool{}
	for _, e := range builtins {
		isBuiltin[e.c.ScriptName] = true
	}
	seeded := seedEntries(opts, st.suffix, func(sn string) bool { return isBuiltin[sn] })
	st.reset(append(builtins, seeded...))
	return st
}

// reset replaces all connectors with es (no checks; the caller made them consistent).
func (st *store) reset(es []*entry) {
	st.entries = make(map[string]*entry, len(es))
	st.names = make(map[string]*entry, len(es))
	for _, e := range es {
		st.entries[e.c.ScriptName] = e
		st.names[foldName(e.c.Name)] = e
	}
	st.sorted = slices.Clone(es)
	slices.SortFunc(st.sorted, compareEntries)
}

func compareEntries(a, b *entry) int {
	return cmp.Or(cmp.Compare(a.c.Name, b.c.Name), cmp.Compare(a.c.ScriptName, b.c.ScriptName))
}

func (st *store) add(e *entry) {
	st.entries[e.c.ScriptName] = e
	st.names[foldName(e.c.Name)] = e
	i, _ := slices.BinarySearchFunc(st.sorted, e, compareEntries)
	st.sorted = slices.Insert(st.sorted, i, e)
}

func (st *store) remove(e *entry) {
	delete(st.entries, e.c.ScriptName)
	delete(st.names, foldName(e.c.Name))
	if i, ok := slices.BinarySearchFunc(st.sorted, e, compareEntries); ok {
		st.sorted = slices.Delete(st.sorted, i, i+1)
	}
}

// newScriptName derives a free scriptName from name: a URL-path-safe slug
// plus the tenant suffix, so two tenants never agree on scriptNames.
func (st *store) newScriptName(name string) string {
	return scriptNameFor(name, st.suffix, func(sn string) bool { return st.entries[sn] != nil })
}

// scriptNameFor is slug(name)-suffix, or slug(name)-N-suffix if that is taken.
func scriptNameFor(name, suffix string, taken func(string) bool) string {
	base := slug(name)
	for n := 1; ; n++ {
		sn := base + "-" + suffix
		if n > 1 {
			sn = fmt.Sprintf("%s-%d-%s", base, n, suffix)
		}
		if !taken(sn) {
			return sn
		}
	}
}

// foldName is the key under which names are unique: case-insensitive, trimmed.
func foldName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// tenantSuffix is 6 hex digits derived from the tenant name.
func tenantSuffix(tenant string) string {
	h := sha256.Sum256([]byte("tenantsim scriptName suffix\x00" + tenant))
	return hex.EncodeToString(h[:3])
}

// slug makes a lower-case ASCII path segment of name: letters transliterated,
// everything else collapsed into single dashes, at most 48 characters.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		s := transliterate(r)
		if s == "" {
			if b.Len() > 0 {
				dash = true
			}
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteString(s)
	}
	out := b.String()
	if len(out) > 48 {
		out = strings.TrimRight(out[:48], "-")
	}
	if out == "" {
		out = "connector"
	}
	return out
}

// transliterate maps a lower-case rune to ASCII letters or digits, or "" for
// a separator or a letter without an ASCII form.
func transliterate(r rune) string {
	if r < 128 {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			return string(r)
		}
		return ""
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ą', 'ă':
		return "a"
	case 'ç', 'ć', 'č':
		return "c"
	case 'ď', 'đ', 'ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ę', 'ě':
		return "e"
	case 'ğ':
		return "g"
	case 'ì', 'í', 'î', 'ï', 'ī', 'ı':
		return "i"
	case 'ł', 'ľ', 'ĺ':
		return "l"
	case 'ñ', 'ń', 'ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o"
	case 'ŕ', 'ř':
		return "r"
	case 'ś', 'š', 'ş', 'ș':
		return "s"
	case 'ť', 'ț':
		return "t"
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ų':
		return "u"
	case 'ý', 'ÿ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'þ':
		return "th"
	}
	return ""
}

// cloneConnector deep-copies c.
func cloneConnector(c DumpConnector) DumpConnector {
	c.Features = slices.Clone(c.Features)
	c.UploadedFiles = slices.Clone(c.UploadedFiles)
	c.Translations = maps.Clone(c.Translations)
	if c.ConnectorMetadata != nil {
		c.ConnectorMetadata = cloneJSON(c.ConnectorMetadata).(map[string]any)
	}
	return c
}

// cloneJSON deep-copies a value made of JSON types.
func cloneJSON(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, x := range v {
			m[k] = cloneJSON(x)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, x := range v {
			s[i] = cloneJSON(x)
		}
		return s
	default:
		return v
	}
}
