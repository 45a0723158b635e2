package importer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/connvault/connvault/bundle"
)

// Head returns c without its content, as a streaming Source's Connectors
// are: the names, type, className, status, sources and the locales.
func Head(c bundle.Connector) bundle.Connector {
	h := bundle.Connector{ScriptName: c.ScriptName, Name: c.Name, Type: c.Type, ClassName: c.ClassName, Status: c.Status, Sources: c.Sources}
	if len(c.Translations) > 0 {
		h.Translations = make(map[string][]byte, len(c.Translations))
		for l := range c.Translations {
			h.Translations[l] = nil
		}
	}
	return h
}

// load returns connector i of s with its content: s.Connectors[i], or what
// s.Load reads, which must be the connector its head describes.
func (s Source) load(i int) (bundle.Connector, error) {
	h := s.Connectors[i]
	if s.Load == nil {
		return h, nil
	}
	c, err := s.Load(i)
	if err != nil {
		return bundle.Connector{}, fmt.Errorf("read bundle connector %q (%s): %w", h.Name, h.ScriptName, err)
	}
	if c.ScriptName != h.ScriptName || c.Name != h.Name {
		return bundle.Connector{}, fmt.Errorf("read bundle connector %q (%s): read again, it is %q (%s); the bundle changed while in use",
			h.Name, h.ScriptName, c.Name, c.ScriptName)
	}
	return c, nil
}

// inputDigest identifies the connectors an import was planned with, after
// transforms: a saved plan is refused for different input. It reads one
// connector at a time, in scriptName order, and gives each to visit.
func inputDigest(src Source, visit func(...bundle.Connector)) (string, error) {
	order := make([]int, len(src.Connectors))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(src.Connectors[a].ScriptName, src.Connectors[b].ScriptName) })
	h := sha256.New()
	for _, i := range order {
		c, err := src.load(i)
		if err != nil {
			return "", err
		}
		visit(c)
		for _, f := range [][]byte{[]byte(c.ScriptName), []byte(c.Name), []byte(c.Type), []byte(c.ClassName),
			[]byte(c.Status), c.Detail, c.SourceConfig, c.SourceTemplate, c.CorrelationConfig} {
			writeField(h, f)
		}
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(c.Translations)))
		h.Write(n[:])
		for _, loc := range slices.Sorted(maps.Keys(c.Translations)) {
			writeField(h, []byte(loc))
			writeField(h, c.Translations[loc])
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
