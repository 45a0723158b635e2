package tenantsim

import (
	"hash/fnv"
	"math"
	"slices"
)

// prng is splitmix64: tiny, fast and stable across Go releases, so a seed
// gives the same tenant forever (math/rand/v2 makes no such promise for its
// helper methods).
type prng struct{ s uint64 }

func newPRNG(seed uint64) *prng { return &prng{s: seed} }

func (p *prng) next() uint64 {
	p.s += 0x9e3779b97f4a7c15
	z := p.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n); n > 0.
func (p *prng) intn(n int) int { return int(p.next() % uint64(n)) }

// float returns a number in [0, 1).
func (p *prng) float() float64 { return float64(p.next()>>11) / (1 << 53) }

// between returns a number in [lo, hi].
func (p *prng) between(lo, hi int) int { return lo + p.intn(hi-lo+1) }

// logUniform returns a number in [lo, hi) whose logarithm is uniform.
func (p *prng) logUniform(lo, hi float64) int {
	return int(lo * math.Exp(p.float()*math.Log(hi/lo)))
}

func pick[T any](p *prng, xs []T) T { return xs[p.intn(len(xs))] }

// mix hashes numbers into one seed.
func mix(vs ...uint64) uint64 {
	h := uint64(0x243f6a8885a308d3)
	for _, v := range vs {
		p := prng{s: h ^ v}
		h = p.next()
	}
	return h
}

// hashString is FNV-1a of s, for properties that depend on a name only.
func hashString(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// Seed-independent vocabulary of the name universe. A few hand-picked names
// come first, then "<place> <system>" pairs in a fixed scrambled order, then
// the same pairs numbered ("… 2", "… 3") as often as needed.
func handPickedNames() []string {
	return []string{
		"Münchner Personalsystem", "Zürich HR Feed", "São Paulo Payroll", "Østfold LDAP",
		"Kraków Zutrittskontrolle", "Malmö Skolplattform", "Île-de-France Facturation",
		"Reykjavík Heilsugæsla", "Łódź Kadry i Płace", "Göteborg Ärendehantering",
		"Bogotá Nómina", "Genève Annuaire", "Tromsø Havnesystem", "Plzeň Docházka",
	}
}

func places() []string {
	return []string{
		"Zürich", "München", "São Paulo", "Østfold", "Kraków", "Malmö", "Düsseldorf", "Göteborg",
		"Île-de-France", "Łódź", "Århus", "Reykjavík", "Bogotá", "Genève", "Köln", "Besançon",
		"Brno", "Tromsø", "Jyväskylä", "Córdoba", "Gdańsk", "Plzeň", "Székesfehérvár", "Nürnberg",
		"Linköping", "Québec", "Medellín", "Ålesund", "Ljubljana", "Zaragoza", "Lyon", "Berlin",
		"Toronto", "Dublin", "Osaka", "Seoul", "Chicago", "Austin", "Madrid", "Wien", "Praha",
		"Lisboa", "Napoli", "Antwerpen", "Helsinki", "Tallinn", "Vilnius", "Rīga", "Thessaloníki",
		"Cluj-Napoca", "Kyiv", "Montréal",
	}
}

func systems() []string {
	return []string{
		"HR Core", "Payroll", "LDAP", "Badge Access", "Contractor Portal", "Ticketing", "CRM", "ERP",
		"Time Tracking", "Learning Portal", "Directory", "SCIM Gateway", "Privileged Vault",
		"Mainframe RACF", "Student Information System", "Clinical Records", "Warehouse Scanners",
		"Expense Reports", "Procurement", "Intranet", "VPN Gateway", "Print Services", "Lab Systems",
		"Fleet Management", "Benefits", "Recruiting", "Pension Fund", "Partner Extranet", "Data Lake",
		"Customer Portal", "Field Service", "Kundenportal", "Personalwesen", "Lønnssystem",
		"Système RH", "Folha de Pagamento", "Gestión de Identidades", "Zeiterfassung",
	}
}

// universe returns the first n names of the fixed, seed-independent name
// universe. universe(n)[:k] == universe(m)[:k] for k <= n, m; names are
// distinct case-insensitively.
func universe(n int) []string {
	hand, ps, ss := handPickedNames(), places(), systems()
	pairs := len(ps) * len(ss)
	const stride = 1237 // coprime with pairs: a fixed scramble of the pairs
	out := make([]string, 0, n)
	seen := make(map[string]bool, n)
	addName := func(s string) {
		if k := foldName(s); !seen[k] {
			seen[k] = true
			out = append(out, s)
		}
	}
	for _, h := range hand {
		if len(out) == n {
			return out
		}
		addName(h)
	}
	for v := 0; len(out) < n; v++ {
		round, k := v/pairs, (v%pairs)*stride%pairs
		name := ps[k%len(ps)] + " " + ss[k/len(ps)]
		if round > 0 {
			name += " " + itoa(round+1)
		}
		addName(name)
	}
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append(b, byte('0'+n%10))
	}
	slices.Reverse(b)
	return string(b)
}

// tenantNames picks the n names of a tenant seeded with seed. The first 40%
// are the start of the universe, the same in every tenant (what a sandbox and
// its production share); the rest are drawn from the next 2×(n-core) names,
// so two tenants share about half of them too.
func tenantNames(seed uint64, n int) []string {
	if n <= 0 {
		return nil
	}
	core := max(1, n*2/5)
	pool := universe(core + 2*(n-core))
	rest := pool[core:]
	idx := make([]int, len(rest))
	for i := range idx {
		idx[i] = i
	}
	r := newPRNG(mix(seed, 0x6e616d6573)) // "names"
	for i := 0; i < n-core; i++ {         // partial Fisher–Yates
		j := i + r.intn(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	names := slices.Clone(pool[:core])
	for _, i := range idx[:n-core] {
		names = append(names, rest[i])
	}
	return names
}

// Class names of custom connectors, with weights.
func classNames() []struct {
	name     string
	weight   int
	features []string
} {
	return []struct {
		name     string
		weight   int
		features []string
	}{
		{"sailpoint.connector.OpenConnectorAdapter", 70, []string{"PROVISIONING", "SYNC_PROVISIONING", "SEARCH", "AUTHENTICATE"}},
		{"sailpoint.connector.JDBCConnector", 10, []string{"PROVISIONING", "SEARCH", "ENABLE"}},
		{"sailpoint.connector.webservices.WebServicesConnector", 8, []string{"PROVISIONING", "ENABLE", "UNLOCK", "PASSWORD"}},
		{"sailpoint.connector.LDAPConnector", 7, []string{"PROVISIONING", "SEARCH", "PASSWORD", "AUTHENTICATE", "UNSTRUCTURED_TARGETS"}},
		{"sailpoint.connector.DelimitedFileConnector", 5, []string{"DIRECT_PERMISSIONS", "NO_RANDOM_ACCESS"}},
	}
}

// structure is what depends on a connector's name only: a shared name has the
// same type, className, features and directConnect in every tenant.
type structure struct {
	typ, className string
	features       []string
	directConnect  bool
}

func structureOf(name string) structure {
	r := newPRNG(hashString(name))
	cs := classNames()
	total := 0
	for _, c := range cs {
		total += c.weight
	}
	w := r.intn(total)
	c := cs[0]
	for _, x := range cs {
		if w < x.weight {
			c = x
			break
		}
		w -= x.weight
	}
	var feats []string
	for _, f := range c.features {
		if r.float() < 0.7 {
			feats = append(feats, f)
		}
	}
	return structure{typ: "custom " + name, className: c.name, features: feats, directConnect: r.float() < 0.85}
}

// seedEntries makes the custom connectors of a new tenant: summaries now,
// content on demand.
func seedEntries(opts Options, suffix string, taken func(string) bool) []*entry {
	seed := uint64(opts.Seed)
	mine := map[string]bool{}
	names := tenantNames(seed, opts.Connectors)
	out := make([]*entry, 0, len(names))
	for _, name := range names {
		r := newPRNG(mix(seed, hashString(name), 0x73756d)) // "sum"
		s := structureOf(name)
		c := DumpConnector{
			Name:          name,
			Type:          opts.Variants.customType(name, s.typ, s.className),
			ClassName:     s.className,
			Features:      s.features,
			DirectConnect: s.directConnect,
			Status:        "RELEASED",
		}
		switch x := r.float(); {
		case x < 0.09:
			c.Status = "DEVELOPMENT"
		case x < 0.15:
			c.Status = "DEMO"
		case x < 0.17:
			c.Status = "DEPRECATED"
		}
		c.ScriptName = scriptNameFor(name, suffix, func(sn string) bool { return mine[sn] || taken(sn) })
		mine[c.ScriptName] = true
		c.S3Location = "custom-connector/" + c.ScriptName
		platform := pick(r, []string{"ccg", "ccg", "sp-connect", "va"})
		c.ConnectorMetadata = map[string]any{
			"supportedUI": pick(r, []string{"EXTJS", "ANGULAR"}),
			"platform":    platform,
			"shortDesc":   shortDesc(r, name),
		}
		if r.float() < 0.3 {
			c.ConnectorMetadata["labels"] = []any{pick(r, []string{"HR", "FINANCE", "IT", "FACILITIES"}), "CUSTOM"}
		}
		if platform == "sp-connect" {
			c.SourceConfigFrom = "sp-connect"
		}
		c.FileUpload = c.ClassName == "sailpoint.connector.OpenConnectorAdapter" && r.float() < 0.5
		if c.FileUpload && r.float() < 0.4 {
			c.UploadedFiles = []string{"sim01-useast1/" + opts.TenantName + "/connectorFiles/" + c.ScriptName + "/" + slug(name) + "-connector.jar"}
		}
		src := &lazySource{seed: mix(seed, hashString(name), 0x636f6e74656e74)} // "content"
		src.locales = pickLocales(r, opts.MaxLocales)
		out = append(out, &entry{c: c, src: src})
	}
	return out
}

// locales returns the 19 locales of the spec, in the spec's order.
func locales() []string {
	return []string{"de", "no", "fi", "sv", "ru", "pt", "ko", "zh-TW", "en", "it", "fr", "zh-CN", "hu", "es", "cs", "ja", "pl", "da", "nl"}
}

func validLocale(l string) bool { return slices.Contains(locales(), l) }

// pickLocales returns "en" and up to maxLocales-1 others, sorted.
func pickLocales(r *prng, maxLocales int) []string {
	n := r.between(1, maxLocales)
	others := slices.DeleteFunc(locales(), func(l string) bool { return l == "en" })
	out := []string{"en"}
	for i := 0; i < n-1 && i < len(others); i++ {
		j := i + r.intn(len(others)-i)
		others[i], others[j] = others[j], others[i]
		out = append(out, others[i])
	}
	slices.Sort(out)
	return out
}

func shortDesc(r *prng, name string) string {
	verbs := []string{"Aggregates accounts and groups from", "Provisions identities to", "Reads the user directory of", "Synchronises entitlements with"}
	return pick(r, verbs) + " " + name + "."
}
