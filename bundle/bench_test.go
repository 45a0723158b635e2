package bundle

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkWrite writes a bundle of 1,000 connectors. The bytes allocated per
// write must not grow with the size of the content: the Writer stages files on
// disk and holds none of them.
func BenchmarkWrite(b *testing.B) {
	for _, size := range []int{1 << 10, 16 << 10} {
		b.Run(fmt.Sprintf("xml=%dKiB", size>>10), func(b *testing.B) {
			xml := bytes.Repeat([]byte("<attribute name=\"x\"/>\n"), size/22)
			cs := make([]Connector, 1000)
			for i := range cs {
				cs[i] = Connector{
					ScriptName: fmt.Sprintf("connector-%04d", i), Name: fmt.Sprint("Connector ", i),
					Detail:       []byte(`{"name":"x","features":["a","b"]}`),
					SourceConfig: xml, SourceTemplate: xml, CorrelationConfig: xml,
					Translations: map[string][]byte{"en": []byte("k=v\n")},
				}
			}
			dir := b.TempDir()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := WriteAll(b.Context(), filepath.Join(dir, "b.tgz"), testWriterOptions(), cs, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
