package repository

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gocloud.dev/gcerrors"
)

// LeftoverAge is how old a leftover (a bundle no record names) must be for
// Prune to remove it: a backup writes its record right after its bundle
// (within commitTimeout), so an older one belongs to no running backup.
const LeftoverAge = time.Hour

// ErrPolicyRemovesAll is returned by Prune when the policy would leave a
// tenant without any snapshot it chose itself.
var ErrPolicyRemovesAll = errors.New("the policy keeps no snapshot")

// TenantPrune is what Prune decides for one tenant.
type TenantPrune struct {
	Tenant string     `json:"tenant"`
	Keep   []Kept     `json:"keep"`   // newest first
	Remove []Snapshot `json:"remove"` // newest first
	// Leftovers are bundles of interrupted backups, older than
	// LeftoverAge, that Prune removes (reports with DryRun).
	Leftovers []Leftover `json:"leftovers,omitempty"`
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
	// RemovedLeftover, if not nil, hears of each leftover once it is removed.
	RemovedLeftover func(Leftover)
}

// Prune applies opts.Policy to each tenant's snapshots and removes those it
// does not keep (nothing with DryRun). Besides the policy, it always keeps
// the newest complete snapshot of every tenant ("newest complete snapshot").
//
// Snapshots whose object is missing or of another size than the record
// says (Snapshot.Problem), or, for the newest one kept when a sound one is
// removed, whose object does not read back as its record says (see
// decide), cannot be restored: the policy is applied to the others only,
// and the broken ones are removed (their record, and what is left of their
// object), each reported with its Problem.
//
// An empty policy is an error, and so is one that keeps, by its own rules, no
// snapshot of a tenant that has sound ones (ErrPolicyRemovesAll, naming the
// tenants): both are far more likely a mistake than a wish, and nothing is
// removed. A Tenant the repository does not hold is ErrUnknownTenant. Everything is decided before the first removal; a removal that
// fails stops the prune and is returned with what was removed before it.
//
// Prune also removes leftovers older than LeftoverAge: bundles of backups
// stopped before their record was written, which no command lists and which
// would otherwise stay in the storage for ever. They are removed after the
// snapshots the policy removes.
func (r *Repo) Prune(ctx context.Context, opts PruneOptions) ([]TenantPrune, error) {
	if opts.Policy.Empty() {
		return nil, errors.New("prune: no keep policy given (--keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly or --keep-tag): refusing to remove every snapshot")
	}
	if opts.Tenant != "" {
		if err := r.RequireTenant(ctx, opts.Tenant); err != nil {
			return nil, err
		}
	}
	snaps, leftovers, err := r.scan(ctx, opts.Tenant)
	if err != nil {
		return nil, err
	}
	byTenant := map[string][]Snapshot{}
	old := map[string][]Leftover{}
	broken := map[string][]Snapshot{}
	for _, s := range snaps {
		if s.Problem != "" {
			broken[s.Tenant] = append(broken[s.Tenant], s)
			continue
		}
		byTenant[s.Tenant] = append(byTenant[s.Tenant], s)
	}
	for _, l := range leftovers {
		if time.Since(l.ModTime) >= LeftoverAge {
			old[l.Tenant] = append(old[l.Tenant], l)
		}
	}
	tenants := slices.Collect(maps.Keys(byTenant))
	for t := range old {
		tenants = append(tenants, t)
	}
	for t := range broken {
		tenants = append(tenants, t)
	}
	slices.Sort(tenants)
	tenants = slices.Compact(tenants)
	var plans []TenantPrune
	var empty []string
	for _, t := range tenants {
		keep, remove, keepsNone, err := r.decide(ctx, opts.Policy, byTenant[t], broken[t])
		if err != nil {
			return plans, fmt.Errorf("prune: %w; nothing was removed", err)
		}
		if keepsNone {
			empty = append(empty, t)
		}
		plans = append(plans, TenantPrune{Tenant: t, Keep: keep, Remove: remove, Leftovers: old[t]})
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
	for _, p := range plans {
		for _, l := range p.Leftovers {
			if err := r.bucket.Delete(ctx, l.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return plans, fmt.Errorf("prune: %w", r.errorf(err, "delete leftover %s", l.Key))
			}
			if opts.RemovedLeftover != nil {
				opts.RemovedLeftover(l)
			}
		}
	}
	return plans, nil
}

// decide applies policy to a tenant's sound snapshots (keepsNone: it keeps
// none of them) and adds its broken ones to remove. When it removes a sound
// snapshot, the newest one kept is first read back (Check): one found
// damaged joins the broken ones and the policy is applied again, so that no
// sound snapshot is removed in favour of one that cannot be restored. A
// read that fails otherwise is returned (nothing is removed).
func (r *Repo) decide(ctx context.Context, policy Policy, sound, broken []Snapshot) (keep []Kept, remove []Snapshot, keepsNone bool, err error) {
	for {
		keep, remove, keepsNone = nil, nil, false
		if len(sound) > 0 {
			keep, remove = policy.Apply(sound)
			keepsNone = len(keep) == 0
			keep, remove = keepNewestComplete(keep, remove)
		}
		if len(remove) == 0 || len(keep) == 0 {
			break
		}
		newest := keep[0].Snapshot
		cerr := r.Check(ctx, newest)
		damaged, isDamaged := errors.AsType[*DamagedError](cerr)
		if cerr != nil && !isDamaged {
			return nil, nil, false, cerr
		}
		if cerr == nil {
			break
		}
		newest.Problem = damaged.Problem
		broken = append(slices.Clone(broken), newest)
		sound = slices.DeleteFunc(slices.Clone(sound), func(s Snapshot) bool { return s.ID == newest.ID })
	}
	remove = append(remove, broken...)
	sortNewestFirst(remove)
	return keep, remove, keepsNone, nil
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

// sortNewestFirst sorts snapshots newest first, as TenantPrune.Remove is.
func sortNewestFirst(snaps []Snapshot) {
	sortSnapshots(snaps)
	slices.Reverse(snaps)
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
