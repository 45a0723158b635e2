package importer

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/connvault/connvault/internal/atomicfile"
	"github.com/connvault/connvault/tenant"
)

// SavePlan writes a plan as JSON, atomically, mode 0600.
func SavePlan(path string, p *Plan) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	if err := atomicfile.WriteBytes(path, 0o600, append(b, '\n')); err != nil {
		return fmt.Errorf("write plan %s: %w", path, err)
	}
	return nil
}

// LoadPlan reads a plan written by SavePlan. A plan of a newer format version
// is refused. Apply checks a loaded plan for drift before writing anything.
func LoadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("plan %s: decode: %w", path, err)
	}
	if p.Format != PlanFormat {
		return nil, fmt.Errorf("%s is not a connvault plan (format %q)", path, p.Format)
	}
	if p.FormatVersion > PlanFormatVersion {
		return nil, fmt.Errorf("plan %s has format version %d, newer than this connvault reads (%d); upgrade connvault",
			path, p.FormatVersion, PlanFormatVersion)
	}
	if p.FormatVersion < 1 {
		return nil, fmt.Errorf("plan %s: unsupported format version %d", path, p.FormatVersion)
	}
	if p.PreImages == nil {
		p.PreImages = map[string]string{}
	}
	return &p, nil
}

// CheckTarget returns an error unless the plan was made for the tenant at
// baseURL (compared ignoring case and a trailing slash). Apply checks the
// same; callers check first so that nothing of a plan for another tenant is
// shown as if it applied.
func (p *Plan) CheckTarget(baseURL string) error {
	if !tenant.SameURL(p.Target.URL, baseURL) {
		return fmt.Errorf("the plan was made for %s, not %s", p.Target.URL, baseURL)
	}
	return nil
}
