package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// detailOnly is the Options.Locales value that asks only for the locales the
// detail's translationProperties names.
const detailOnly = "detail"

// partError is a connector that could not be read, with the part that failed
// ("" for the detail). Its text is the cause's: the client's errors already
// name the operation and the connector.
type partError struct {
	part string
	err  error
}

func (e *partError) Error() string { return e.err.Error() }

func (e *partError) Unwrap() error { return e.err }

// itemError is how the manifest records the failure err of connector t.
func itemError(t target, err error) bundle.ItemError {
	ie := bundle.ItemError{ScriptName: t.ScriptName, Name: t.Name, Error: err.Error()}
	if pe, ok := errors.AsType[*partError](err); ok {
		ie.Part = pe.part
		if pe.part == "" && tenant.IsNotFound(pe.err) {
			ie.Error = "not found: " + ie.Error
		}
	}
	return ie
}

// localePlan says which translations to ask for: the listed locales, or with
// fromDetail those named by the detail.
type localePlan struct {
	locales    []string
	fromDetail bool
	judge      *localeJudge // the run's; nil trusts every answer
}

// resolveLocales checks Options.Locales: empty means all 19, the single value
// "detail" means the detail's, otherwise each must be a spec locale. Duplicates
// are dropped.
func resolveLocales(given []string) (localePlan, error) {
	switch {
	case len(given) == 0 || len(given) == 1 && given[0] == "all":
		return localePlan{locales: tenant.Locales()}, nil
	case len(given) == 1 && given[0] == detailOnly:
		return localePlan{fromDetail: true}, nil
	}
	seen := make(map[string]bool, len(given))
	var out []string
	for _, l := range given {
		if l == detailOnly || l == "all" {
			return localePlan{}, fmt.Errorf("locale %q cannot be combined with other locales", l)
		}
		if !tenant.ValidLocale(l) {
			return localePlan{}, fmt.Errorf("unknown locale %q (want one of %v, \"all\" or \"detail\")", l, tenant.Locales())
		}
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return localePlan{locales: out}, nil
}

// forDetail returns the locales to ask for a connector whose detail is d. The
// detail's locales come in the spec's order; keys that are no spec locale
// cannot be asked for and are left out.
func (p localePlan) forDetail(d tenant.ConnectorDetail) []string {
	if !p.fromDetail {
		return p.locales
	}
	var out []string
	for _, l := range tenant.Locales() {
		if _, ok := d.TranslationProperties[l]; ok {
			out = append(out, l)
		}
	}
	return out
}

// how says how fetch reads one connector's parts (see reads).
type how struct {
	sample     bool // read every part both ways and compare (an auto run's sample)
	xmlDetail  bool // take the XML parts from the detail
	trDetail   bool // take the translations from the detail
	allLocales bool // the detail may not list every locale: ask for all 19
	localePlan localePlan
	reads      *reads
}

// fetch reads connector t from src: its detail, then its three XML parts and
// its translations from their endpoints or from the detail, as h says. Parts
// answered with 404 are absent, unless the detail announces them. Any other
// failure is a *partError naming the part.
func fetch(ctx context.Context, src Source, t target, h how) (bundle.Connector, error) {
	d, err := src.GetConnector(ctx, t.ScriptName)
	if err != nil {
		return bundle.Connector{}, &partError{err: err}
	}
	h.localePlan.judge.observe(d)
	locs := h.localePlan.forDetail(d)
	detail, err := detailJSON(d, announcedParts(d, locs))
	if err != nil {
		return bundle.Connector{}, &partError{err: err}
	}
	c := bundle.Connector{
		ScriptName: t.ScriptName,
		Name:       d.Name,
		Type:       d.Type,
		ClassName:  d.ClassName,
		Status:     string(d.Status),
		Detail:     detail,
	}
	if h.sample {
		if err := fetchParts(ctx, src, &c, d, tenant.Locales(), h.localePlan.judge); err != nil {
			return bundle.Connector{}, err
		}
		if h.reads.compare(d, c) {
			fromDetailParts(&c, d, true, true, h.localePlan)
		} else if !h.localePlan.fromDetail {
			fromDetailParts(&c, tenant.ConnectorDetail{TranslationProperties: asText(c.Translations)}, false, true, h.localePlan)
		}
		return c, nil
	}
	for _, p := range fromDetailParts(&c, d, h.xmlDetail, h.trDetail, h.localePlan) {
		b, err := getAnnounced(ctx, src, c.ScriptName, p)
		if err != nil {
			return bundle.Connector{}, err
		}
		setPart(&c, p, b)
	}
	if !h.xmlDetail {
		if err := fetchParts(ctx, src, &c, d, nil, h.localePlan.judge); err != nil {
			return bundle.Connector{}, err
		}
	}
	if !h.trDetail {
		if h.allLocales && h.localePlan.fromDetail {
			locs = tenant.Locales()
		}
		if err := fetchTranslations(ctx, src, &c, d, locs, h.localePlan.judge); err != nil {
			return bundle.Connector{}, err
		}
	}
	return c, nil
}

// fetchParts reads c's three XML parts from their endpoints, and the
// translations of locales (judged by j).
func fetchParts(ctx context.Context, src Source, c *bundle.Connector, d tenant.ConnectorDetail, locales []string, j *localeJudge) error {
	for _, p := range []struct {
		kind tenant.PartKind
		dst  *[]byte
	}{
		{tenant.SourceConfig, &c.SourceConfig},
		{tenant.SourceTemplate, &c.SourceTemplate},
		{tenant.CorrelationConfig, &c.CorrelationConfig},
	} {
		b, err := getPart(ctx, src, c.ScriptName, tenant.Part{Kind: p.kind}, d)
		if err != nil {
			return err
		}
		*p.dst = b
	}
	return fetchTranslations(ctx, src, c, d, locales, j)
}

// fetchTranslations reads the translations of locales into c. An answer for
// a locale the detail d does not list is kept only if j (nil: every answer)
// judges it the locale's own; one it cannot judge is recorded as ambiguous.
func fetchTranslations(ctx context.Context, src Source, c *bundle.Connector, d tenant.ConnectorDetail, locales []string, j *localeJudge) error {
	var ambiguous []string
	defer func() { j.ambiguous(c.ScriptName, c.Name, ambiguous) }()
	for _, l := range locales {
		b, err := getPart(ctx, src, c.ScriptName, tenant.Part{Kind: tenant.Translations, Locale: l}, d)
		if err != nil {
			return err
		}
		if b == nil {
			continue
		}
		switch j.judge(d, l, b) {
		case localeAbsent:
			continue
		case localeAmbiguous:
			ambiguous = append(ambiguous, l)
			continue
		}
		if c.Translations == nil {
			c.Translations = make(map[string][]byte)
		}
		c.Translations[l] = b
	}
	return nil
}

// asText is translations as a detail's translationProperties holds them.
func asText(tr map[string][]byte) map[string]string {
	out := make(map[string]string, len(tr))
	for l, b := range tr {
		out[l] = string(b)
	}
	return out
}

// getPart reads one part: nil when the tenant answers 404 and the detail d
// does not announce the part, never nil when it answers with an empty body.
func getPart(ctx context.Context, src Source, scriptName string, p tenant.Part, d tenant.ConnectorDetail) ([]byte, error) {
	if d.HasPart(p) {
		return getAnnounced(ctx, src, scriptName, p)
	}
	b, err := src.GetPart(ctx, scriptName, p)
	switch {
	case tenant.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, &partError{part: p.String(), err: err}
	case b == nil:
		return []byte{}, nil
	}
	return b, nil
}

// detailJSON is connector.json: d re-encoded with its unknown fields, without
// the fields kept in their own files, with the parts it announces under
// bundle.PartsKey. The bundle writer fixes its layout.
func detailJSON(d tenant.ConnectorDetail, announced []string) (json.RawMessage, error) {
	b := []byte(d.Raw) // as read: nulls and empty values are kept
	if len(b) == 0 {
		var err error
		if b, err = json.Marshal(d); err != nil {
			return nil, fmt.Errorf("encode detail: %w", err)
		}
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("encode detail: %w", err)
	}
	for _, k := range tenant.FileFields() {
		delete(m, k)
	}
	parts, err := json.Marshal(announced)
	if err != nil {
		return nil, fmt.Errorf("encode detail: %w", err)
	}
	m[bundle.PartsKey] = parts
	out, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode detail: %w", err)
	}
	return out, nil
}
