package english

import "testing"

func TestCount(t *testing.T) {
	for n, want := range map[int]string{0: "0 connectors", 1: "1 connector", 2: "2 connectors"} {
		if got := Connectors(n); got != want {
			t.Errorf("Connectors(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Count(1, "retry", "retries"); got != "1 retry" {
		t.Errorf("Count(1, retry) = %q", got)
	}
}
