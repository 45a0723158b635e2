package cli

import (
	"os"
	"runtime/debug"
)

// Soft memory limits (runtime/debug.SetMemoryLimit), in bytes, of the
// commands that stream bundles. What they hold grows with the connectors
// (a bundle's parsed manifest, about 2 KB per connector, and the plan's
// hashes and names), not with their content, which is read one connector at
// a time; Go's garbage collector would still let the heap grow to twice what
// is live. A soft limit makes it collect more often instead: bigger
// bundles still work, with more collections. BENCHMARKS.md, "Import:
// requests per connector, and memory at 10,000 connectors" and "diff of two
// bundles", measured both.
const (
	// importMemoryLimit: plan, import, migrate, restore and rollback, whose
	// live heap for 10,000 connectors stays under about 60 MB.
	importMemoryLimit = 80 << 20
	// diffMemoryLimit: diff holds two manifests and one connector pair.
	diffMemoryLimit = 100 << 20
)

// softMemoryLimit sets the process's soft memory limit to limit bytes,
// unless the user set one with GOMEMLIMIT, and returns what restores the
// previous limit.
func softMemoryLimit(limit int64) (restore func()) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	prev := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(prev) }
}
