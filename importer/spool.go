package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"

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
// allows it (the open file lives on until close); else close removes it.
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
		f, err := os.CreateTemp("", "connvault-details-*")
		if err != nil {
			return fmt.Errorf("spool details: %w", err)
		}
		s.f, s.path = f, f.Name()
		if os.Remove(f.Name()) == nil {
			s.path = ""
		}
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
	if err := json.Unmarshal(b, &d); err != nil {
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

// encodeDetail returns JSON that decodes (tenant.ConnectorDetail's
// UnmarshalJSON) to d again, Raw and Extra included: the members of Raw, as
// read, plus the file fields from their decoded form. A detail built in code
// (no Raw) is its plain JSON.
func encodeDetail(d tenant.ConnectorDetail) ([]byte, error) {
	if d.Raw == nil {
		return json.Marshal(d)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(d.Raw, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		obj = map[string]json.RawMessage{}
	}
	add := func(key string, v any) error {
		b, err := json.Marshal(v)
		obj[key] = b
		return err
	}
	var err error
	for key, v := range map[string]string{"sourceConfigXml": d.SourceConfigXML, "applicationXml": d.ApplicationXML,
		"correlationConfigXml": d.CorrelationConfigXML} {
		if v != "" && err == nil {
			err = add(key, v)
		}
	}
	if d.SourceConfig != nil && err == nil {
		err = add("sourceConfig", *d.SourceConfig)
	}
	if d.TranslationProperties != nil && err == nil {
		err = add("translationProperties", d.TranslationProperties)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(obj)
}
