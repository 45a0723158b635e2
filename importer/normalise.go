package importer

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// samePart says whether two contents of the part name (a tenant.Part string)
// are the same configuration: equal in bundle.Canonical form. A tenant may
// store or serve what it was sent with other line endings or another XML
// declaration (README, "Assumptions about ISC"); comparing bytes would make
// every read-back fail and every later plan show a change.
func samePart(name string, a, b []byte) bool {
	return bundle.CanonicalEqual(partKind(name), a, b)
}

// partKind is the bundle file kind of a part name.
func partKind(name string) string {
	if strings.HasPrefix(name, string(tenant.Translations)+"/") {
		return bundle.KindTranslations
	}
	return name
}

// normalisedParts lists the parts of want whose bytes differ from have's
// although their canonical forms are equal.
func normalisedParts(want, have content) []string {
	var out []string
	for _, name := range sortedParts(want) {
		h, ok := have.parts[name]
		if ok && !bytes.Equal(want.parts[name], h) && samePart(name, want.parts[name], h) {
			out = append(out, name)
		}
	}
	return out
}

// normalisation collects the connectors whose parts the tenant serves in
// another form than the bundle holds, so that a run reports it once.
type normalisation struct {
	mu    sync.Mutex
	parts map[string][]string // connector name → parts
}

// note records the normalised parts of want against have, if any, for the
// connector t reads (a *meter; other Targets record nothing).
func noteNormalised(t Target, name string, want, have content) {
	m, ok := t.(*meter)
	if !ok {
		return
	}
	m.norm.add(name, normalisedParts(want, have))
}

// add records the normalised parts of the connector name.
func (n *normalisation) add(name string, parts []string) {
	if len(parts) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.parts == nil {
		n.parts = map[string][]string{}
	}
	for _, p := range parts {
		if !slices.Contains(n.parts[name], p) {
			n.parts[name] = append(n.parts[name], p)
		}
	}
}

// summary is the one note a plan or result carries about normalisation, or
// "" when the tenant served everything as the bundle holds it.
func (n *normalisation) summary() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.parts) == 0 {
		return ""
	}
	count := 0
	names := make([]string, 0, len(n.parts))
	for name, ps := range n.parts {
		count += len(ps)
		names = append(names, name)
	}
	slices.Sort(names)
	more := ""
	if len(names) > 3 {
		names, more = names[:3], fmt.Sprintf(" and %d more", len(names)-3)
	}
	return fmt.Sprintf("the tenant serves %d parts of %d connectors (%s%s) with other line endings or another XML declaration than the bundle; "+
		"they are compared in canonical form (README, \"Assumptions about ISC\") and count as equal", count, len(n.parts), strings.Join(names, ", "), more)
}
