package importer

import (
	"testing"
	"time"

	"github.com/connvault/connvault/tenant"
	"github.com/connvault/connvault/tenant/tenantsim"
)

// benchImportEmpty imports n connectors into an empty tenant that enforces
// rate, with a client paced at rate, and reports the requests made, the
// floor (requests ÷ rate: no import can be faster) and elapsed ÷ floor.
// Run with -benchtime 1x: one import takes requests ÷ rate seconds.
func benchImportEmpty(b *testing.B, n int, rate tenant.Rate, concurrency int) {
	sandbox := newTenant(b, tenantsim.Options{Seed: 3, Connectors: n, MaxLocales: 2, TenantName: "sandbox"})
	src := exportSource(b, sandbox)
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		prod := newTenant(b, tenantsim.Options{TenantName: "production", RateLimit: rate.Requests, RateWindow: rate.Per})
		c := prod.client(b, rate)
		opts := testOptions(b)
		opts.Concurrency = concurrency
		b.StartTimer()
		start := time.Now()
		res := mustImport(b, c, src, opts)
		elapsed := time.Since(start)
		b.StopTimer()
		st := c.Stats()
		floor := float64(st.Requests) * rate.Per.Seconds() / float64(rate.Requests)
		b.ReportMetric(float64(st.Requests), "requests")
		b.ReportMetric(float64(res.Writes), "writes")
		b.ReportMetric(floor, "floor-seconds")
		b.ReportMetric(elapsed.Seconds()/floor, "floor-ratio")
		b.ReportMetric(float64(st.RateLimited), "429s")
		b.StartTimer()
	}
}

func BenchmarkImportEmpty50Default(b *testing.B) {
	benchImportEmpty(b, 50, tenant.DefaultRate(), DefaultConcurrency)
}

func BenchmarkImportEmpty500At1000(b *testing.B) {
	benchImportEmpty(b, 500, tenant.Rate{Requests: 1000, Per: time.Second}, 16)
}

// BenchmarkReimportUnchanged re-imports a bundle already imported, at the
// default rate: it must cost reads only (one list, one GET per connector).
// The first import runs unlimited; the rate-limited tenant starts from its
// result, and the mapping file it wrote finds the unlisted connectors.
func BenchmarkReimportUnchanged(b *testing.B) {
	sandbox := newTenant(b, tenantsim.Options{Seed: 3, Connectors: 50, MaxLocales: 2, TenantName: "sandbox"})
	src := exportSource(b, sandbox)
	first := newTenant(b, tenantsim.Options{TenantName: "production"})
	opts := testOptions(b)
	res := mustImport(b, first.client(b), src, opts)
	mapping, err := LoadMapping(res.MappingPath)
	if err != nil {
		b.Fatal(err)
	}
	opts.Mapping = mapping
	prod := newTenant(b, tenantsim.Options{TenantName: "production", RateLimit: 100, RateWindow: 10 * time.Second})
	if err := prod.sim.Restore(first.sim.Dump()); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		prod.sim.ResetStats()
		c := prod.client(b, tenant.DefaultRate())
		b.StartTimer()
		res := mustImport(b, c, src, opts)
		b.StopTimer()
		if w := prod.sim.Stats().Writes; w != 0 || res.Writes != 0 {
			b.Fatalf("re-import wrote: sim %d, result %d", w, res.Writes)
		}
		b.ReportMetric(float64(res.Reads), "reads")
		b.ReportMetric(float64(res.Writes), "writes")
		b.ReportMetric(float64(res.Requests), "requests")
		b.ReportMetric(float64(prod.sim.Stats().RateLimited), "429s")
		b.StartTimer()
	}
}
