package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A connector whose connector.json announces a part it does not carry is
// refused by the writer, and a bundle holding one (edited by hand, or
// written by a faulty tool) is refused by every reader.
func TestAnnouncedPartsMustHaveAFile(t *testing.T) {
	announced := json.RawMessage(`{"connvault.parts":["correlation-config","source-config","translations/de"],"name":"X"}`)
	full := Connector{ScriptName: "x", Name: "X", Detail: announced, SourceConfig: []byte("<x/>"),
		CorrelationConfig: []byte{}, Translations: map[string][]byte{"de": []byte("")}}
	if _, err := WriteAll(t.Context(), filepath.Join(t.TempDir(), "ok.tar.gz"), testWriterOptions(), []Connector{full}, nil); err != nil {
		t.Fatalf("a connector with every announced part (empty ones included): %v", err)
	}
	for _, drop := range []string{"correlation-config", "translations/de"} {
		c := full
		c.Translations = map[string][]byte{"de": []byte("")}
		switch drop {
		case "correlation-config":
			c.CorrelationConfig = nil
		default:
			c.Translations = nil
		}
		w, err := Create(filepath.Join(t.TempDir(), "a.tar.gz"), testWriterOptions())
		if err != nil {
			t.Fatal(err)
		}
		_, err = w.Add(c)
		_ = w.Abort()
		if !errors.Is(err, ErrPartMissing) {
			t.Errorf("Add without %s: %v, want ErrPartMissing", drop, err)
		}
	}

	// A directory bundle whose connector.json is edited to announce a part
	// without a file, with the manifest's hashes made to match.
	p, m := writeConnectors(t, t.TempDir(), "b/", []Connector{{ScriptName: "x", Name: "X", Detail: json.RawMessage(`{"name":"X"}`), SourceConfig: []byte("<x/>")}}, nil)
	detail := []byte("{\n  \"connvault.parts\": [\n    \"correlation-config\",\n    \"source-config\"\n  ],\n  \"name\": \"X\"\n}\n")
	rel := "connectors/x/connector.json"
	if err := os.WriteFile(filepath.Join(p, filepath.FromSlash(rel)), detail, 0o600); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(detail)
	for i, f := range m.Connectors[0].Files {
		if f.Path == rel {
			m.Connectors[0].Files[i].Size, m.Connectors[0].Files[i].SHA256 = int64(len(detail)), hex.EncodeToString(sum[:])
		}
	}
	m.ContentDigest = contentDigest(m.Connectors)
	mb, err := encodeJSON(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p, manifestName), mb, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Verify(t.Context(), p, ReadOptions{})
	wantInvalid(t, err, rel, "announced correlation-config, but the bundle has no file for it")
}
