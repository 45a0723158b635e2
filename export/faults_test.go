package export_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// Frequent revocations under 500s (sim --faults revoke=10,500=0.3): every
// attempt carries the token current when it leaves, so the export completes
// at full concurrency.
func TestExportUnderRevocationsAndFaults(t *testing.T) {
	faults, err := tenantsim.ParseFaults("revoke=10,500=0.3")
	if err != nil {
		t.Fatal(err)
	}
	sim, url := newSim(t, tenantsim.Options{Seed: 51, Connectors: 10, MaxLocales: 4, Faults: faults})
	res := mustExport(t, newClient(t, url), filepath.Join(t.TempDir(), "a.tar.gz"), export.Options{Concurrency: 8})
	if !res.Manifest.Complete {
		t.Fatalf("incomplete under revocations: %+v", res.Failed)
	}
	if sim.Stats().Faults["revoke"] == 0 {
		t.Fatal("no revocation happened")
	}
}

// A tenant that echoes the Authorization header in error bodies: the
// access tokens the client fetched itself never reach the bundle.
func TestFetchedTokensAreRedacted(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 52, Connectors: 4})
	victim := scriptNames(sim.Dump(), listedCustom)[0]
	var mu sync.Mutex
	var seen []string
	echo := roundTrip(func(req *http.Request) (*http.Response, error) {
		if auth := req.Header.Get("Authorization"); auth != "" {
			mu.Lock()
			seen = append(seen, strings.TrimPrefix(auth, "Bearer "))
			mu.Unlock()
		}
		if !strings.HasSuffix(req.URL.Path, "/"+victim) {
			return http.DefaultTransport.RoundTrip(req)
		}
		body := `{"detailCode":"500.0 Internal Fault","trackingId":"t","messages":[{"text":"failed request with Authorization: ` + req.Header.Get("Authorization") + `"}]}`
		return &http.Response{StatusCode: 500, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	})
	path := filepath.Join(t.TempDir(), "b") + "/"
	res := mustExport(t, newClientVia(t, url, echo), path, export.Options{Locales: []string{"detail"}})
	if res.Manifest.Complete || len(res.Failed) != 1 || !strings.Contains(res.Failed[0].Error, "[redacted]") {
		t.Fatalf("failed %+v: want the victim failed with its token redacted", res.Failed)
	}
	manifest, err := os.ReadFile(filepath.Join(path, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 {
		t.Fatal("no token seen")
	}
	for _, tok := range seen {
		if bytes.Contains(manifest, []byte(tok)) || strings.Contains(res.Failed[0].Error, tok) {
			t.Fatalf("an access token the client fetched is in the manifest or the error")
		}
	}
}

// A 429 asking for a wait past the maximum stops the whole export: nothing
// is written, and the error says when to rerun.
func TestExportStopsOnAWaitPastTheMaximum(t *testing.T) {
	_, url := newSim(t, tenantsim.Options{Seed: 53, Connectors: 4})
	limited := roundTrip(func(req *http.Request) (*http.Response, error) {
		if strings.HasPrefix(req.URL.Path, "/v2025/connectors/") {
			return &http.Response{StatusCode: 429, Header: http.Header{"Retry-After": {"7200"}}, Body: http.NoBody, Request: req}, nil
		}
		return http.DefaultTransport.RoundTrip(req)
	})
	dir := t.TempDir()
	_, err := runExport(t, t.Context(), newClientVia(t, url, limited), filepath.Join(dir, "a.tar.gz"), export.Options{Locales: []string{"detail"}})
	if !errors.Is(err, tenant.ErrWaitTooLong) || !strings.Contains(err.Error(), "rerun after") {
		t.Fatalf("err = %v, want the run stopped by a wait too long, saying when to rerun", err)
	}
	checkEmpty(t, dir)
}
