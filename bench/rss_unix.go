//go:build unix

package main

import (
	"os"
	"syscall"
)

// peakRSS returns the peak resident set size in bytes of the finished
// process ps describes, from its rusage (0 if unknown). The benchmark
// measures connvault from outside, so connvault's own output carries no
// benchmark figures.
func peakRSS(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	return ru.Maxrss * 1024 // kilobytes on Linux
}
