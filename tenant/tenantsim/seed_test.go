package tenantsim

import (
	"encoding/xml"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSameSeedSameTenant(t *testing.T) {
	a := New(Options{Seed: 42, Connectors: 50}).Dump()
	b := New(Options{Seed: 42, Connectors: 50}).Dump()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two tenants with the same options differ")
	}
	c := New(Options{Seed: 43, Connectors: 50}).Dump()
	if reflect.DeepEqual(a, c) {
		t.Fatal("seeds 42 and 43 give the same tenant")
	}
	if z := New(Options{Seed: 0, Connectors: 5}).Dump(); len(z.Connectors) != 5+len(catalog()) {
		t.Errorf("seed 0: %d connectors", len(z.Connectors))
	}
}

// TestSeedsShareSomeNames: a sandbox and a production tenant share some
// connector names, with the same type and className but their own content.
func TestSeedsShareSomeNames(t *testing.T) {
	for _, n := range []int{1, 3, 10, 200} {
		a := byName(New(Options{Seed: 1, Connectors: n, TenantName: "sandbox"}).Dump())
		b := byName(New(Options{Seed: 2, Connectors: n, TenantName: "prod"}).Dump())
		shared, differ, onlyA := 0, 0, 0
		for name, ca := range a {
			cb, ok := b[name]
			if !ok {
				onlyA++
				continue
			}
			if ca.BuiltIn {
				if !reflect.DeepEqual(ca, cb) {
					t.Errorf("built-in %s differs between tenants", name)
				}
				continue
			}
			shared++
			if ca.Type != cb.Type || ca.ClassName != cb.ClassName {
				t.Errorf("n=%d %q: type/className %q/%q vs %q/%q", n, name, ca.Type, ca.ClassName, cb.Type, cb.ClassName)
			}
			if ca.ScriptName == cb.ScriptName {
				t.Errorf("n=%d %q: same scriptName %q in both tenants", n, name, ca.ScriptName)
			}
			if ca.SourceConfigXml != cb.SourceConfigXml || ca.Translations["en"] != cb.Translations["en"] {
				differ++
			}
		}
		if shared == 0 || (n >= 10 && (onlyA == 0 || differ < shared/2)) {
			t.Errorf("n=%d: %d shared names (%d with different content), %d only in one tenant", n, shared, differ, onlyA)
		}
	}
}

func byName(d Dump) map[string]DumpConnector {
	m := map[string]DumpConnector{}
	for _, c := range d.Connectors {
		m[c.Name] = c
	}
	return m
}

func TestUniverseNamesAreDistinct(t *testing.T) {
	names := universe(30000)
	seen := map[string]bool{}
	for _, n := range names {
		if seen[foldName(n)] {
			t.Fatalf("%q twice", n)
		}
		seen[foldName(n)] = true
	}
	if got := universe(100); !reflect.DeepEqual(got, names[:100]) {
		t.Error("universe(100) is not a prefix of universe(30000)")
	}
}

// TestSeededContentIsRealistic checks shapes and sizes of the seeded data.
func TestSeededContentIsRealistic(t *testing.T) {
	const n = 400
	d := New(Options{Seed: 11, Connectors: n, MaxLocales: 4}).Dump()
	unlisted, nonASCII, large, small := 0, 0, 0, 0
	for _, c := range d.Connectors {
		if c.BuiltIn {
			continue
		}
		if c.Status != "RELEASED" {
			unlisted++
		}
		if !isASCII(c.Name) {
			nonASCII++
		}
		checkRoot(t, c.ScriptName+" source config", c.SourceConfigXml, "Form", map[string]string{"type": "SourceConfig", "connectorName": c.Type})
		checkRoot(t, c.ScriptName+" source template", c.ApplicationXml, "Application", map[string]string{"connector": c.ClassName, "type": c.Type})
		checkRoot(t, c.ScriptName+" correlation config", c.CorrelationConfigXml, "CorrelationConfig", nil)
		for _, want := range []string{"<Sections>", "<Section ", "<Field "} {
			if !strings.Contains(c.SourceConfigXml, want) {
				t.Errorf("%s: source config lacks %s", c.ScriptName, want)
			}
		}
		for _, want := range []string{"<Attributes>", "<Map>", "<Schemas>", "<Schema "} {
			if !strings.Contains(c.ApplicationXml, want) {
				t.Errorf("%s: source template lacks %s", c.ScriptName, want)
			}
		}
		if !strings.Contains(c.CorrelationConfigXml, "<AttributeAssignments>") {
			t.Errorf("%s: correlation config lacks AttributeAssignments", c.ScriptName)
		}
		for _, x := range []string{c.SourceConfigXml, c.ApplicationXml} {
			switch {
			case len(x) < 1<<10 || len(x) > 210<<10:
				t.Errorf("%s: config of %d bytes, want 1–200 KB", c.ScriptName, len(x))
			case len(x) > 40<<10:
				large++
			case len(x) < 4<<10:
				small++
			}
		}
		if _, ok := c.Translations["en"]; !ok || len(c.Translations) > 4 {
			t.Errorf("%s: locales %v", c.ScriptName, keys(c.Translations))
		}
		for l, text := range c.Translations {
			if !validLocale(l) || !utf8.ValidString(text) || !strings.Contains(text, "\nHostURL=") {
				t.Errorf("%s: translation %s is not a properties text", c.ScriptName, l)
			}
		}
		for _, k := range []string{"supportedUI", "platform", "shortDesc"} {
			if _, ok := c.ConnectorMetadata[k].(string); !ok {
				t.Errorf("%s: connectorMetadata lacks %s", c.ScriptName, k)
			}
		}
	}
	if unlisted < n*8/100 || unlisted > n*25/100 {
		t.Errorf("%d of %d unlisted, want about 15%%", unlisted, n)
	}
	if nonASCII < n/5 || large == 0 || small < n/4 {
		t.Errorf("%d non-ASCII names, %d configs over 40 KB, %d under 4 KB", nonASCII, large, small)
	}
}

func checkRoot(t *testing.T, what, doc, root string, attrs map[string]string) {
	t.Helper()
	if err := checkXML([]byte(doc)); err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	dec := xml.NewDecoder(strings.NewReader(doc))
	for {
		tok, err := dec.Token()
		if err != nil {
			t.Errorf("%s: %v", what, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != root {
				t.Errorf("%s: root <%s>, want <%s>", what, se.Name.Local, root)
			}
			for k, v := range attrs {
				found := false
				for _, a := range se.Attr {
					found = found || (a.Name.Local == k && a.Value == v)
				}
				if !found {
					t.Errorf("%s: <%s> lacks %s=%q", what, root, k, v)
				}
			}
			return
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestTenThousandConnectorsStayLazy: content is generated on first read, so a
// big tenant holds little memory until it is read. (Start-up time is not
// asserted: this machine is shared and noisy; see BenchmarkNewTenThousand.)
func TestTenThousandConnectorsStayLazy(t *testing.T) {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := New(Options{Seed: 1, Connectors: 10000})
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("New with 10000 connectors: %d MB heap", heap>>20)
	if heap > 64<<20 {
		t.Errorf("New with 10000 connectors holds %d MB; want < 64 MB (content should be lazy)", heap>>20)
	}
	runtime.KeepAlive(s)
}

// BenchmarkNewTenThousand measures the start-up of a 10,000-connector tenant
// (ns/op is one New).
func BenchmarkNewTenThousand(b *testing.B) {
	for b.Loop() {
		runtime.KeepAlive(New(Options{Seed: 1, Connectors: 10000}))
	}
}

func TestSlug(t *testing.T) {
	tests := map[string]string{
		"Münchner Personalsystem":     "munchner-personalsystem",
		"São Paulo Payroll":           "sao-paulo-payroll",
		"Østfold LDAP":                "ostfold-ldap",
		"Łódź Kadry i Płace":          "lodz-kadry-i-place",
		"Straße / Æble -- Þing":       "strasse-aeble-thing",
		"日本語":                         "connector",
		"  --Trim me!--  ":            "trim-me",
		strings.Repeat("abcdef ", 20): "abcdef-abcdef-abcdef-abcdef-abcdef-abcdef-abcdef",
	}
	for in, want := range tests {
		if got := slug(in); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
}
