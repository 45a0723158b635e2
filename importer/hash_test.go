package importer

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/connvault/connvault/tenant"
)

// hashFixtures are details as a tenant returns them (decoded from JSON,
// members the spec does not know kept in Extra) and as code builds them,
// whose hashes plans, journals and undo bundles store.
func hashFixtures() map[string]tenant.ConnectorDetail {
	long := strings.Repeat("<attribute name=\"x\" value=\"a &amp; b\"/>\r\n", 2000)
	decode := func(s string) tenant.ConnectorDetail {
		var d tenant.ConnectorDetail
		if err := json.Unmarshal([]byte(s), &d); err != nil {
			panic(err)
		}
		return d
	}
	src := "v1"
	return map[string]tenant.ConnectorDetail{
		"decoded, unknown members": decode(`{"name":"Acme <LDAP>","type":"custom Acme","className":"sailpoint.connector.OpenConnectorAdapter","scriptName":"acme-ldap-1a2b",
			"applicationXml":"<Application name=\"x\"/>","correlationConfigXml":"","sourceConfigXml":` + mustJSON(long) + `,
			"sourceConfig":"<Form>é\u2028</Form>","s3Location":"bucket/acme","uploadedFiles":["a.jar","b & c.jar"],"fileUpload":true,"directConnect":true,
			"translationProperties":{"en":"a=b\nc=d\n","de":"","zh-TW":"\u65e5=\u672c\n"},
			"connectorMetadata":{"shortDesc":"<b>bold</b>","supportedUI":"EXTJS","nested":{"z":[1,2.5,null,true],"a":"x"}},
			"status":"RELEASED","id":"2c91","created":"2024-01-02T03:04:05Z","zeta":{ "spaced" : [ 1 , 2 ] },"alpha":null}`),
		"decoded, spec members only":           decode(`{"name":"Plain","scriptName":"plain","sourceConfigXml":"<Form/>","fileUpload":false,"directConnect":false,"status":"DEVELOPMENT"}`),
		"decoded, empty metadata and no files": decode(`{"name":"Empty","scriptName":"empty","connectorMetadata":{},"translationProperties":{}}`),
		"parts not UTF-8": {Name: "Latin-1", ScriptName: "latin1", SourceConfigXML: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><Form n=\"caf\xe9\"/>",
			ApplicationXML: "<a/>", TranslationProperties: map[string]string{"de": "gr\xfc\xdfe=1\n", "en": "ok=1\n"}, Status: tenant.StatusReleased},
		"built in code": {Name: "Built", ScriptName: "built", ApplicationXML: "<a/>", SourceConfigXML: long, SourceConfig: &src,
			TranslationProperties: map[string]string{"fr": "x=y\n"}, ConnectorMetadata: map[string]any{"k": "v"}, Status: tenant.StatusReleased},
	}
}

func mustJSON(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// goldenHashes are what detailHash and partHashes returned for
// hashFixtures before they hashed without re-marshalling: in commit bf0e677,
// and for "parts not UTF-8" in cc426b9 (which added those parts' bytes).
// Plans (pre-images), journals and undo bundles store these hashes and
// compare them with later reads: they must keep their values.
var goldenHashes = map[string]struct {
	detail string
	parts  map[string]string
}{
	"built in code": {
		detail: "3320fa5821292d520e7ce08b71f9621b3eea2cdbb240318868e657fa7806ad1e",
		parts: map[string]string{
			"fields":          "41b33cba8b23808e846ac8829c2d3775d21fc2dad535a65da3fceb673cbcc77b",
			"metadata":        "666c1aa02e8068c6d5cc1d3295009432c16790bec28ec8ce119d0d1a18d61319",
			"source-config":   "51f74b292cab76ae33bb497d236b5267cfc3064c693a449f1d016a2149ec2658",
			"source-template": "29114363f749a0226b6988dda3ca2492a954117ab6b5f382706c20300dabc079",
			"translations/fr": "b8964bf64ad78786784ff05524722faedb327155eec625fe54b8146b96885ed6",
		},
	},
	"decoded, empty metadata and no files": {
		detail: "1ef65a91f97022e3e78ab5f562ab43b210864c31798d8df2952d4a98fc673980",
		parts: map[string]string{
			"fields":   "1ef65a91f97022e3e78ab5f562ab43b210864c31798d8df2952d4a98fc673980",
			"metadata": "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
		},
	},
	"decoded, spec members only": {
		detail: "23bdbafac4aa7c9a5c48a75d57f25319090c5a993baa1488069e5065af6d29fb",
		parts: map[string]string{
			"fields":        "4eb05ddbcbe3222076f65d63219e3329fe41608eecf0b682a31dfda11d91e6c3",
			"source-config": "2cfe891e3f416a7b744dc93e8c1b9ea0a300df68837b5415be669a73138e7fb6",
		},
	},
	"parts not UTF-8": {
		detail: "f2f78033484e9e38d2ea2edc9c403593b37743a33793c3c150f226097143861d",
		parts: map[string]string{
			"fields":          "9f7adc87009b2298fd489570945c3693825bc0a8e7a015e24349d506f533f53a",
			"source-config":   "5af7e6da3bfabee7e339b09a33d656507543b1a518d4628cf24b2296e76d8901",
			"source-template": "29114363f749a0226b6988dda3ca2492a954117ab6b5f382706c20300dabc079",
			"translations/de": "2f2aee006907ce7d01538c4896ef5034abcb7283bdaee6cdea7936937d738be3",
			"translations/en": "b3dc49ebfa42611066e5b80c6ce65f243c126573a4279de265993c16d8ae3e98",
		},
	},
	"decoded, unknown members": {
		detail: "564498d8bc2c4af3637c3d5e71efa1ef7b0f54623d46139a289188ab1d37c69e",
		parts: map[string]string{
			"fields":             "196a79085ba5a910ebcf6589f7b049431d05e4b01929fbf9c7b81576efbd0f0d",
			"metadata":           "1618765c42365797f3d11e265194fc198be874c62f83a4b704ac0a6718aea2a2",
			"source-config":      "51f74b292cab76ae33bb497d236b5267cfc3064c693a449f1d016a2149ec2658",
			"source-template":    "3ff496d3ea4215ada45d5f3ac11d74a94da6d20f71e8bb038f2f33cdfcb6630b",
			"translations/de":    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			"translations/en":    "8b44cd432fc2a7ef272f007ca2ef2ebb297333b5941c1f846f081ef4708a42f8",
			"translations/zh-TW": "4eeb763331eeb1432ce9537aa558d952d6de722d106e1691052b89b83247dd83",
		},
	},
}

func TestHashesKeepTheirValues(t *testing.T) {
	fx := hashFixtures()
	for _, name := range slices.Sorted(maps.Keys(fx)) {
		d, want := fx[name], goldenHashes[name]
		if got := detailHash(d); got != want.detail {
			t.Errorf("%s: detailHash %s, want %s", name, got, want.detail)
		}
		if got := partHashes(d); !maps.Equal(got, want.parts) {
			t.Errorf("%s: partHashes\n%v\nwant\n%v", name, got, want.parts)
		}
	}
}

// Hashing a detail allocates little beside the hashes: its parts are not
// copied, nor its JSON built (go test -bench Hash -benchmem ./importer/).
func BenchmarkDetailHash(b *testing.B) {
	d := hashFixtures()["decoded, unknown members"]
	b.ReportAllocs()
	for b.Loop() {
		_ = detailHash(d)
	}
}

func BenchmarkPartHashes(b *testing.B) {
	d := hashFixtures()["decoded, unknown members"]
	b.ReportAllocs()
	for b.Loop() {
		_ = partHashes(d)
	}
}
