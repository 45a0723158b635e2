// Package english writes the counts connvault prints: "1 connector",
// "2 connectors".
package english

import "strconv"

// Count returns n with the noun in the number it takes: one when n is 1 (or
// -1), many otherwise, e.g. Count(1, "connector", "connectors").
func Count(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Connectors is Count(n, "connector", "connectors").
func Connectors(n int) string { return Count(n, "connector", "connectors") }
