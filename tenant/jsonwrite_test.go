package tenant

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// WriteJSON writes byte for byte what MarshalJSON returns, for details
// built in code and decoded from the tenant's JSON, with and without
// members the spec does not know (Extra), and strings that test every
// escape: HTML characters, control characters, U+2028/U+2029, invalid
// UTF-8, multi-byte runes across the writer's chunk boundaries.
func TestWriteJSONIsMarshalJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "<x>", "&amp;", `"q"`, `\`, "\n", "\r\n", "\t", "\x01", "\x7f", "é", "日本", "😀", "\u2028", "\u2029",
		"\xff", "\xe2\x80", "\xf0\x9f\x98", "\x80\x80\x80\x80", "\ufeff", "=", " "}
	text := func(max int) string {
		var sb strings.Builder
		for n := rng.IntN(max); sb.Len() < n; {
			sb.WriteString(pieces[rng.IntN(len(pieces))])
		}
		return sb.String()
	}
	// Long strings with a multi-byte rune or a broken sequence across each
	// 32 KiB boundary.
	long := func() string {
		s := strings.Repeat("x", stringChunk-1-rng.IntN(3)) + pieces[10+rng.IntN(10)] + text(100)
		return s + s + text(50)
	}
	str := func(p float64, max int) string {
		if rng.Float64() < p {
			return ""
		}
		if rng.IntN(8) == 0 {
			return long()
		}
		return text(max)
	}
	ptr := func() *string {
		if rng.IntN(3) == 0 {
			return nil
		}
		s := str(0.3, 50)
		return &s
	}
	for i := range 60 {
		d := ConnectorDetail{
			Name: str(0.2, 20), Type: str(0.3, 10), ClassName: str(0.3, 10), ScriptName: str(0.1, 20),
			ApplicationXML: str(0.3, 500), CorrelationConfigXML: str(0.3, 500), SourceConfigXML: str(0.2, 2000),
			SourceConfig: ptr(), SourceConfigFrom: ptr(), S3Location: str(0.5, 20),
			FileUpload: rng.IntN(2) == 0, DirectConnect: rng.IntN(2) == 0, Status: Status(str(0.3, 10)),
		}
		if rng.IntN(3) > 0 {
			d.UploadedFiles = []string{}
			for range rng.IntN(3) {
				d.UploadedFiles = append(d.UploadedFiles, text(10))
			}
		}
		if rng.IntN(3) > 0 {
			d.TranslationProperties = map[string]string{}
			for range rng.IntN(4) {
				d.TranslationProperties[text(5)] = str(0.2, 300)
			}
		}
		if rng.IntN(3) > 0 {
			d.ConnectorMetadata = map[string]any{}
			for range rng.IntN(3) {
				d.ConnectorMetadata[text(5)] = []any{text(5), 1.5, nil, map[string]any{"k": text(5)}}
			}
		}
		if rng.IntN(2) == 0 {
			d.Extra = map[string]json.RawMessage{}
			for range 1 + rng.IntN(3) {
				v, _ := json.Marshal(text(20))
				d.Extra[text(6)] = json.RawMessage(" [ " + string(v) + " , {\"a\" : 1} ] ")
			}
			switch rng.IntN(4) {
			case 0:
				d.Extra["name"] = json.RawMessage(`"extra name"`) // a known member: the field wins when set
			case 1:
				d.Extra["nil"] = nil
			}
		}
		checkWriteJSON(t, fmt.Sprintf("built %d", i), d)
		// The same decoded, as details come from the tenant.
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var back ConnectorDetail
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		checkWriteJSON(t, fmt.Sprintf("decoded %d", i), back)
	}
	var bad ConnectorDetail
	bad.Extra = map[string]json.RawMessage{"x": json.RawMessage("{not json")}
	if err := bad.WriteJSON(&bytes.Buffer{}); err == nil {
		t.Error("WriteJSON of an Extra member that is not JSON: no error")
	}
}

func checkWriteJSON(t *testing.T, name string, d ConnectorDetail) {
	t.Helper()
	want, err := json.Marshal(d)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var got bytes.Buffer
	if err := d.WriteJSON(&got); err != nil {
		t.Fatalf("%s: WriteJSON: %v", name, err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		i := 0
		for i < min(got.Len(), len(want)) && got.Bytes()[i] == want[i] {
			i++
		}
		t.Fatalf("%s: WriteJSON differs from MarshalJSON at byte %d of %d:\ngot  %q\nwant %q", name, i, len(want),
			got.Bytes()[max(0, i-40):min(got.Len(), i+40)], want[max(0, i-40):min(len(want), i+40)])
	}
}
