package importer

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// detailLocales makes the detail's translationProperties trustworthy for the
// locales an import cares about.
//
// The spec does not say whether a detail holds every locale or only the one
// its locale parameter asks for (en by default); see the README,
// "Assumptions about ISC". A detail read without a locale parameter that
// shows a locale other than en proves that this tenant's details hold every
// locale; from then on they are trusted. Until then, each wanted locale a
// detail lacks is read from translations/{locale}: 404, an empty answer, or
// (when the detail shows en) exactly the en text, which a tenant may serve
// for a locale it does not have, count as absent; any other text is the
// locale's and is added to the detail. So plans, read-backs and undo
// pre-images see the same locales whatever the tenant does, and no locale is
// ever invented.
type detailLocales struct {
	proven atomic.Bool // a detail showed a locale other than en

	mu     sync.Mutex
	byName map[string][]string // glob.NameKey of a bundle connector name → its locales
	all    bool                // every locale of the spec, for every connector
}

// wantLocales asks, for each connector of cs, for its locales: a target
// connector of the same name is completed with them.
func (dl *detailLocales) wantLocales(cs ...bundle.Connector) {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if dl.byName == nil {
		dl.byName = map[string][]string{}
	}
	for _, c := range cs {
		k := glob.NameKey(c.Name)
		for l := range c.Translations {
			if !slices.Contains(dl.byName[k], l) {
				dl.byName[k] = append(dl.byName[k], l)
			}
		}
		slices.Sort(dl.byName[k])
	}
}

// wantAll asks for every locale of the spec, for every connector (rollback:
// the import may have added any).
func (dl *detailLocales) wantAll() {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	dl.all = true
}

// wanted returns the locales to complete a detail of the connector name with.
func (dl *detailLocales) wanted(name string) []string {
	dl.mu.Lock()
	defer dl.mu.Unlock()
	if dl.all {
		return tenant.Locales()
	}
	return slices.Clone(dl.byName[glob.NameKey(name)])
}

// complete adds to d the wanted locales it lacks, read from t, unless the
// tenant is proven to show every locale in the detail.
func (dl *detailLocales) complete(ctx context.Context, t Target, scriptName string, d *tenant.ConnectorDetail) error {
	for l := range d.TranslationProperties {
		if l != "en" {
			dl.proven.Store(true)
		}
	}
	if dl.proven.Load() {
		return nil
	}
	want := dl.wanted(d.Name)
	en, hasEN := d.TranslationProperties["en"]
	for _, l := range want {
		if _, ok := d.TranslationProperties[l]; ok {
			continue
		}
		b, err := t.GetPart(ctx, scriptName, tenant.Part{Kind: tenant.Translations, Locale: l})
		switch {
		case tenant.IsNotFound(err):
			continue
		case err != nil:
			return fmt.Errorf("read translations/%s of %q (the detail does not show it): %w", l, scriptName, err)
		case len(b) == 0, hasEN && string(b) == en:
			continue // absent, or indistinguishable from the en fallback: never invented
		}
		if d.TranslationProperties == nil {
			d.TranslationProperties = map[string]string{}
		} else {
			d.TranslationProperties = maps.Clone(d.TranslationProperties)
		}
		d.TranslationProperties[l] = string(b)
	}
	return nil
}
