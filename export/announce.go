package export

import (
	"context"
	"fmt"
	"slices"

	"github.com/connvault/connvault/tenant"
)

// announces reports whether the detail d says the connector has part p: an
// XML part when its detail field is not empty, a locale when
// translationProperties has it as a key (even with an empty text).
func announces(d tenant.ConnectorDetail, p tenant.Part) bool {
	switch p.Kind {
	case tenant.SourceConfig:
		return d.SourceConfigXML != ""
	case tenant.SourceTemplate:
		return d.ApplicationXML != ""
	case tenant.CorrelationConfig:
		return d.CorrelationConfigXML != ""
	case tenant.Translations:
		_, ok := d.TranslationProperties[p.Locale]
		return ok
	}
	return false
}

// announcedParts lists the parts d announces among the three XML parts and
// the locales asked for, sorted: connector.json records them under
// bundle.PartsKey, and the bundle must hold a file for each.
func announcedParts(d tenant.ConnectorDetail, locales []string) []string {
	parts := []tenant.Part{{Kind: tenant.SourceConfig}, {Kind: tenant.SourceTemplate}, {Kind: tenant.CorrelationConfig}}
	for _, l := range locales {
		parts = append(parts, tenant.Part{Kind: tenant.Translations, Locale: l})
	}
	out := []string{}
	for _, p := range parts {
		if announces(d, p) {
			out = append(out, p.String())
		}
	}
	slices.Sort(out)
	return out
}

// getAnnounced reads a part the detail announces: a 404 is retried like a
// 5xx (tenant.RetryNotFound), and one that persists is a failure of the
// connector, never an absent part.
func getAnnounced(ctx context.Context, src Source, scriptName string, p tenant.Part) ([]byte, error) {
	b, err := src.GetPart(tenant.RetryNotFound(ctx), scriptName, p)
	switch {
	case tenant.IsNotFound(err):
		return nil, &partError{part: p.String(), err: fmt.Errorf("the detail announces %s, but the tenant answers 404 (after retries): %w", p, err)}
	case err != nil:
		return nil, &partError{part: p.String(), err: err}
	case b == nil:
		return []byte{}, nil
	}
	return b, nil
}
