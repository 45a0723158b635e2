package tenant

import (
	"testing"
	"time"
)

func TestFilterString(t *testing.T) {
	a, b, c := Sw("name", "a"), Co("type", "b"), Eq("directConnect", true)
	tests := []struct {
		name string
		f    Filter
		want string
	}{
		{"zero", Filter{}, ""},
		{"eq string", Eq("type", "custom x"), `type eq "custom x"`},
		{"eq bool", Eq("directConnect", false), `directConnect eq false`},
		{"eq int", Eq("n", 42), `n eq 42`},
		{"eq float", Eq("n", 1.5), `n eq 1.5`},
		{"eq time", Eq("created", time.Date(2018, 12, 18, 23, 5, 55, 0, time.UTC)), `created eq 2018-12-18T23:05:55Z`},
		{"eq status", Eq("status", StatusReleased), `status eq "RELEASED"`},
		{"quote and backslash", Sw("name", `say "hi" \o/`), `name sw "say \"hi\" \\o/"`},
		{"backslash before quote", Co("name", `a\"b`), `name co "a\\\"b"`},
		{"ca", Ca("features", "SEARCH", `PRO"V`), `features ca ("SEARCH","PRO\"V")`},
		{"and", And(a, b), `name sw "a" and type co "b"`},
		{"or", Or(a, b), `name sw "a" or type co "b"`},
		{"or inside and", And(Or(a, b), c), `(name sw "a" or type co "b") and directConnect eq true`},
		{"and inside or", Or(And(a, b), c), `name sw "a" and type co "b" or directConnect eq true`},
		{"not atom", Not(a), `not (name sw "a")`},
		{"not or", Not(Or(a, b)), `not (name sw "a" or type co "b")`},
		{"not inside and", And(Not(a), b), `not (name sw "a") and type co "b"`},
		{"zero skipped", And(Filter{}, a, Filter{}), `name sw "a"`},
		{"single operand keeps strength", And(And(Or(a, b)), c), `(name sw "a" or type co "b") and directConnect eq true`},
		{"all zero", Or(Filter{}, Filter{}), ""},
		{"not zero", Not(Filter{}), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.String(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
