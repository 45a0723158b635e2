package importer

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// detailBytes makes a detail's part fields the bytes the tenant serves for
// those parts, where JSON cannot carry them (tenant.JSONExact): a part that
// is not UTF-8, such as an XML document declared ISO-8859-1, reaches a
// detail as U+FFFD or as text in another encoding than its declaration
// says. Compared with the bundle, such a field would make every plan show a
// change and every read-back report failure, and an undo pre-image built
// from it would lose the bytes. So a part the detail shows inexactly, or
// that the bundle holds in a form JSON cannot carry, is read from its
// sub-resource (one more GET, only for such parts); plans, read-backs,
// rollback and drift then compare the bytes themselves.
type detailBytes struct {
	mu     sync.Mutex
	byName map[string][]tenant.Part // glob.NameKey of a bundle connector name → parts JSON cannot carry
}

// want notes, for each connector of cs, the parts whose bundle bytes JSON
// cannot carry: a target connector of the same name has them read from
// their sub-resources.
func (db *detailBytes) want(cs ...bundle.Connector) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, c := range cs {
		k := glob.NameKey(c.Name)
		for name, b := range bundleParts(c) {
			p, ok := parsePart(name)
			if !ok || tenant.JSONExact(p.Kind, b) || slices.Contains(db.byName[k], p) {
				continue
			}
			if db.byName == nil {
				db.byName = map[string][]tenant.Part{}
			}
			db.byName[k] = append(db.byName[k], p)
		}
	}
}

// bundleParts returns c's XML parts and translations by part name.
func bundleParts(c bundle.Connector) map[string][]byte {
	out := map[string][]byte{
		string(tenant.SourceConfig):      c.SourceConfig,
		string(tenant.SourceTemplate):    c.SourceTemplate,
		string(tenant.CorrelationConfig): c.CorrelationConfig,
	}
	for l, b := range c.Translations {
		out[tenant.Part{Kind: tenant.Translations, Locale: l}.String()] = b
	}
	return out
}

// complete replaces each field of d that may not hold its part's bytes
// (what d shows inexactly, and what the bundle holds inexactly) with what
// the part's sub-resource serves, read from t.
func (db *detailBytes) complete(ctx context.Context, t Target, scriptName string, d *tenant.ConnectorDetail) error {
	parts := d.InexactParts()
	db.mu.Lock()
	for _, p := range db.byName[glob.NameKey(d.Name)] {
		if d.HasPart(p) && !slices.Contains(parts, p) {
			parts = append(parts, p)
		}
	}
	db.mu.Unlock()
	for _, p := range parts {
		b, err := t.GetPart(ctx, scriptName, p)
		if err != nil {
			return fmt.Errorf("read %s of %q (its detail cannot show its bytes exactly): %w", p, scriptName, err)
		}
		d.SetPart(p, b)
	}
	return nil
}
