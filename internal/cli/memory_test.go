package cli

import (
	"runtime/debug"
	"testing"
)

// TestSoftMemoryLimit: the streaming commands' soft memory limit is set
// while they run and put back after; a GOMEMLIMIT the user set wins.
func TestSoftMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	restore := softMemoryLimit(importMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != importMemoryLimit {
		t.Errorf("limit while running %d, want %d", got, importMemoryLimit)
	}
	restore()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after %d, want the previous %d", got, before)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	restore = softMemoryLimit(importMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("with GOMEMLIMIT set the limit is %d, want it left at %d", got, before)
	}
	restore()
}
