//go:build !unix

package cli

// peakRSS returns 0 where the platform does not tell.
func peakRSS() int64 { return 0 }
