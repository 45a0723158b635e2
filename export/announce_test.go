package export_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// notFoundOn answers 404 to the first times GETs whose path ends in suffix,
// as a tenant may while a node catches up; everything else reaches the
// simulator.
func notFoundOn(suffix string, times int) http.RoundTripper {
	var mu sync.Mutex
	n := 0
	return roundTrip(func(req *http.Request) (*http.Response, error) {
		mu.Lock()
		hit := req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, suffix) && n < times
		if hit {
			n++
		}
		mu.Unlock()
		if !hit {
			return http.DefaultTransport.RoundTrip(req)
		}
		body := `{"detailCode":"404 Not found","trackingId":"t1","messages":[{"text":"not found"}]}`
		return &http.Response{StatusCode: http.StatusNotFound, Status: "404 Not Found", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body)),
			ContentLength: int64(len(body)), Request: req}, nil
	})
}

// A part or locale the detail announces is never dropped silently: a 404
// on it is retried like a 5xx, and one that persists fails the connector.
func TestAnnouncedPartIsNeverDropped(t *testing.T) {
	sim, url := newSim(t, tenantsim.Options{Seed: 21, Connectors: 3, MaxLocales: 3})
	d := sim.Dump()
	var c tenantsim.DumpConnector
	for _, dc := range d.Connectors {
		if listedCustom(dc) && dc.SourceConfigXml != "" && len(dc.Translations) > 0 {
			c = dc
			break
		}
	}
	if c.ScriptName == "" {
		t.Fatal("no listed custom connector with a source config and translations")
	}
	var locale string
	for l := range c.Translations {
		locale = l
	}
	tests := []struct {
		name     string
		suffix   string
		times    int
		locales  []string
		complete bool
	}{
		{"source-config 404 once", c.ScriptName + "/source-config", 1, nil, true},
		{"source-config 404 always", c.ScriptName + "/source-config", 1000, nil, false},
		{"detail locale 404 once", c.ScriptName + "/translations/" + locale, 1, []string{"detail"}, true},
		{"detail locale 404 always", c.ScriptName + "/translations/" + locale, 1000, []string{"detail"}, false},
		{"listed locale 404 always, all locales", c.ScriptName + "/translations/" + locale, 1000, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.tar.gz")
			res := mustExport(t, newClientVia(t, url, notFoundOn(tt.suffix, tt.times)), path, export.Options{Locales: tt.locales})
			if res.Manifest.Complete != tt.complete {
				t.Fatalf("complete = %v, want %v (failed %+v)", res.Manifest.Complete, tt.complete, res.Failed)
			}
			if _, err := bundle.Verify(t.Context(), path, bundle.ReadOptions{}); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !tt.complete {
				if len(res.Failed) != 1 || res.Failed[0].ScriptName != c.ScriptName || !strings.Contains(res.Failed[0].Error, "announces") {
					t.Errorf("failed %+v, want %s failed naming the announced part", res.Failed, c.ScriptName)
				}
				return
			}
			want := scriptNames(d, listedCustom)
			checkMatchesTenant(t, path, d, want)
		})
	}
}
