package tenant

import (
	"context"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// Tokens revoked again while a request backs off from a 500 must not reach
// the caller: each 401 is answered with a fresh token, a few times over.
func TestFrequentRevocationsUnderFaults(t *testing.T) {
	sim, url := startSim(t, tenantsim.Options{Seed: 24, Connectors: 6, Faults: tenantsim.Faults{RevokeEvery: 20, Error500: 0.1, Seed: 5}})
	c := newTestClient(t, url, func(o *Options) { o.BackoffMin, o.BackoffMax = time.Millisecond, 5*time.Millisecond })
	names := customScriptNames(t, sim)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	errs := runWorkers(ctx, 4, 200, func(ctx context.Context, i int) error {
		_, err := c.GetConnector(ctx, names[i%len(names)])
		return err
	})
	if len(errs) > 0 {
		t.Fatalf("%d of 200 GETs failed under revocations every 20 requests, first: %v", len(errs), errs[0])
	}
	if sim.Stats().Faults["revoke"] == 0 {
		t.Fatal("no revocation happened")
	}
}
