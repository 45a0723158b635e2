//go:build !unix

package main

import "os"

// peakRSS returns 0 where the platform does not tell.
func peakRSS(*os.ProcessState) int64 { return 0 }
