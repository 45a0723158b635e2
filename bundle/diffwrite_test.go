package bundle

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// diffFixture writes two bundles (archives) that differ in every way diff
// reports, and opens them: connectors added, removed, unchanged, failed at
// export in B (unknown), and changed in XML parts, translations (added,
// removed, edited), metadata and other connector.json fields (tenant fields
// among them), with text that JSON escapes (<, >, &, quotes, U+2028).
func diffFixture(t *testing.T) (a, b *Bundle) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 10))
	word := func() string {
		ws := []string{"alpha", "<beta>", "gamma & delta", `"quoted"`, "eps\u2028ilon", "zeta", "äöü", "id"}
		return ws[rng.IntN(len(ws))]
	}
	lines := func(n int) []byte {
		var sb strings.Builder
		for i := range n {
			fmt.Fprintf(&sb, "<attr n=\"%d\">%s</attr>\n", i, word())
		}
		return []byte(sb.String())
	}
	detail := func(name, script string, meta string, extra string) json.RawMessage {
		return json.RawMessage(fmt.Sprintf(`{"name":%q,"scriptName":%q,"type":"Web Services","status":"RELEASED","id":%q,"connectorMetadata":%s%s}`, name, script, script+"-id", meta, extra))
	}
	var as, bs []Connector
	for i := range 60 {
		name := fmt.Sprintf("Conn %02d %s", i, word())
		script := fmt.Sprintf("conn-%02d", i)
		c := Connector{ScriptName: script, Name: name, Type: "Web Services", Status: "RELEASED",
			Detail:         detail(name, script, `{"shortDesc":"d"}`, ""),
			SourceConfig:   lines(20 + i%7),
			SourceTemplate: lines(3),
			Translations:   map[string][]byte{"en": []byte("a=b\nc=" + word() + "\n"), "de": []byte("a=c\n")},
		}
		if i%5 == 0 {
			c.CorrelationConfig = lines(4)
		}
		d := c
		d.Translations = map[string][]byte{"en": c.Translations["en"], "de": c.Translations["de"]}
		switch i % 9 {
		case 0: // unchanged
		case 1:
			d.SourceConfig = append(append([]byte{}, c.SourceConfig[:len(c.SourceConfig)/2]...), []byte("<!-- edited & <changed> -->\n")...)
		case 2:
			d.Translations["fr"] = []byte("a=d\n")
			delete(d.Translations, "de")
			d.Translations["en"] = []byte("a=b\nc=\"new\"\n")
		case 3:
			d.Detail = detail(name, script, `{"shortDesc":"<changed>","more":[1,2]}`, `,"fileUpload":true`)
		case 4:
			d.Detail = detail(name, script+"-x", `{"shortDesc":"d"}`, `,"s3Location":"bucket/`+script+`"`)
			d.ScriptName = script + "-x"
		case 5:
			d.SourceTemplate, d.CorrelationConfig = lines(5), nil
		case 6:
			d.Detail = detail(name, script, `null`, "")
			d.SourceConfig = lines(30)
		}
		switch i % 13 {
		case 11:
			as = append(as, c) // removed
		case 12:
			bs = append(bs, d) // added
		default:
			as, bs = append(as, c), append(bs, d)
		}
	}
	// One connector B failed at export: unknown, neither removed nor added.
	as = append(as, Connector{ScriptName: "failed-one", Name: "Failed <one>", Type: "Web Services", Status: "RELEASED", Detail: detail("Failed <one>", "failed-one", "{}", "")})
	errs := []ItemError{{ScriptName: "failed-one", Name: "Failed <one>", Part: KindSourceConfig, Error: "HTTP 500"}}
	dir := t.TempDir()
	pa, _ := writeConnectors(t, dir, "a.tar.gz", as, nil)
	pb, _ := writeConnectors(t, dir, "b.tar.gz", bs, errs)
	open := func(p string) *Bundle {
		bd, err := Open(t.Context(), p, ReadOptions{TempDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { bd.Close() })
		return bd
	}
	return open(pa), open(pb)
}

// goldenDiffs are the SHA-256 of what `connvault diff` printed for
// diffFixture before diff streamed (commit bf0e677: bundle.Compare, then
// Diff.Write or json.Encoder with SetIndent("", "  ")), by flags; with
// --content, since the text diffs name the bundle's files (a/connectors/<key>/…,
// whole connector.json) so that patch(1) applies them.
var goldenDiffs = map[string]string{
	"content=false,ignore-tenant-fields=false,json=false": "4e8c448548acc3eab48a54b75f899ac61784848365ba01411b2bfa5a1cda304e", // 2059 bytes
	"content=false,ignore-tenant-fields=false,json=true":  "f838d9b422d54594d19467faa9dc594b30aa8a540b6c0f718dfc2386fbb7ade0", // 4712 bytes
	"content=false,ignore-tenant-fields=true,json=false":  "9cf55fbc0466fad60f5050cfaec63c245cbe1ad9ac2bd8fa8c78f2e39c520b1b", // 1569 bytes
	"content=false,ignore-tenant-fields=true,json=true":   "192fe0c474dff1b43dd99d75a27c5d7889d9543418a359cc487865a278dafc21", // 3627 bytes
	"content=true,ignore-tenant-fields=false,json=false":  "1eff64b4423f5ccdeb647adf68a8da865383ce052078370e9da814d441bf2131", // 21574 bytes
	"content=true,ignore-tenant-fields=false,json=true":   "f4544404f91d6bc93160753a3accb811532296d27881f85d237b6377a5dff323", // 36612 bytes
	"content=true,ignore-tenant-fields=true,json=false":   "1ef57c8bcf8172215e0dad2ae29f5aea28ddf51969f83e90545fe4a4f0678479", // 18421 bytes
	"content=true,ignore-tenant-fields=true,json=true":    "1eaaf22239487eb65be6fae2456718c7bb8baeee459e8876582953628ceb97af", // 32124 bytes
}

// held is the output of diff from the Diff that Compare holds.
func held(t *testing.T, a, b *Bundle, opts CompareOptions, asJSON bool) []byte {
	t.Helper()
	d, err := Compare(a, b, opts)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if !asJSON {
		d.Write(&buf)
		return buf.Bytes()
	}
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteDiff, which compares and writes one connector pair at a time, prints
// byte for byte what diff printed when it held the whole Diff, under every
// combination of flags, and returns the same Diff without text.
func TestWriteDiffPrintsWhatDiffPrinted(t *testing.T) {
	a, b := diffFixture(t)
	for _, content := range []bool{false, true} {
		for _, ignore := range []bool{false, true} {
			for _, asJSON := range []bool{false, true} {
				name := fmt.Sprintf("content=%t,ignore-tenant-fields=%t,json=%t", content, ignore, asJSON)
				t.Run(name, func(t *testing.T) {
					opts := CompareOptions{Content: content, IgnoreTenantFields: ignore}
					var buf bytes.Buffer
					d, err := WriteDiff(&buf, a, b, opts, asJSON)
					if err != nil {
						t.Fatal(err)
					}
					if want := held(t, a, b, opts, asJSON); !bytes.Equal(buf.Bytes(), want) {
						t.Errorf("streamed output differs from the held Diff's:\n%s", UnifiedDiff("diff", want, buf.Bytes()))
					}
					if sum := sha256.Sum256(buf.Bytes()); hex.EncodeToString(sum[:]) != goldenDiffs[name] {
						t.Errorf("output (%d bytes) differs from what diff printed before streaming:\n%s", buf.Len(), buf.Bytes())
					}
					whole, _ := Compare(a, b, CompareOptions{IgnoreTenantFields: ignore})
					if d.Empty() || len(d.Added) != 4 || len(d.Removed) != 4 || len(d.Unknown) != 1 || len(d.Changed) != len(whole.Changed) {
						t.Errorf("returned Diff: %d added, %d removed, %d unknown, %d changed; want 4, 4, 1, %d", len(d.Added), len(d.Removed), len(d.Unknown), len(d.Changed), len(whole.Changed))
					}
					for i, ch := range d.Changed {
						if ch.Text != nil || ch.Name != whole.Changed[i].Name || strings.Join(ch.Parts, ",") != strings.Join(whole.Changed[i].Parts, ",") {
							t.Errorf("returned change %d: %+v, want %+v without text", i, ch, whole.Changed[i])
						}
					}
				})
			}
		}
	}
}

// Two equal bundles: a count line of zeros, and in JSON "changed": null with
// empty added and removed as before.
func TestWriteDiffOfEqualBundles(t *testing.T) {
	a, _ := diffFixture(t)
	for _, asJSON := range []bool{false, true} {
		var buf bytes.Buffer
		d, err := WriteDiff(&buf, a, a, CompareOptions{Content: true}, asJSON)
		if err != nil {
			t.Fatal(err)
		}
		want := "0 added, 0 removed, 0 changed\n"
		if asJSON {
			want = "{\n  \"added\": null,\n  \"removed\": null,\n  \"changed\": null\n}\n"
		}
		if buf.String() != want || !d.Empty() {
			t.Errorf("json=%t: got %q (empty %t), want %q", asJSON, buf.String(), d.Empty(), want)
		}
		if held := held(t, a, a, CompareOptions{Content: true}, asJSON); buf.String() != string(held) {
			t.Errorf("json=%t: streamed %q, held Diff printed %q", asJSON, buf.String(), held)
		}
	}
}
