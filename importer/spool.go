package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

	"github.com/connvault/connvault/internal/tempfile"
	"github.com/connvault/connvault/tenant"
)

// detailStore holds the target details a plan read (its pre-images) on disk,
// not in memory: each is appended to one private temporary spool file as it
// is read, and read back (and decoded again) when a plan item, the undo
// bundle or a write needs it. What it keeps in memory per connector is its
// offset, length and name, so planning and applying ten thousand connectors
// does not hold ten thousand details (docs/ARCHITECTURE.md, "The import
// algorithm", Memory).
//
// The spool's name is removed as soon as the file is open where the system
// allows it (the open file lives on until close); else close removes it
// (tempfile.Spool).
// It is safe for concurrent use.
type detailStore struct {
	mu   sync.Mutex
	f    *os.File
	path string // "" once unlinked
	end  int64
	at   map[string]storedDetail // by scriptName
}

type storedDetail struct {
	off, n int64
	name   string
}

func newDetailStore() *detailStore {
	return &detailStore{at: map[string]storedDetail{}}
}

// put spools d under its scriptName, replacing an earlier one.
func (s *detailStore) put(d tenant.ConnectorDetail) error {
	b, err := encodeDetail(d)
	if err != nil {
		return fmt.Errorf("spool detail of %q: %w", d.ScriptName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		f, path, err := tempfile.Spool("", "connvault-details-*")
		if err != nil {
			return fmt.Errorf("spool details: %w", err)
		}
		s.f, s.path = f, path
	}
	if _, err := s.f.WriteAt(b, s.end); err != nil {
		return fmt.Errorf("spool detail of %q: %w", d.ScriptName, err)
	}
	s.at[d.ScriptName] = storedDetail{off: s.end, n: int64(len(b)), name: d.Name}
	s.end += int64(len(b))
	return nil
}

// name returns the name of the connector scriptName, if the store holds it.
func (s *detailStore) name(scriptName string) (string, bool) {
	if s == nil {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.at[scriptName]
	return e.name, ok
}

// get reads scriptName's detail back; ok is false if the store lacks it.
func (s *detailStore) get(scriptName string) (d tenant.ConnectorDetail, ok bool, err error) {
	if s == nil {
		return d, false, nil
	}
	s.mu.Lock()
	e, ok := s.at[scriptName]
	f := s.f
	s.mu.Unlock()
	if !ok {
		return d, false, nil
	}
	b := make([]byte, e.n)
	if _, err := f.ReadAt(b, e.off); err != nil {
		return d, true, fmt.Errorf("read back the detail of %q: %w", scriptName, err)
	}
	if d, err = decodeDetail(b); err != nil {
		return d, true, fmt.Errorf("decode the spooled detail of %q: %w", scriptName, err)
	}
	return d, true, nil
}

// close releases the spool; the store is empty afterwards.
func (s *detailStore) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		_ = s.f.Close()
		if s.path != "" {
			_ = os.Remove(s.path)
		}
	}
	s.f, s.path, s.end, s.at = nil, "", 0, map[string]storedDetail{}
}

// spooledDetail is a detail as the spool holds it: its members but the
// files as JSON (Raw, as read; or the whole detail when built in code), and
// the files as bytes, so that parts JSON cannot carry (detailBytes) keep
// their exact bytes.
type spooledDetail struct {
	Detail               json.RawMessage   `json:"detail"`
	SourceConfigXML      []byte            `json:"sourceConfigXml,omitempty"`
	ApplicationXML       []byte            `json:"applicationXml,omitempty"`
	CorrelationConfigXML []byte            `json:"correlationConfigXml,omitempty"`
	SourceConfig         []byte            `json:"sourceConfig,omitempty"`
	HasSourceConfig      bool              `json:"hasSourceConfig,omitempty"`
	Translations         map[string][]byte `json:"translations,omitempty"`
	HasTranslations      bool              `json:"hasTranslations,omitempty"`
}

// encodeDetail returns what decodeDetail turns into d again, Raw and Extra
// included.
func encodeDetail(d tenant.ConnectorDetail) ([]byte, error) {
	sd := spooledDetail{Detail: d.Raw, SourceConfigXML: []byte(d.SourceConfigXML), ApplicationXML: []byte(d.ApplicationXML),
		CorrelationConfigXML: []byte(d.CorrelationConfigXML), HasSourceConfig: d.SourceConfig != nil,
		HasTranslations: d.TranslationProperties != nil}
	if d.SourceConfig != nil {
		sd.SourceConfig = []byte(*d.SourceConfig)
	}
	for l, t := range d.TranslationProperties {
		if sd.Translations == nil {
			sd.Translations = map[string][]byte{}
		}
		sd.Translations[l] = []byte(t)
	}
	if d.Raw == nil {
		var err error
		if sd.Detail, err = json.Marshal(d); err != nil {
			return nil, err
		}
	}
	return json.Marshal(sd)
}

// decodeDetail is encodeDetail's inverse.
func decodeDetail(b []byte) (tenant.ConnectorDetail, error) {
	var (
		sd spooledDetail
		d  tenant.ConnectorDetail
	)
	if err := json.Unmarshal(b, &sd); err != nil {
		return d, err
	}
	if err := json.Unmarshal(sd.Detail, &d); err != nil {
		return d, err
	}
	d.SourceConfigXML, d.ApplicationXML, d.CorrelationConfigXML = string(sd.SourceConfigXML), string(sd.ApplicationXML), string(sd.CorrelationConfigXML)
	d.SourceConfig, d.TranslationProperties = nil, nil
	if sd.HasSourceConfig {
		sc := string(sd.SourceConfig)
		d.SourceConfig = &sc
	}
	if sd.HasTranslations {
		d.TranslationProperties = make(map[string]string, len(sd.Translations))
		for l, t := range sd.Translations {
			d.TranslationProperties[l] = string(t)
		}
	}
	return d, nil
}
