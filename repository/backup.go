package repository

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"filippo.io/age"
	"gocloud.dev/gcerrors"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/export"
	"github.com/connvault/connvault/tenant"
)

// BackupOptions say what to back up and how to store it.
type BackupOptions struct {
	// Tenant names the tenant in the repository (see CheckTenant).
	Tenant string
	// Export are the export options. The previous snapshot's hidden
	// connectors are added to Export.CarryForward.
	Export export.Options
	// Writer are the bundle's writer options (createdAt, tool version,
	// source); InMemory is set when the snapshot is encrypted.
	Writer bundle.WriterOptions
	// Tags label the snapshot.
	Tags []string
	// Recipients encrypt the snapshot with age when not empty.
	Recipients []age.Recipient
	// TempDir is where a clear snapshot is staged ("" means os.TempDir());
	// an encrypted one is staged in memory.
	TempDir string
	// AllowPlaintext stores a clear snapshot (no Recipients) although the
	// tenant's latest snapshot is encrypted; without it that is
	// ErrPlaintextAfterEncrypted.
	AllowPlaintext bool
	// Moved stores the snapshot although the tenant's latest snapshot was
	// taken of another tenant URL (Writer.Source.URL): the tenant moved
	// (a new URL, a disaster-recovery tenant taking over). Without it that
	// is ErrTenantMoved.
	Moved bool
	// Forget are scriptNames dropped from the carry-forward list and from
	// the gone list (Snapshot.Gone): hidden connectors deleted on purpose.
	Forget []string
}

// ErrPlaintextAfterEncrypted is returned by Backup, before anything is read
// or written, when no recipients are given for a tenant whose latest
// snapshot is encrypted (and BackupOptions.AllowPlaintext is not set): a
// forgotten --recipient would otherwise store the tenant in clear.
var ErrPlaintextAfterEncrypted = errors.New("the latest snapshot is encrypted, and no recipient was given")

// ErrTenantMoved is returned by Backup, before anything is read or written,
// when the tenant's latest snapshot was taken of another tenant URL than
// this backup's (and BackupOptions.Moved is not set): a wrong --tenant or
// SAIL_* environment would otherwise file one tenant's connectors under
// another's name, and a prune would then remove the real tenant's
// snapshots.
var ErrTenantMoved = errors.New("the latest snapshot is of another tenant URL")

// BackupResult is what a backup did.
type BackupResult struct {
	// Snapshot is the snapshot written, or with Unchanged the latest one,
	// whose content the tenant still has.
	Snapshot Snapshot
	// Unchanged is true when nothing was stored: the tenant's content digest
	// equals the latest snapshot's, which was complete.
	Unchanged bool
	// Export is the export's result.
	Export export.Result
	// CarriedForward are the hidden scriptNames taken from the previous
	// snapshot (export.Options.CarryForward). Gone are the hidden
	// connectors carried forward that the tenant no longer has (404), in
	// this run or an earlier one, and that no connector of the snapshot
	// replaces (Snapshot.Gone): each backup reports them until they are
	// named again or forgotten. Replaced maps the gone scriptNames this run
	// found replaced to their replacements (same name, new scriptName, as a
	// restore creates them).
	CarriedForward []string
	Gone           []HiddenConnector
	Replaced       map[string]string
	// Forgotten are the scriptNames of BackupOptions.Forget that the
	// latest snapshot carried forward or reported gone: those the forget
	// dropped (the others named nothing of this tenant).
	Forgotten []string
	// Damaged, when not empty, says why the latest snapshot cannot be
	// restored (its object missing, of another size or SHA-256, or
	// unreadable: Snapshot.Problem, Check); a new snapshot was stored, also
	// when the tenant is unchanged since it.
	Damaged string
}

// Status is a tenant's last backup run, kept in tenants/<tenant>/status.json:
// monitors read when a tenant was last checked, also when nothing new was
// stored.
type Status struct {
	Tenant        string    `json:"tenant"`
	CheckedAt     time.Time `json:"checkedAt"`
	Result        string    `json:"result"` // "stored", "unchanged" or "partial"
	Snapshot      string    `json:"snapshot"`
	ContentDigest string    `json:"contentDigest"`
	// Gone are the scriptNames of BackupResult.Gone: hidden connectors the
	// snapshot lacks although earlier ones carried them.
	Gone []string `json:"gone,omitempty"`
}

// Backup exports the tenant src into a new snapshot of opts.Tenant. When
// the content digest equals the latest snapshot's (and both are complete),
// and so do the encryption (recipients), the carry-forward list and the
// gone list, and that snapshot has every tag of opts.Tags and its stored
// object still has the size and SHA-256 its record names (Check reads it
// whole), it stores nothing and returns that snapshot with Unchanged (a
// broken one is reported in BackupResult.Damaged and replaced). Otherwise the
// bundle is written straight into the repository (encrypted as it is
// written, with opts.Recipients), then its record. The tenant's status is
// updated either way. An error leaves the repository as it was, but for
// invisible leftovers of an interrupted upload (see the package
// documentation). A snapshot with failed connectors is stored, marked
// incomplete; the caller reports it as partial.
func (r *Repo) Backup(ctx context.Context, src export.Source, opts BackupOptions) (BackupResult, error) {
	if err := CheckTenant(opts.Tenant); err != nil {
		return BackupResult{}, err
	}
	var res BackupResult
	prev, hasPrev, err := r.Latest(ctx, opts.Tenant)
	if err != nil {
		return res, err
	}
	encrypted := len(opts.Recipients) > 0
	if hasPrev && prev.Encrypted && !encrypted && !opts.AllowPlaintext {
		return res, fmt.Errorf("tenant %s: %w (snapshot %s): give the recipients (--recipient, --recipients-file), or --allow-plaintext to store this one in clear", opts.Tenant, ErrPlaintextAfterEncrypted, prev.ID)
	}
	if at := opts.Writer.Source.URL; hasPrev && prev.Source.URL != "" && at != "" && !tenant.SameURL(prev.Source.URL, at) && !opts.Moved {
		return res, fmt.Errorf("tenant %s: %w: snapshot %s is of %s, this backup reads %s; check --tenant and the tenant's URL, or give --tenant-moved if %s now lives at %s", opts.Tenant, ErrTenantMoved, prev.ID, prev.Source.URL, at, opts.Tenant, at)
	}
	var prevGone []HiddenConnector
	if hasPrev {
		carried := 0
		for _, h := range prev.Hidden {
			if !slices.Contains(opts.Forget, h.ScriptName) {
				opts.Export.CarryForward = append(opts.Export.CarryForward, export.Hidden{ScriptName: h.ScriptName, Name: h.Name})
				res.CarriedForward = append(res.CarriedForward, h.ScriptName)
				carried++
			} else if !slices.Contains(res.Forgotten, h.ScriptName) {
				res.Forgotten = append(res.Forgotten, h.ScriptName)
			}
		}
		if carried > 0 {
			opts.Export.CarriedFrom = append(slices.Clone(opts.Export.CarriedFrom), "snapshot "+prev.ID)
		}
		for _, g := range prev.Gone {
			if !slices.Contains(opts.Forget, g.ScriptName) {
				prevGone = append(prevGone, g)
			} else if !slices.Contains(res.Forgotten, g.ScriptName) {
				res.Forgotten = append(res.Forgotten, g.ScriptName)
			}
		}
	}
	wopts := opts.Writer
	if wopts.CreatedAt.IsZero() {
		wopts.CreatedAt = time.Now()
	}
	wopts.CreatedAt = wopts.CreatedAt.UTC().Truncate(time.Second)
	if hasPrev && !wopts.CreatedAt.After(prev.Time) {
		// Snapshots sort by time (whole seconds), then by a random id: a
		// second backup within the same second (or under a fixed
		// SOURCE_DATE_EPOCH) is made a second younger, so that it is the
		// latest and the next backup compares with it.
		wopts.CreatedAt = prev.Time.Add(time.Second)
	}
	wopts.InMemory = len(opts.Recipients) > 0
	wopts.Options = export.OptionsJSON(opts.Export)
	wopts.Scope = export.ScopeOf(opts.Export)
	sink := &lateWriter{}
	w, err := bundle.CreateStream(sink, opts.TempDir, wopts)
	if err != nil {
		return res, err
	}
	defer w.Abort()
	if res.Export, err = export.Run(ctx, src, w, opts.Export); err != nil {
		return res, fmt.Errorf("export: %w", err)
	}
	digest, complete, err := w.PendingDigest()
	if err != nil {
		return res, err
	}
	res.Gone, res.Replaced = goneAfter(prevGone, opts.Export.CarryForward, res.Export)
	recipients := recipientsDigest(opts.Recipients)
	same := hasPrev && prev.Complete && complete && prev.ContentDigest == digest && prev.Encrypted == encrypted &&
		prev.Recipients == recipients && sameCarry(prev.Hidden, res.Export) && sameGone(prev.Gone, res.Gone) &&
		prev.HasTags(opts.Tags) // a tag the latest lacks is a new snapshot: tag-based retention must see it
	if hasPrev && prev.Problem != "" {
		// The listing shows it broken: a new snapshot is stored (below)
		// whether or not the tenant changed, and this says why.
		res.Damaged = (&DamagedError{ID: prev.ID, Tenant: prev.Tenant, Problem: prev.Problem}).Error()
		same = false
	}
	if same {
		// "Unchanged" stores nothing, so the latest snapshot must really be
		// there: a snapshot whose object is missing, truncated or altered
		// (or cannot be read back) is replaced by a new one, never trusted.
		if err := r.Check(ctx, prev); err != nil {
			if ctx.Err() != nil {
				return res, err
			}
			res.Damaged, same = err.Error(), false
		}
	}
	if same {
		_ = w.Abort()
		res.Snapshot, res.Unchanged = prev, true
		return res, r.writeStatus(ctx, Status{Tenant: opts.Tenant, CheckedAt: time.Now().UTC(), Result: "unchanged", Snapshot: prev.ID, ContentDigest: digest, Gone: goneNames(res.Gone)})
	}
	s := Snapshot{Tenant: opts.Tenant, Time: wopts.CreatedAt, Tags: opts.Tags, ToolVersion: wopts.ToolVersion,
		Source: bundleSource(wopts.Source), Options: wopts.Options, Recipients: recipients, Gone: res.Gone}
	err = r.put(ctx, &s, opts.Recipients, func(out io.Writer) error {
		sink.w = out
		m, err := w.Commit(ctx)
		if err != nil {
			return err
		}
		s.Connectors, s.ContentDigest, s.Complete, s.Failed = len(m.Connectors), m.ContentDigest, m.Complete, len(m.Errors)
		for _, h := range export.CarryForward(m) {
			s.Hidden = append(s.Hidden, HiddenConnector{ScriptName: h.ScriptName, Name: h.Name})
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Snapshot = s
	result := "stored"
	if !s.Complete {
		result = "partial"
	}
	// The snapshot is stored: its status is written even if ctx was
	// cancelled meanwhile, so that a stored snapshot is reported as such.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	if err := r.writeStatus(sctx, Status{Tenant: opts.Tenant, CheckedAt: time.Now().UTC(), Result: result, Snapshot: s.ID, ContentDigest: s.ContentDigest, Gone: goneNames(res.Gone)}); err != nil {
		return res, fmt.Errorf("snapshot %s of tenant %s is stored, but its status was not written: %w", s.ID, opts.Tenant, err)
	}
	return res, nil
}

// lateWriter forwards to a writer known only once the bundle is committed.
type lateWriter struct{ w io.Writer }

func (l *lateWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return 0, fmt.Errorf("bundle written before its destination was opened")
	}
	return l.w.Write(p)
}

// writeStatus records the tenant's last backup run.
func (r *Repo) writeStatus(ctx context.Context, st Status) error {
	return r.writeJSON(ctx, tenantsDir+st.Tenant+statusName, st, false)
}

// LastStatus returns the last backup run of tenant; ok is false before the
// first.
func (r *Repo) LastStatus(ctx context.Context, tenantName string) (st Status, ok bool, err error) {
	data, err := r.bucket.ReadAll(ctx, tenantsDir+tenantName+statusName)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Status{}, false, nil
	}
	if err != nil {
		return Status{}, false, r.errorf(err, "read the status of tenant %s", tenantName)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return Status{}, false, fmt.Errorf("repository %s: status of tenant %s: %w", r.loc, tenantName, err)
	}
	return st, true, nil
}
