package export

import (
	"context"
	"fmt"
	"slices"

	"github.com/connvault/connvault/tenant"
)

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
		if d.HasPart(p) {
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
