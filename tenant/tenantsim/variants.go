package tenantsim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Variants chooses, for each behaviour the spec leaves open, which plausible
// answer the simulated tenant gives. The zero value (and every "" field) is
// the default behaviour, the one the package documentation describes.
// ParseVariants reads the textual form `connvault sim --variant` takes;
// VariantKeys lists every key with its values.
//
// JSON names are the textual keys; GET /_sim/tenant shows the variants in
// effect with every default filled in.
type Variants struct {
	// DetailLocales: does the detail's translationProperties hold every
	// locale ("all", default), or only the one the locale query parameter
	// asks for, en when absent or unknown ("requested")?
	DetailLocales string `json:"detail-locales"`
	// MissingLocale: what GET translations/{locale} answers for a locale the
	// connector has no translations for: 404 ("404", default), an empty 200
	// ("empty"), or the en text ("en"; 404 when en is missing too).
	MissingLocale string `json:"missing-locale"`
	// DetailBytes: are the detail's XML fields byte for byte what the
	// sub-resource GETs serve ("same", default), or a normalised copy
	// ("normalised": another XML declaration and CRLF line endings)?
	DetailBytes string `json:"detail-bytes"`
	// UploadNormalise: does the tenant store uploads (PUT files and PATCHed
	// XML fields) as sent ("none", default) or with every line ending turned
	// into CRLF ("crlf")?
	UploadNormalise string `json:"upload-normalise"`
	// ListOrder: does the list keep its order between calls ("stable",
	// default: name, then scriptName) or reshuffle it on every call
	// ("unstable"), so that offset paging can skip and repeat connectors?
	ListOrder string `json:"list-order"`
	// PageCap is the largest page the list serves, whatever limit asks for
	// (0 means 250, the spec's maximum of limit).
	PageCap int `json:"page-cap"`
	// CustomType: do seeded custom connectors' types start with "custom"
	// ("prefix", default), or does about a third of them carry a type of its
	// own ("any"), as ISC allows at create?
	CustomType string `json:"custom-type"`
	// CreateStatus: does create take status in upper case only ("strict",
	// default), or in any letter case ("lenient", as the official how-to's
	// "released" suggests)?
	CreateStatus string `json:"create-status"`
	// DuplicateName is the status of a create whose name is taken: 400
	// (default) or 409.
	DuplicateName int `json:"duplicate-name"`
	// MetadataRemove: is a PATCH that removes /connectorMetadata as a whole
	// accepted ("allowed", default) or answered 400 ("refused")?
	MetadataRemove string `json:"metadata-remove"`
	// TranslationsPart: does the translations PUT take only a part named
	// "file" ("file", default) or the first part whatever its name ("any")?
	TranslationsPart string `json:"translations-part"`
	// SourceConfigJSON: the detail's sourceConfig is a copy of
	// sourceConfigXml ("copy", default), a JSON text ("json"), or null
	// ("null").
	SourceConfigJSON string `json:"source-config-json"`
}

// defaultPageCap is the spec's largest limit of the list.
const defaultPageCap = 250

// VariantKey is one key of the textual form with the values it takes; the
// first is the default. A key whose values include "N" takes a number.
type VariantKey struct {
	Key    string
	Values []string
}

// VariantKeys lists every variant key with its values, the default first, in
// the order of the Variants fields. For page-cap, the values are the default
// and "N" (any number from 1 to 250).
func VariantKeys() []VariantKey {
	return []VariantKey{
		{"detail-locales", []string{"all", "requested"}},
		{"missing-locale", []string{"404", "empty", "en"}},
		{"detail-bytes", []string{"same", "normalised"}},
		{"upload-normalise", []string{"none", "crlf"}},
		{"list-order", []string{"stable", "unstable"}},
		{"page-cap", []string{"250", "N"}},
		{"custom-type", []string{"prefix", "any"}},
		{"create-status", []string{"strict", "lenient"}},
		{"duplicate-name", []string{"400", "409"}},
		{"metadata-remove", []string{"allowed", "refused"}},
		{"translations-part", []string{"file", "any"}},
		{"source-config-json", []string{"copy", "json", "null"}},
	}
}

// ParseVariants reads comma-separated key=value pairs, for example
// "missing-locale=en,page-cap=50,duplicate-name=409". Keys and values are
// those of VariantKeys; "" and "default" mean no variant. A key given twice,
// an unknown key or an unknown value is an error naming it and what is
// allowed. The result has every default filled in.
func ParseVariants(spec string) (Variants, error) {
	var v Variants
	spec = strings.TrimSpace(spec)
	if spec == "" || spec == "default" {
		return v.withDefaults(), nil
	}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(spec, ",") {
		key, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		key, val = strings.TrimSpace(key), strings.TrimSpace(val)
		if !ok || key == "" || val == "" {
			return Variants{}, fmt.Errorf("variant %q: want key=value, e.g. missing-locale=en", item)
		}
		if seen[key] {
			return Variants{}, fmt.Errorf("variant %q is given twice", key)
		}
		seen[key] = true
		if err := v.set(key, val); err != nil {
			return Variants{}, err
		}
	}
	return v.withDefaults(), nil
}

// field is one key of Variants: a pointer to its string or number field.
type field struct {
	key string
	str *string
	num *int
}

// fields lists v's keys in the order of VariantKeys.
func (v *Variants) fields() []field {
	return []field{
		{key: "detail-locales", str: &v.DetailLocales},
		{key: "missing-locale", str: &v.MissingLocale},
		{key: "detail-bytes", str: &v.DetailBytes},
		{key: "upload-normalise", str: &v.UploadNormalise},
		{key: "list-order", str: &v.ListOrder},
		{key: "page-cap", num: &v.PageCap},
		{key: "custom-type", str: &v.CustomType},
		{key: "create-status", str: &v.CreateStatus},
		{key: "duplicate-name", num: &v.DuplicateName},
		{key: "metadata-remove", str: &v.MetadataRemove},
		{key: "translations-part", str: &v.TranslationsPart},
		{key: "source-config-json", str: &v.SourceConfigJSON},
	}
}

// set sets one key from its textual value.
func (v *Variants) set(key, val string) error {
	keys := VariantKeys()
	i := slices.IndexFunc(keys, func(k VariantKey) bool { return k.Key == key })
	if i < 0 {
		var names []string
		for _, k := range keys {
			names = append(names, k.Key)
		}
		return fmt.Errorf("unknown variant %q; known: %s", key, strings.Join(names, ", "))
	}
	f := v.fields()[i]
	if key == "page-cap" {
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 || n > defaultPageCap {
			return fmt.Errorf("variant page-cap: want a number of connectors from 1 to %d, got %q", defaultPageCap, val)
		}
		*f.num = n
		return nil
	}
	if !slices.Contains(keys[i].Values, val) {
		return fmt.Errorf("variant %s: unknown value %q; want one of %s", key, val, strings.Join(keys[i].Values, ", "))
	}
	if f.num != nil {
		*f.num, _ = strconv.Atoi(val)
	} else {
		*f.str = val
	}
	return nil
}

// withDefaults fills every unset field with its default, the first value
// VariantKeys lists.
func (v Variants) withDefaults() Variants {
	keys := VariantKeys()
	for i, f := range v.fields() {
		switch {
		case f.str != nil && *f.str == "":
			*f.str = keys[i].Values[0]
		case f.num != nil && *f.num <= 0:
			*f.num, _ = strconv.Atoi(keys[i].Values[0])
		}
	}
	return v
}

// String returns the variants that differ from the default, in the syntax
// ParseVariants reads ("" when every behaviour is the default).
func (v Variants) String() string {
	v = v.withDefaults()
	def := Variants{}.withDefaults()
	var parts []string
	for i, f := range v.fields() {
		d := def.fields()[i]
		switch {
		case f.str != nil && *f.str != *d.str:
			parts = append(parts, f.key+"="+*f.str)
		case f.num != nil && *f.num != *d.num:
			parts = append(parts, f.key+"="+strconv.Itoa(*f.num))
		}
	}
	return strings.Join(parts, ",")
}

// Variants returns the variants in effect, every default filled in.
func (s *Sim) Variants() Variants { return s.opts.Variants }

// The hooks below are called by the handlers; each applies one variant.

// listOrder returns the entries in the order this list call serves them:
// the stored order, or under list-order=unstable a fresh shuffle per call.
func (s *Sim) listOrder(sorted []*entry) []*entry {
	if s.opts.Variants.ListOrder != "unstable" {
		return sorted
	}
	call := s.listCalls.Add(1)
	out := slices.Clone(sorted)
	slices.SortFunc(out, func(a, b *entry) int {
		ka, kb := mix(uint64(call), hashString(a.c.ScriptName)), mix(uint64(call), hashString(b.c.ScriptName))
		switch {
		case ka < kb:
			return -1
		case ka > kb:
			return 1
		}
		return compareEntries(a, b)
	})
	return out
}

// customType is the type a seeded custom connector named name gets: typ
// ("custom <name>"), or under custom-type=any, for about a third of the
// names (the same in every tenant), a type without the prefix.
func (v Variants) customType(name, typ, className string) string {
	if v.CustomType != "any" || hashString("custom-type\x00"+name)%3 != 0 {
		return typ
	}
	short := className[strings.LastIndex(className, ".")+1:]
	return strings.TrimSuffix(short, "Connector") + " - " + name
}

// createStatus reads the status of a create: the spec's upper-case values,
// and under create-status=lenient any letter case.
func (v Variants) createStatus(s string) (string, bool) {
	if v.CreateStatus == "lenient" {
		s = strings.ToUpper(s)
	}
	switch s {
	case "DEVELOPMENT", "DEMO", "RELEASED":
		return s, true
	}
	return "", false
}

// nameTaken is the refusal of a create whose name other holds.
func (v Variants) nameTaken(other *entry) *apiError {
	return errorf(v.DuplicateName, "a connector named %q already exists (scriptName %q, status %s); connector names are unique in a tenant, ignoring case",
		other.c.Name, other.c.ScriptName, other.c.Status)
}

// detailView is the ConnectorDetail served for c when the client asked for
// locale ("" when it did not): detail-locales, detail-bytes and
// source-config-json apply.
func (v Variants) detailView(c DumpConnector, locale string) connectorDetail {
	d := toDetail(c)
	if v.DetailLocales == "requested" {
		if !validLocale(locale) {
			locale = "en" // the spec's fallback
		}
		d.TranslationProperties = map[string]string{}
		if t, ok := c.Translations[locale]; ok {
			d.TranslationProperties[locale] = t
		}
	}
	if v.DetailBytes == "normalised" {
		d.ApplicationXml = normalisedXML(d.ApplicationXml)
		d.CorrelationConfigXml = normalisedXML(d.CorrelationConfigXml)
		d.SourceConfigXml = normalisedXML(d.SourceConfigXml)
	}
	switch v.SourceConfigJSON {
	case "json":
		j := sourceConfigJSON(c.SourceConfigXml)
		d.SourceConfig = &j
	case "null":
		d.SourceConfig = nil
	default:
		x := d.SourceConfigXml
		d.SourceConfig = &x
	}
	return d
}

// normalisedXML is x as a tenant that re-serialises its documents might
// serve it in the detail: the XML declaration replaced by
// <?xml version="1.0" encoding="UTF-8"?> and every line ending CRLF.
func normalisedXML(x string) string {
	body := strings.TrimPrefix(x, "\ufeff")
	if strings.HasPrefix(body, "<?xml") {
		if i := strings.Index(body, "?>"); i >= 0 {
			body = strings.TrimLeft(body[i+2:], " \t\r\n")
		}
	}
	return crlf(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + body)
}

// sourceConfigJSON is a JSON form of a source config: what a tenant that
// keeps the form as JSON might put into sourceConfig.
func sourceConfigJSON(x string) string {
	sum := sha256.Sum256([]byte(x))
	b, _ := json.Marshal(map[string]any{"type": "SourceConfig", "length": len(x), "sha256": hex.EncodeToString(sum[:])})
	return string(b)
}

// crlf turns every line ending (CRLF, CR or LF) into CRLF.
func crlf(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}

// stored is what the tenant keeps of an upload: data as sent, or under
// upload-normalise=crlf with CRLF line endings.
func (v Variants) stored(data []byte) []byte {
	if v.UploadNormalise != "crlf" {
		return data
	}
	return []byte(crlf(string(data)))
}

// missingLocale answers GET translations/{locale} for a locale e has no
// translations for.
func (v Variants) missingLocale(e *entry, locale string) (*reply, error) {
	switch v.MissingLocale {
	case "empty":
		return rawReply(http.StatusOK, "text/plain; charset=utf-8", []byte{}), nil
	case "en":
		if t, ok := e.translation("en"); ok {
			return rawReply(http.StatusOK, "text/plain; charset=utf-8", []byte(t)), nil
		}
	}
	return nil, notFound("connector %q has no translations for locale %q", e.c.ScriptName, locale).
		with("locales present: " + strings.Join(presentLocales(e), ", "))
}

// anyPartName says whether a PUT of p takes its file from the first part
// whatever its name (translations-part=any), not only from a part "file".
func (v Variants) anyPartName(p part) bool {
	return p == partTranslations && v.TranslationsPart == "any"
}

// refusedPatch is the 400 of a PATCH that removes /connectorMetadata as a
// whole under metadata-remove=refused, or nil.
func (v Variants) refusedPatch(ops []patchOp) *apiError {
	if v.MetadataRemove != "refused" {
		return nil
	}
	for i, op := range ops {
		if op.op == "remove" && len(op.path) == 1 && op.path[0] == "connectorMetadata" {
			return badRequest("operation %d: /connectorMetadata cannot be removed; replace it with an object instead; nothing was changed", i)
		}
	}
	return nil
}

// normaliseUploads applies upload-normalise to the XML fields a PATCH
// changed from old to next.
func (v Variants) normaliseUploads(old DumpConnector, next *DumpConnector) {
	if v.UploadNormalise != "crlf" {
		return
	}
	for _, f := range []struct{ was, is *string }{
		{&old.SourceConfigXml, &next.SourceConfigXml},
		{&old.ApplicationXml, &next.ApplicationXml},
		{&old.CorrelationConfigXml, &next.CorrelationConfigXml},
	} {
		if *f.was != *f.is {
			*f.is = crlf(*f.is)
		}
	}
}

// equalStored says whether data, stored under the variants, equals old.
func (v Variants) equalStored(data []byte, old string) bool {
	return bytes.Equal(v.stored(data), []byte(old))
}
