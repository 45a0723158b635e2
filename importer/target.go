package importer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/tenant"
)

// Target is the tenant an import writes to; *tenant.Client satisfies it.
// Every method may be called from several goroutines at once.
type Target interface {
	// BaseURL returns the tenant's base URL. Plans, journals and undo bundles
	// record it, and refuse to be used against another tenant.
	BaseURL() string
	// API returns the API surface in use ("v2025" or "v1").
	API() string
	// ListAllConnectors returns every connector the list shows (RELEASED custom
	// connectors and SailPoint's built-ins) that matches filters ("" for all),
	// reading every page. onTotal may be nil.
	ListAllConnectors(ctx context.Context, filters string, onTotal func(total int)) ([]tenant.Connector, error)
	// GetConnector returns a connector with all of its content, listed or not.
	// A missing connector is an error for which tenant.IsNotFound is true.
	GetConnector(ctx context.Context, scriptName string) (tenant.ConnectorDetail, error)
	// GetPart returns one sub-resource of a connector.
	GetPart(ctx context.Context, scriptName string, p tenant.Part) ([]byte, error)
	// CreateConnector creates a connector; the tenant derives its scriptName.
	// It is never retried once the request may have reached the tenant: an
	// error that leaves the outcome unknown wraps tenant.ErrAmbiguous.
	CreateConnector(ctx context.Context, c tenant.NewConnector) (tenant.Connector, error)
	// PatchConnector applies JSON Patch operations (only connectorMetadata and
	// the three XML fields are patchable) and returns the connector after them.
	PatchConnector(ctx context.Context, scriptName string, ops []tenant.PatchOp) (tenant.ConnectorDetail, error)
	// PutPart replaces one sub-resource. It is idempotent and may be retried.
	// A 200 answer whose status is ERROR is returned as an error.
	PutPart(ctx context.Context, scriptName string, p tenant.Part, data []byte) (tenant.UpdateDetail, error)
	// DeleteConnector deletes a custom connector. A missing connector is an
	// error for which tenant.IsNotFound is true.
	DeleteConnector(ctx context.Context, scriptName string) error
	// ListAllSources returns every source of the target (each names its
	// connector's scriptName). Without the scope to read them it returns an
	// error for which tenant.IsForbidden is true.
	ListAllSources(ctx context.Context, filters string) ([]tenant.Source, error)
}

// statser is implemented by targets that count their HTTP requests
// (*tenant.Client does); Result.Requests is taken from it.
type statser interface {
	Stats() tenant.Stats
}

// meter is a Target that counts the reads and writes made through it.
type meter struct {
	Target
	reads, writes atomic.Int64
	requests0     int64
	locales       detailLocales // completes what details show of translations
	bytes         detailBytes   // reads the parts JSON cannot carry from their sub-resources
	norm          normalisation // parts the tenant serves in another form
}

func newMeter(t Target) *meter {
	m := &meter{Target: t}
	m.requests0 = requestsOf(t)
	return m
}

func requestsOf(t Target) int64 {
	if s, ok := t.(statser); ok {
		return s.Stats().Requests
	}
	return 0
}

// requests returns the HTTP requests the target made since the meter was
// created, or -1 when the target does not count them.
func (m *meter) requests() int64 {
	if _, ok := m.Target.(statser); !ok {
		return -1
	}
	return requestsOf(m.Target) - m.requests0
}

func (m *meter) ListAllConnectors(ctx context.Context, filters string, onTotal func(int)) ([]tenant.Connector, error) {
	m.reads.Add(1)
	return m.Target.ListAllConnectors(ctx, filters, onTotal)
}

// want asks that details of the connectors of cs' names be completed with
// their locales (detailLocales) and their parts' exact bytes (detailBytes).
func (m *meter) want(cs ...bundle.Connector) {
	m.locales.wantLocales(cs...)
	m.bytes.want(cs...)
}

// GetConnector reads a detail, with the bytes of the parts JSON cannot carry
// read from their sub-resources (detailBytes), completed with the wanted
// locales it lacks (detailLocales).
func (m *meter) GetConnector(ctx context.Context, scriptName string) (tenant.ConnectorDetail, error) {
	m.reads.Add(1)
	d, err := m.Target.GetConnector(ctx, scriptName)
	if err != nil {
		return d, err
	}
	if err := m.bytes.complete(ctx, m, scriptName, &d); err != nil {
		return d, err
	}
	return d, m.locales.complete(ctx, m, scriptName, &d)
}

func (m *meter) GetPart(ctx context.Context, scriptName string, p tenant.Part) ([]byte, error) {
	m.reads.Add(1)
	return m.Target.GetPart(ctx, scriptName, p)
}

func (m *meter) CreateConnector(ctx context.Context, c tenant.NewConnector) (tenant.Connector, error) {
	m.writes.Add(1)
	return m.Target.CreateConnector(ctx, c)
}

func (m *meter) PatchConnector(ctx context.Context, scriptName string, ops []tenant.PatchOp) (tenant.ConnectorDetail, error) {
	m.writes.Add(1)
	return m.Target.PatchConnector(ctx, scriptName, ops)
}

func (m *meter) PutPart(ctx context.Context, scriptName string, p tenant.Part, data []byte) (tenant.UpdateDetail, error) {
	m.writes.Add(1)
	return m.Target.PutPart(ctx, scriptName, p, data)
}

func (m *meter) ListAllSources(ctx context.Context, filters string) ([]tenant.Source, error) {
	m.reads.Add(1)
	return m.Target.ListAllSources(ctx, filters)
}

func (m *meter) DeleteConnector(ctx context.Context, scriptName string) error {
	m.writes.Add(1)
	return m.Target.DeleteConnector(ctx, scriptName)
}

// builtIn reports whether a connector of this type is one of SailPoint's own.
// The API has no flag for it; custom connectors' types start with "custom"
// (the tenant's default is "custom <name>"), SailPoint's never do. Built-ins are
// read-only: never written, never deleted.
func builtIn(connectorType string) bool {
	return !strings.HasPrefix(strings.ToLower(strings.TrimSpace(connectorType)), "custom")
}

// trackingID returns the tenant's tracking id carried by err, if any.
func trackingID(err error) string {
	var apiErr *tenant.APIError
	if errors.As(err, &apiErr) {
		return apiErr.TrackingID
	}
	return ""
}

// permanentError marks a failure a plain rerun cannot fix (ItemResult.Retryable).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// retryable reports whether an item that failed with err may succeed on a
// plain rerun. Not: a connector of the name that cannot be found
// (ErrUnresolvedCreate), a request the tenant refused for what it was (a
// 4xx other than 404, 408, 409, 425 and 429: a taken name, bad content, no
// permission), a file the tenant refused (UpdateError), and what is marked
// permanent (a read-back that differs, a renamed connector). Anything else
// (a lost answer, a 5xx, a network failure, an interruption) may pass.
func retryable(err error) bool {
	var (
		pe *permanentError
		ue *tenant.UpdateError
		ae *tenant.APIError
	)
	switch {
	case err == nil:
		return true
	case errors.Is(err, ErrUnresolvedCreate), errors.As(err, &pe), errors.As(err, &ue):
		return false
	case errors.Is(err, tenant.ErrAmbiguous):
		return true
	case errors.As(err, &ae):
		switch ae.Status {
		case http.StatusNotFound, http.StatusRequestTimeout, http.StatusConflict, http.StatusTooEarly, http.StatusTooManyRequests:
			return true
		}
		return ae.Status < 400 || ae.Status >= 500
	}
	return true
}
