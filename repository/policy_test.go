package repository

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestPolicyRestic checks Policy.Apply against restic's ApplyPolicy
// semantics: the newest snapshot of each of the n newest periods, the oldest
// kept too while counts are left, ISO weeks across a year's end, tag lists
// that must all match, unlimited counts, and every reason reported.
func TestPolicyRestic(t *testing.T) {
	twiceADay := []Snapshot{
		{ID: "s1", Time: at("2026-01-01 01:00")}, {ID: "s2", Time: at("2026-01-01 13:00")},
		{ID: "s3", Time: at("2026-01-02 01:00")}, {ID: "s4", Time: at("2026-01-02 13:00")},
		{ID: "s5", Time: at("2026-01-03 01:00")}, {ID: "s6", Time: at("2026-01-03 13:00")},
	}
	// 2026-12-28 … 2027-01-03 is ISO week 53 of 2026.
	yearEnd := []Snapshot{
		{ID: "w1", Time: at("2026-12-28 02:00")}, {ID: "w2", Time: at("2026-12-31 02:00")},
		{ID: "w3", Time: at("2027-01-01 02:00")}, {ID: "w4", Time: at("2027-01-04 02:00")},
	}
	tagged := []Snapshot{
		{ID: "t1", Time: at("2026-01-01 01:00"), Tags: []string{"a"}},
		{ID: "t2", Time: at("2026-01-02 01:00"), Tags: []string{"a", "b"}},
		{ID: "t3", Time: at("2026-01-03 01:00"), Tags: []string{"b"}},
	}
	for _, tt := range []struct {
		name   string
		snaps  []Snapshot
		policy Policy
		keep   map[string]string // id → reasons joined with "; "
		remove []string          // newest first
	}{
		{"last 3", twiceADay, Policy{Last: 3},
			map[string]string{"s6": "last snapshot", "s5": "last snapshot", "s4": "last snapshot"}, []string{"s3", "s2", "s1"}},
		{"daily 2: newest of each day", twiceADay, Policy{Daily: 2},
			map[string]string{"s6": "daily snapshot", "s4": "daily snapshot"}, []string{"s5", "s3", "s2", "s1"}},
		{"daily 5 with 3 days: the oldest too", twiceADay, Policy{Daily: 5},
			map[string]string{"s6": "daily snapshot", "s4": "daily snapshot", "s2": "daily snapshot", "s1": "oldest daily snapshot"}, []string{"s5", "s3"}},
		{"daily unlimited", twiceADay, Policy{Daily: -1},
			map[string]string{"s6": "daily snapshot", "s4": "daily snapshot", "s2": "daily snapshot", "s1": "oldest daily snapshot"}, []string{"s5", "s3"}},
		{"last 2 and daily 1: both reasons", twiceADay, Policy{Last: 2, Daily: 1},
			map[string]string{"s6": "last snapshot; daily snapshot", "s5": "last snapshot"}, []string{"s4", "s3", "s2", "s1"}},
		{"hourly 2", twiceADay, Policy{Hourly: 2},
			map[string]string{"s6": "hourly snapshot", "s5": "hourly snapshot"}, []string{"s4", "s3", "s2", "s1"}},
		{"weekly 2 across the year's end (ISO weeks)", yearEnd, Policy{Weekly: 2},
			map[string]string{"w4": "weekly snapshot", "w3": "weekly snapshot"}, []string{"w2", "w1"}},
		{"yearly 2", yearEnd, Policy{Yearly: 2},
			map[string]string{"w4": "yearly snapshot", "w2": "yearly snapshot"}, []string{"w3", "w1"}},
		{"monthly 1", yearEnd, Policy{Monthly: 1},
			map[string]string{"w4": "monthly snapshot"}, []string{"w3", "w2", "w1"}},
		{"tag list a,b needs both", tagged, Policy{Tags: [][]string{{"a", "b"}}},
			map[string]string{"t2": "has tags a,b"}, []string{"t3", "t1"}},
		{"tag lists a or b", tagged, Policy{Tags: [][]string{{"a"}, {"b"}}},
			map[string]string{"t3": "has tags b", "t2": "has tags a; has tags b", "t1": "has tags a"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.policy.Location = time.UTC
			keep, remove := tt.policy.Apply(tt.snaps)
			got := map[string]string{}
			var order []string
			for _, k := range keep {
				got[k.Snapshot.ID] = strings.Join(k.Reasons, "; ")
				order = append(order, k.Snapshot.ID)
			}
			if !reflect.DeepEqual(got, tt.keep) {
				t.Errorf("kept %v, want %v", got, tt.keep)
			}
			if !slices.IsSortedFunc(order, func(a, b string) int { return strings.Compare(b, a) }) {
				t.Errorf("kept %v, want newest first", order)
			}
			if !reflect.DeepEqual(ids(remove), tt.remove) && !(len(remove) == 0 && len(tt.remove) == 0) {
				t.Errorf("removed %v, want %v", ids(remove), tt.remove)
			}
		})
	}
}

// TestPrune checks the prune rules of a directory repository: a dry run
// removes nothing, the newest complete snapshot survives any policy, an
// empty policy and one that keeps nothing of a tenant are refused before
// anything is removed, and only the chosen tenant is touched.
func TestPrune(t *testing.T) {
	r := mustOpen(t, t.TempDir(), true)
	day := at("2026-03-01 02:00")
	var a []Snapshot
	for i := range 5 {
		a = append(a, putSnapshot(t, r, "alpha", day.AddDate(0, 0, i), i != 4, []string{"nightly", fmt.Sprint("n", i)}...))
	}
	b := putSnapshot(t, r, "beta", day, true)
	all := func() []string {
		snaps, err := r.List(t.Context(), "")
		if err != nil {
			t.Fatal(err)
		}
		return ids(snaps)
	}
	before := all()
	if len(before) != 6 {
		t.Fatalf("listed %d snapshots, want 6", len(before))
	}

	t.Run("empty policy", func(t *testing.T) {
		_, err := r.Prune(t.Context(), PruneOptions{})
		if err == nil || !strings.Contains(err.Error(), "no keep policy") {
			t.Fatalf("got %v, want a refusal", err)
		}
		if got := all(); !slices.Equal(got, before) {
			t.Fatalf("snapshots changed: %v", got)
		}
	})
	t.Run("policy that keeps nothing", func(t *testing.T) {
		_, err := r.Prune(t.Context(), PruneOptions{Policy: Policy{Tags: [][]string{{"weekly"}}}})
		if !errors.Is(err, ErrPolicyRemovesAll) || !strings.Contains(err.Error(), "alpha, beta") {
			t.Fatalf("got %v, want ErrPolicyRemovesAll naming alpha and beta", err)
		}
		if got := all(); !slices.Equal(got, before) {
			t.Fatalf("snapshots changed: %v", got)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		plans, err := r.Prune(t.Context(), PruneOptions{Policy: Policy{Last: 1}, Tenant: "alpha", DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(plans) != 1 || len(plans[0].Remove) != 3 {
			t.Fatalf("plans %+v, want alpha removing 3", plans)
		}
		if got := all(); !slices.Equal(got, before) {
			t.Fatalf("a dry run removed snapshots: %v", got)
		}
	})
	t.Run("keep last 1 keeps the newest complete one too", func(t *testing.T) {
		var removed []string
		plans, err := r.Prune(t.Context(), PruneOptions{Policy: Policy{Last: 1}, Tenant: "alpha", Removed: func(s Snapshot) { removed = append(removed, s.ID) }})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{a[4].ID: "last snapshot", a[3].ID: "newest complete snapshot"}
		got := map[string]string{}
		for _, k := range plans[0].Keep {
			got[k.Snapshot.ID] = strings.Join(k.Reasons, "; ")
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("kept %v, want %v", got, want)
		}
		if !slices.Equal(removed, []string{a[2].ID, a[1].ID, a[0].ID}) {
			t.Fatalf("removed %v", removed)
		}
		if got := all(); !slices.Equal(got, []string{b.ID, a[3].ID, a[4].ID}) && !slices.Equal(got, []string{a[3].ID, a[4].ID, b.ID}) {
			t.Fatalf("left %v", got)
		}
		for k := range objects(t, r) {
			for _, id := range removed {
				if strings.Contains(k, id) {
					t.Errorf("object %s of a removed snapshot is still there", k)
				}
			}
		}
	})
}
