package tenant

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/connvault/connvault/tenant/tenantsim"
)

// getFunc is the GET a benchmark repeats.
type getFunc func(ctx context.Context, c *Client, scriptName string) error

func getConnector(ctx context.Context, c *Client, scriptName string) error {
	_, err := c.GetConnector(ctx, scriptName)
	return err
}

func getSourceConfig(ctx context.Context, c *Client, scriptName string) error {
	_, err := c.GetPart(ctx, scriptName, Part{Kind: SourceConfig})
	return err
}

// benchGets runs n GETs of custom connectors on workers goroutines against a
// fresh simulated tenant per iteration, and reports the elapsed time against
// the floor that the tenant's sliding window allows and the 429s seen.
func benchGets(b *testing.B, simOpts tenantsim.Options, clientOpts Options, get getFunc, n, workers int) {
	b.Helper()
	var elapsed time.Duration
	var rateLimited, retries int64
	for range b.N {
		b.StopTimer()
		sim := tenantsim.New(simOpts)
		srv := httptest.NewServer(sim)
		var names []string
		for _, c := range sim.Dump().Connectors {
			if !c.BuiltIn {
				names = append(names, c.ScriptName)
			}
		}
		o := clientOpts
		o.BaseURL, o.ClientID, o.ClientSecret = srv.URL, "sim-client", "sim-secret"
		c, err := New(o)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		errs := runWorkers(b.Context(), workers, n, func(ctx context.Context, i int) error {
			return get(ctx, c, names[i%len(names)])
		})
		elapsed += time.Since(start)
		b.StopTimer()
		srv.Close()
		if len(errs) > 0 {
			b.Fatalf("%d GETs failed, first: %v", len(errs), errs[0])
		}
		st := c.Stats()
		rateLimited += st.RateLimited
		retries += st.Retries
		b.StartTimer()
	}
	perRun := elapsed / time.Duration(b.N)
	if r := clientOpts.Rate; !r.IsUnlimited() && n > r.Requests {
		b.ReportMetric(float64(perRun)/float64(WindowFloor(n, r)), "floor-ratio")
	}
	b.ReportMetric(float64(rateLimited)/float64(b.N), "429s/op")
	b.ReportMetric(float64(retries)/float64(b.N), "retries/op")
}

// BenchmarkGets300Default: 300 GETs, 8 workers, the tenant and the client both
// at ISC's default 100 per 10s. Floor: 20s (three windows: 100 requests at
// once, 100 after 10s, 100 after 20s).
func BenchmarkGets300Default(b *testing.B) {
	benchGets(b,
		tenantsim.Options{Seed: 1, Connectors: 50, RateLimit: 100, RateWindow: 10 * time.Second},
		Options{Rate: DefaultRate()}, getConnector, 300, 8)
}

// BenchmarkGets5000At1000: 5000 GETs, 16 workers, tenant and client at
// 1000 per second. Floor: 4s. The GETs are of source-config (a small XML):
// a connector's detail costs about 1ms of CPU to encode and decode, so on a
// 2-core machine 1000 of them per second would measure the CPU, not the pace.
func BenchmarkGets5000At1000(b *testing.B) {
	r := Rate{Requests: 1000, Per: time.Second}
	benchGets(b,
		tenantsim.Options{Seed: 2, Connectors: 50, RateLimit: r.Requests, RateWindow: r.Per},
		Options{Rate: r}, getSourceConfig, 5000, 16)
}

// BenchmarkGetsWithFaults: 2000 GETs, 8 workers, no rate limit, 5% of the
// answers are 500s and 5% are connection resets; not one may reach the caller.
func BenchmarkGetsWithFaults(b *testing.B) {
	f, err := tenantsim.ParseFaults("500=0.05,reset=0.05,seed=9")
	if err != nil {
		b.Fatal(err)
	}
	benchGets(b,
		tenantsim.Options{Seed: 3, Connectors: 50, Faults: f},
		Options{Rate: Unlimited(), MaxAttempts: 10, BackoffMin: time.Millisecond, BackoffMax: 20 * time.Millisecond},
		getConnector, 2000, 8)
}
