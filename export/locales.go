package export

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// localeJudge decides which translations a tenant answered for locales its
// detail does not list are real, for one run.
//
// The spec leaves open whether a detail lists every locale in
// translationProperties or only the one asked for (en by default), and what
// a GET of a locale without translations answers: 404, an empty 200, or the
// en text (README, "Assumptions about ISC"). A detail that lists a locale
// other than en proves that this tenant's details list every locale; from
// then on a locale the detail does not list is absent whatever its GET
// answers. Until then, for a locale the detail does not list:
//
//   - 404 is absent;
//   - text other than the en text is the locale's: stored;
//   - an empty answer, or exactly the en text, could be an absent locale or
//     one whose text is that; it is not stored and is recorded as ambiguous.
//
// At the end of the run, ambiguities are dropped if the proof came later
// (the locales were then absent, as stored), else recorded in the manifest
// and the result. So a bundle never holds a locale the tenant does not have.
type localeJudge struct {
	proven atomic.Bool

	mu      sync.Mutex
	pending []bundle.Ambiguity
}

// verdicts of localeJudge.judge.
const (
	localeStore = iota
	localeAbsent
	localeAmbiguous
)

// observe learns from a detail read without a locale parameter. A nil
// judge learns nothing.
func (j *localeJudge) observe(d tenant.ConnectorDetail) {
	if j == nil {
		return
	}
	for l := range d.TranslationProperties {
		if l != "en" {
			j.proven.Store(true)
			return
		}
	}
}

// complete says whether d's translationProperties is proven to list every
// locale the connector has.
func (j *localeJudge) complete() bool { return j != nil && j.proven.Load() }

// judge decides for locale l, which the tenant answered with b (not a 404),
// of the connector whose detail is d. A nil judge stores every answer.
func (j *localeJudge) judge(d tenant.ConnectorDetail, l string, b []byte) int {
	if j == nil {
		return localeStore
	}
	if _, listed := d.TranslationProperties[l]; listed {
		return localeStore
	}
	en, hasEN := d.TranslationProperties["en"]
	uncertain := len(b) == 0 || (hasEN && string(b) == en)
	switch {
	case !uncertain:
		return localeStore
	case j.complete():
		return localeAbsent
	}
	return localeAmbiguous
}

// ambiguous records the locales of a connector that could not be judged.
func (j *localeJudge) ambiguous(scriptName, name string, locales []string) {
	if j == nil || len(locales) == 0 {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.pending = append(j.pending, bundle.Ambiguity{ScriptName: scriptName, Name: name, Locales: slices.Clone(locales),
		Reason: "the tenant answers these locales with the en text or nothing, and its detail does not say whether they exist: an absent locale cannot be told from one with that text, so they were not stored"})
}

// finish returns the ambiguities that remain at the end of the run.
func (j *localeJudge) finish() []bundle.Ambiguity {
	if j == nil || j.complete() {
		return nil
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.pending)
}
