package repository

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrPolicyRemovesAll is returned by Prune when the policy would leave a
// tenant without any snapshot it chose itself.
var ErrPolicyRemovesAll = errors.New("the policy keeps no snapshot")

// TenantPrune is what Prune decides for one tenant.
type TenantPrune struct {
	Tenant string     `json:"tenant"`
	Keep   []Kept     `json:"keep"`   // newest first
	Remove []Snapshot `json:"remove"` // newest first
}

// PruneOptions say which snapshots Prune considers and whether it removes.
type PruneOptions struct {
	Policy Policy
	// Tenant limits the prune to one tenant ("" for all).
	Tenant string
	// DryRun decides and reports without removing anything.
	DryRun bool
	// Removed, if not nil, hears of each snapshot once it is removed.
	Removed func(Snapshot)
}

// Prune applies opts.Policy to each tenant's snapshots and removes those it
// does not keep (nothing with DryRun). Besides the policy, it always keeps
// the newest complete snapshot of every tenant ("newest complete snapshot").
//
// An empty policy is an error, and so is one that keeps, by its own rules, no
// snapshot of a tenant that has some (ErrPolicyRemovesAll, naming the
// tenants): both are far more likely a mistake than a wish, and nothing is
// removed. Everything is decided before the first removal; a removal that
// fails stops the prune and is returned with what was removed before it.
func (r *Repo) Prune(ctx context.Context, opts PruneOptions) ([]TenantPrune, error) {
	if opts.Policy.Empty() {
		return nil, errors.New("prune: no keep policy given (--keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly or --keep-tag): refusing to remove every snapshot")
	}
	snaps, err := r.List(ctx, opts.Tenant)
	if err != nil {
		return nil, err
	}
	byTenant := map[string][]Snapshot{}
	var tenants []string
	for _, s := range snaps {
		if _, ok := byTenant[s.Tenant]; !ok {
			tenants = append(tenants, s.Tenant)
		}
		byTenant[s.Tenant] = append(byTenant[s.Tenant], s)
	}
	slices.Sort(tenants)
	var plans []TenantPrune
	var empty []string
	for _, t := range tenants {
		keep, remove := opts.Policy.Apply(byTenant[t])
		if len(keep) == 0 {
			empty = append(empty, t)
		}
		keep, remove = keepNewestComplete(keep, remove)
		plans = append(plans, TenantPrune{Tenant: t, Keep: keep, Remove: remove})
	}
	if len(empty) > 0 {
		return plans, fmt.Errorf("prune: %w of tenant %s (policy: keep %s); nothing was removed", ErrPolicyRemovesAll, strings.Join(empty, ", "), opts.Policy)
	}
	if opts.DryRun {
		return plans, nil
	}
	for _, p := range plans {
		for _, s := range p.Remove {
			if err := r.Delete(ctx, s); err != nil {
				return plans, fmt.Errorf("prune: %w", err)
			}
			if opts.Removed != nil {
				opts.Removed(s)
			}
		}
	}
	return plans, nil
}

// keepNewestComplete moves the newest complete snapshot from remove to keep,
// if the policy removed it.
func keepNewestComplete(keep []Kept, remove []Snapshot) ([]Kept, []Snapshot) {
	var newest *Snapshot
	for _, k := range keep {
		if k.Snapshot.Complete && (newest == nil || k.Snapshot.Time.After(newest.Time)) {
			s := k.Snapshot
			newest = &s
		}
	}
	for i, s := range remove {
		if s.Complete && (newest == nil || s.Time.After(newest.Time)) {
			// remove is newest first: the first complete one is the newest.
			keep = append(keep, Kept{Snapshot: s, Reasons: []string{"newest complete snapshot"}})
			sortKept(keep)
			return keep, slices.Delete(slices.Clone(remove), i, i+1)
		}
	}
	return keep, remove
}

// sortKept sorts newest first.
func sortKept(keep []Kept) {
	slices.SortFunc(keep, func(a, b Kept) int {
		if c := b.Snapshot.Time.Compare(a.Snapshot.Time); c != 0 {
			return c
		}
		return strings.Compare(b.Snapshot.ID, a.Snapshot.ID)
	})
}
