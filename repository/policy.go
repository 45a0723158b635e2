package repository

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy is a keep-policy with restic's semantics (restic's `forget`,
// documented at restic.readthedocs.io, "Removing snapshots according to a
// policy"), applied to each tenant's snapshots on their own:
//
//   - Last keeps the n newest snapshots.
//   - Hourly, Daily, Weekly, Monthly, Yearly keep, for the n newest hours
//     (days, ISO weeks, months, years) that have snapshots, the newest
//     snapshot of each. Periods are in Location (restic: the snapshot's own
//     time zone, the backup host's). If fewer periods than n have snapshots,
//     the oldest snapshot is kept as well ("oldest daily snapshot"…).
//   - -1 means unlimited (every period); 0 leaves the rule out.
//   - Tags keeps every snapshot that has all the tags of one of its lists
//     (a --keep-tag value "a,b" is the list [a b]).
//
// A snapshot is kept when any rule keeps it, and every reason is reported.
type Policy struct {
	Last, Hourly, Daily, Weekly, Monthly, Yearly int
	Tags                                         [][]string
	// Location is where periods begin; nil means time.Local.
	Location *time.Location
}

// Empty reports whether p keeps nothing at all by itself.
func (p Policy) Empty() bool {
	return p.Last == 0 && p.Hourly == 0 && p.Daily == 0 && p.Weekly == 0 && p.Monthly == 0 && p.Yearly == 0 && len(p.Tags) == 0
}

// String says what p keeps, as prune prints it.
func (p Policy) String() string {
	var parts []string
	for _, r := range []struct {
		n    int
		name string
	}{{p.Last, "last"}, {p.Hourly, "hourly"}, {p.Daily, "daily"}, {p.Weekly, "weekly"}, {p.Monthly, "monthly"}, {p.Yearly, "yearly"}} {
		switch {
		case r.n > 0:
			parts = append(parts, fmt.Sprintf("%d %s", r.n, r.name))
		case r.n == -1:
			parts = append(parts, "all "+r.name)
		}
	}
	for _, t := range p.Tags {
		parts = append(parts, "tagged "+strings.Join(t, ","))
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// Kept is a snapshot a policy keeps, with why.
type Kept struct {
	Snapshot Snapshot `json:"snapshot"`
	Reasons  []string `json:"reasons"`
}

// Apply splits snaps (one tenant's) into those p keeps, newest first with
// their reasons, and those it removes, newest first. It is restic's
// ApplyPolicy for these rules.
func (p Policy) Apply(snaps []Snapshot) (keep []Kept, remove []Snapshot) {
	loc := p.Location
	if loc == nil {
		loc = time.Local
	}
	list := slices.Clone(snaps)
	sortSnapshots(list)
	slices.Reverse(list) // newest first
	type bucket struct {
		count  int
		period func(t time.Time, nr int) int
		last   int
		reason string
	}
	buckets := []bucket{
		{p.Last, func(_ time.Time, nr int) int { return nr }, -1, "last snapshot"},
		{p.Hourly, func(t time.Time, _ int) int { return t.Year()*1000000 + int(t.Month())*10000 + t.Day()*100 + t.Hour() }, -1, "hourly snapshot"},
		{p.Daily, func(t time.Time, _ int) int { return t.Year()*10000 + int(t.Month())*100 + t.Day() }, -1, "daily snapshot"},
		{p.Weekly, func(t time.Time, _ int) int { y, w := t.ISOWeek(); return y*100 + w }, -1, "weekly snapshot"},
		{p.Monthly, func(t time.Time, _ int) int { return t.Year()*100 + int(t.Month()) }, -1, "monthly snapshot"},
		{p.Yearly, func(t time.Time, _ int) int { return t.Year() }, -1, "yearly snapshot"},
	}
	for nr, s := range list {
		var reasons []string
		for _, tags := range p.Tags {
			if s.HasTags(tags) {
				reasons = append(reasons, "has tags "+strings.Join(tags, ","))
			}
		}
		t := s.Time.In(loc)
		oldest := nr == len(list)-1
		for i := range buckets {
			b := &buckets[i]
			if b.count == 0 || b.count < -1 {
				continue
			}
			v := b.period(t, nr)
			if v == b.last && !oldest {
				continue
			}
			reason := b.reason
			if v == b.last {
				// Counts are left but the periods ran out: the oldest
				// snapshot is kept too, which lengthens the history.
				reason = "oldest " + reason
			}
			b.last = v
			if b.count > 0 {
				b.count--
			}
			reasons = append(reasons, reason)
		}
		if len(reasons) > 0 {
			keep = append(keep, Kept{Snapshot: s, Reasons: reasons})
		} else {
			remove = append(remove, s)
		}
	}
	return keep, remove
}
