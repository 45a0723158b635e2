package export

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// The values of Options.Parts: how a connector's parts are read.
const (
	// PartsAuto reads every connector's detail, and on a sample also every
	// sub-resource, comparing the two; only if every sample agrees does the
	// rest of the run take the parts from the detail alone.
	PartsAuto = "auto"
	// PartsDetail takes the parts from the detail, trusting it where the
	// sample cannot tell: about one GET per connector. It reads the same
	// sample as PartsAuto, and a kind of part on which the sample shows
	// the detail disagreeing with the endpoints (a locale the detail does
	// not list, XML of other bytes) is read from its endpoints for the
	// rest of the run, as under PartsAuto, so the bundle never silently
	// lacks it. It differs from PartsAuto only where no sampled connector
	// could show it (no XML, no locale besides en): PartsAuto then reads
	// that kind per part, PartsDetail takes it from the detail and records
	// that it is unproven (bundle.Reads.Unproven).
	PartsDetail = "detail"
	// PartsEndpoints reads every part from its own endpoint (the detail,
	// then source-config, source-template, correlation-config and each
	// locale's translations).
	PartsEndpoints = "endpoints"
)

// Where a kind of part is read from, as bundle.Reads records it.
const (
	fromDetail    = "detail"
	fromEndpoints = "endpoints"
)

// The sample of PartsAuto and PartsDetail: the first sampleFirst connectors, every
// sampleEvery-th of the rest, and, while the translations are undecided (no
// sampled detail has shown it lists more than the default locale), up to
// sampleMore further ones. A sampled connector costs about 22 requests
// instead of 1, so at 10,000 connectors the sample adds about 3% (see
// BENCHMARKS.md).
const (
	sampleFirst = 3
	sampleEvery = 1000
	sampleMore  = 20
)

// reads decides, for one run, where XML parts and translations are read
// from. Safe for concurrent use.
type reads struct {
	mode string

	mu           sync.Mutex
	sample       []string
	xml          verdict
	translations verdict
}

// verdict is what the sample showed about one kind of part.
type verdict struct {
	agreed   bool   // some sample showed the detail carries this kind, byte for byte
	switched string // why this kind is read per part; "" when no sample disagreed
}

func newReads(mode string) (*reads, error) {
	switch mode {
	case "":
		mode = PartsAuto
	case PartsAuto, PartsDetail, PartsEndpoints:
	default:
		return nil, fmt.Errorf("parts %q: want %s, %s or %s", mode, PartsAuto, PartsDetail, PartsEndpoints)
	}
	return &reads{mode: mode}, nil
}

// sampling says whether the run reads a sample both ways: every mode that
// takes parts from the detail does, so that a detail that lacks a kind of
// part is found out, never trusted blindly.
func (r *reads) sampling() bool { return r.mode != PartsEndpoints }

// sampled says whether the i-th of n chosen connectors is in the first
// sample of the run.
func (r *reads) sampled(i int) bool {
	return r.sampling() && (i < sampleFirst || (i-sampleFirst)%sampleEvery == sampleEvery-1)
}

// undecided says whether the sample has not yet shown that the detail lists
// every locale (nor that it does not): more connectors are worth sampling.
func (r *reads) undecided() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sampling() && !r.translations.agreed && r.translations.switched == ""
}

// xmlFromDetail and translationsFromDetail say where the connectors after
// the sample read each kind from.
func (r *reads) xmlFromDetail() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.xml.fromDetail(r.mode)
}

func (r *reads) translationsFromDetail() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.translations.fromDetail(r.mode)
}

// fromDetail says whether, under mode, the rest of the run takes this kind
// from the detail: PartsAuto when the sample proved it, PartsDetail unless
// the sample disproved it.
func (v verdict) fromDetail(mode string) bool {
	switch mode {
	case PartsAuto:
		return v.agreed && v.switched == ""
	case PartsDetail:
		return v.switched == ""
	}
	return false
}

// compare records what a sampled connector showed: its detail d against
// what the endpoints served (c, read with every spec locale). It reports
// whether they agree, so that the connector may be stored from its detail.
func (r *reads) compare(d tenant.ConnectorDetail, c bundle.Connector) bool {
	xmlWhy, xmlShown := compareXML(d, c)
	trWhy, trShown := compareTranslations(d, c)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sample = append(r.sample, c.ScriptName)
	r.xml.note(xmlWhy, xmlShown)
	r.translations.note(trWhy, trShown)
	return xmlWhy == "" && trWhy == ""
}

func (v *verdict) note(why string, shown bool) {
	switch {
	case why != "" && v.switched == "":
		v.switched = why
	case why == "" && shown:
		v.agreed = true
	}
}

// compareXML returns why d's XML fields are not what the endpoints served
// ("" if they are), and whether d had any XML to show.
func compareXML(d tenant.ConnectorDetail, c bundle.Connector) (string, bool) {
	shown := false
	for _, p := range []struct {
		kind   tenant.PartKind
		detail string
		served []byte
	}{
		{tenant.SourceConfig, d.SourceConfigXML, c.SourceConfig},
		{tenant.SourceTemplate, d.ApplicationXML, c.SourceTemplate},
		{tenant.CorrelationConfig, d.CorrelationConfigXML, c.CorrelationConfig},
	} {
		if p.detail == "" && p.served == nil || !tenant.JSONExact(p.kind, []byte(p.detail)) {
			continue // an inexact field is never taken from the detail (fromDetailParts)
		}
		if p.served == nil || !bytes.Equal([]byte(p.detail), p.served) {
			return fmt.Sprintf("%s of %q: the detail's field differs from what GET %s serves", p.kind, c.ScriptName, p.kind), true
		}
		shown = true
	}
	return "", shown
}

// compareTranslations returns why d's translationProperties are not every
// locale the endpoints served ("" if they are), and whether d showed that it
// lists more than the default locale (a tenant whose detail holds only the
// requested locale shows at most en).
func compareTranslations(d tenant.ConnectorDetail, c bundle.Connector) (string, bool) {
	listed := 0
	for _, l := range tenant.Locales() {
		text, inDetail := d.TranslationProperties[l]
		served, ok := c.Translations[l]
		switch {
		case inDetail:
			listed++
			if !tenant.JSONExact(tenant.Translations, []byte(text)) {
				continue // never taken from the detail (fromDetailParts)
			}
			if !ok || !bytes.Equal([]byte(text), served) {
				return fmt.Sprintf("translations/%s of %q: the detail's text differs from what GET translations/%s serves", l, c.ScriptName, l), true
			}
		case ok && len(served) > 0 && !sameAsEn(d, served):
			return fmt.Sprintf("translations/%s of %q: served by GET translations/%s but not listed in the detail", l, c.ScriptName, l), true
		}
	}
	_, en := d.TranslationProperties["en"]
	return "", listed > 1 || listed == 1 && !en
}

// sameAsEn says whether served is the detail's en text: what a tenant that
// answers a locale it lacks with the en text serves.
func sameAsEn(d tenant.ConnectorDetail, served []byte) bool {
	en, ok := d.TranslationProperties["en"]
	return ok && bytes.Equal([]byte(en), served)
}

// fromDetailParts fills c's XML parts and translations from d, as the
// endpoints would have served them: a field the detail lacks is a part the
// connector does not have. Translations keep the locales plan asks for.
//
// A field that may not hold its part's bytes (tenant.JSONExact: a part that
// is not UTF-8, such as an XML document declared ISO-8859-1, reaches JSON as
// U+FFFD or re-encoded) is not taken: c keeps what it holds of that part (a
// sample's endpoint read), and the parts c then lacks are returned, for the
// caller to read from their endpoints.
func fromDetailParts(c *bundle.Connector, d tenant.ConnectorDetail, xml, translations bool, plan localePlan) []tenant.Part {
	inexact := d.InexactParts()
	var unread []tenant.Part
	if xml {
		for _, p := range []struct {
			kind tenant.PartKind
			src  string
			dst  *[]byte
		}{
			{tenant.SourceConfig, d.SourceConfigXML, &c.SourceConfig},
			{tenant.SourceTemplate, d.ApplicationXML, &c.SourceTemplate},
			{tenant.CorrelationConfig, d.CorrelationConfigXML, &c.CorrelationConfig},
		} {
			switch {
			case slices.Contains(inexact, tenant.Part{Kind: p.kind}):
				if *p.dst == nil {
					unread = append(unread, tenant.Part{Kind: p.kind})
				}
			case p.src != "":
				*p.dst = []byte(p.src)
			default:
				*p.dst = nil
			}
		}
	}
	if translations {
		held := c.Translations
		c.Translations = nil
		for _, l := range tenant.Locales() {
			text, ok := d.TranslationProperties[l]
			if !ok || !plan.fromDetail && !slices.Contains(plan.locales, l) {
				continue
			}
			b := []byte(text)
			if p := (tenant.Part{Kind: tenant.Translations, Locale: l}); slices.Contains(inexact, p) {
				if b = held[l]; b == nil {
					unread = append(unread, p)
					continue
				}
			}
			if c.Translations == nil {
				c.Translations = map[string][]byte{}
			}
			c.Translations[l] = b
		}
	}
	return unread
}

// setPart sets c's part p to b.
func setPart(c *bundle.Connector, p tenant.Part, b []byte) {
	switch p.Kind {
	case tenant.SourceConfig:
		c.SourceConfig = b
	case tenant.SourceTemplate:
		c.SourceTemplate = b
	case tenant.CorrelationConfig:
		c.CorrelationConfig = b
	case tenant.Translations:
		if c.Translations == nil {
			c.Translations = map[string][]byte{}
		}
		c.Translations[p.Locale] = b
	}
}

// record is what the manifest says about the run's reads.
func (r *reads) record() *bundle.Reads {
	r.mu.Lock()
	defer r.mu.Unlock()
	rec := &bundle.Reads{Mode: r.mode, Sample: slices.Sorted(slices.Values(r.sample)), XML: fromEndpoints, Translations: fromEndpoints}
	if !r.sampling() {
		return rec
	}
	for _, k := range []struct {
		v    verdict
		dst  *string
		none string
	}{
		{r.xml, &rec.XML, "no sampled connector had XML parts to compare"},
		{r.translations, &rec.Translations, "no sampled detail listed a locale besides en, so the sample cannot tell whether the detail lists every locale"},
	} {
		if k.v.fromDetail(r.mode) {
			*k.dst = fromDetail
		}
		switch {
		case k.v.switched != "":
			rec.Switched = append(rec.Switched, k.v.switched)
		case k.v.agreed:
		case r.mode == PartsAuto:
			rec.Switched = append(rec.Switched, k.none)
		default: // PartsDetail trusts what the sample could not judge, and says so
			rec.Unproven = append(rec.Unproven, k.none)
		}
	}
	return rec
}
