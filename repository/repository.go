package repository

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob" // gs:// URLs
	_ "gocloud.dev/blob/s3blob"  // s3:// URLs
	"gocloud.dev/gcerrors"
)

// Names of the repository's objects (see the package documentation).
const (
	markerKey      = "connvault-repository.json"
	tenantsDir     = "tenants/"
	snapshotsDir   = "/snapshots/"
	recordExt      = ".json"
	archiveExt     = ".tar.gz"
	encryptedExt   = ".tar.gz.age"
	statusName     = "/status.json"
	markerFormat   = "connvault-repository"
	recordFormat   = "connvault-snapshot"
	layoutVersion  = 1
	snapshotIDTime = "20060102T150405Z"
)

// ErrNoRepository is returned by Open, for a reader, when the location holds no
// repository (no connvault-repository.json).
var ErrNoRepository = errors.New("no connvault repository here")

// ErrUnknownSnapshot is returned by Resolve when no snapshot matches.
var ErrUnknownSnapshot = errors.New("no such snapshot")

// ErrAmbiguousSnapshot is returned by Resolve when the reference names
// several snapshots: an id prefix of more than one, or "latest" in a
// repository of several tenants without a tenant.
var ErrAmbiguousSnapshot = errors.New("names more than one snapshot")

// ErrUnknownTenant is returned by RequireTenant (and so by Prune and Resolve
// given a tenant) when the repository holds nothing of the tenant named: a
// mistyped --tenant is not a tenant without snapshots.
var ErrUnknownTenant = errors.New("no such tenant")

// Repo is a repository of snapshots at a location. It is safe for concurrent
// use; Close releases it.
type Repo struct {
	bucket *blob.Bucket
	loc    string // the location as shown to the user (no credentials)
}

// Open opens the repository at location: a directory path, file:///path,
// s3://bucket[/prefix][?query], gs://bucket[/prefix] or
// azblob://container[/prefix]. The query carries gocloud.dev's options (for
// S3-compatible servers: endpoint=URL, use_path_style=true, region=R,
// disable_https=true); credentials come from each cloud's usual environment
// (AWS_ACCESS_KEY_ID…, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_…).
//
// With create, a directory is created (0700) and the repository's marker is
// written if missing (backup); without, a location without a marker is
// ErrNoRepository (every reader), so that a mistyped location is not taken for
// an empty repository. An unreachable location or refused credentials are
// errors naming the location.
func Open(ctx context.Context, location string, create bool) (*Repo, error) {
	b, shown, err := openBucket(ctx, location, create)
	if err != nil {
		return nil, err
	}
	r := &Repo{bucket: b, loc: shown}
	ok, err := b.Exists(ctx, markerKey)
	if err != nil {
		_ = b.Close()
		return nil, r.errorf(err, "read %s", markerKey)
	}
	if ok {
		if err := r.checkMarker(ctx); err != nil {
			_ = b.Close()
			return nil, err
		}
		return r, nil
	}
	if !create {
		_ = b.Close()
		return nil, fmt.Errorf("repository %s: %w (%s is missing; `connvault backup --repo` creates one)", shown, ErrNoRepository, markerKey)
	}
	data, _ := json.Marshal(map[string]any{"format": markerFormat, "version": layoutVersion})
	err = b.WriteAll(ctx, markerKey, append(data, '\n'), writerOptions("application/json", true))
	if err != nil && gcerrors.Code(err) != gcerrors.FailedPrecondition { // FailedPrecondition: another run wrote it first
		_ = b.Close()
		return nil, r.errorf(err, "write %s", markerKey)
	}
	return r, nil
}

// checkMarker refuses a repository of a newer layout or of another program.
func (r *Repo) checkMarker(ctx context.Context) error {
	data, err := r.bucket.ReadAll(ctx, markerKey)
	if err != nil {
		return r.errorf(err, "read %s", markerKey)
	}
	var m struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if json.Unmarshal(data, &m) != nil || m.Format != markerFormat {
		return fmt.Errorf("repository %s: %s is not a connvault repository marker", r.loc, markerKey)
	}
	if m.Version > layoutVersion {
		return fmt.Errorf("repository %s: layout version %d is newer than this connvault reads (%d)", r.loc, m.Version, layoutVersion)
	}
	return nil
}

// openBucket opens the bucket of location and returns it with the location
// as it may be shown (without user information).
func openBucket(ctx context.Context, location string, create bool) (*blob.Bucket, string, error) {
	if location == "" {
		return nil, "", errors.New("repository: no location given")
	}
	if !strings.Contains(location, "://") {
		return openDir(location, create)
	}
	u, err := url.Parse(location)
	if err != nil {
		return nil, "", fmt.Errorf("repository %q: %w", location, err)
	}
	u.User = nil
	shown := u.String()
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, "", fmt.Errorf("repository %s: a file URL names a local path (file:///path)", shown)
		}
		if u.RawQuery != "" {
			return nil, "", fmt.Errorf("repository %s: a file URL takes no options", shown)
		}
		b, _, err := openDir(u.Path, create)
		return b, shown, err
	case "s3", "gs", "azblob":
	default:
		return nil, "", fmt.Errorf("repository %s: unsupported scheme %q (want a directory, file://, s3://, gs:// or azblob://)", shown, u.Scheme)
	}
	if u.Host == "" {
		return nil, "", fmt.Errorf("repository %s: no bucket named", shown)
	}
	prefix := strings.Trim(u.Path, "/")
	bucketURL := url.URL{Scheme: u.Scheme, Host: u.Host, RawQuery: u.RawQuery}
	b, err := blob.OpenBucket(ctx, bucketURL.String())
	if err != nil {
		return nil, "", fmt.Errorf("repository %s: %w", shown, err)
	}
	ok, err := b.IsAccessible(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("bucket %q does not exist", u.Host)
	}
	if err != nil {
		_ = b.Close()
		return nil, "", (&Repo{loc: shown}).errorf(err, "reach the bucket")
	}
	if prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	return b, shown, nil
}

// openDir opens a directory repository. Its directories are 0700, so that
// the snapshots in it are the owner's alone; temporary files of a write are
// made beside their object (never in another file system) and never listed
// as snapshots.
func openDir(dir string, create bool) (*blob.Bucket, string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, dir, fmt.Errorf("repository %s: %w", dir, err)
	}
	if info, err := os.Stat(abs); err == nil && !info.IsDir() {
		return nil, dir, fmt.Errorf("repository %s: not a directory", dir)
	} else if err != nil && !(create && errors.Is(err, os.ErrNotExist)) {
		return nil, dir, fmt.Errorf("repository %s: %w", dir, err)
	}
	b, err := fileblob.OpenBucket(abs, &fileblob.Options{
		CreateDir:   create,
		DirFileMode: 0o700,
		NoTempDir:   true,
		Metadata:    fileblob.MetadataDontWrite,
	})
	if err != nil {
		return nil, dir, fmt.Errorf("repository %s: %w", dir, err)
	}
	return b, dir, nil
}

// Location is the repository's location as it may be shown.
func (r *Repo) Location() string { return r.loc }

// Close releases the repository.
func (r *Repo) Close() error { return r.bucket.Close() }

// errorf wraps err from the storage with what was being done and, for the
// common failures, what to check.
func (r *Repo) errorf(err error, format string, a ...any) error {
	what := fmt.Sprintf(format, a...)
	hint := ""
	var status interface{ HTTPStatusCode() int } // AWS SDK errors
	switch {
	case gcerrors.Code(err) == gcerrors.PermissionDenied,
		errors.As(err, &status) && (status.HTTPStatusCode() == 401 || status.HTTPStatusCode() == 403):
		hint = " (access denied: check the storage credentials and their permissions)"
	case gcerrors.Code(err) == gcerrors.NotFound:
		hint = " (not found)"
	}
	return fmt.Errorf("repository %s: %s%s: %w", r.loc, what, hint, err)
}

// Snapshot is a snapshot's record: what `connvault snapshots` lists. The
// record is stored in clear beside the snapshot, also when the snapshot is
// encrypted (see the package documentation for what it reveals).
type Snapshot struct {
	Format  string `json:"format"`  // "connvault-snapshot"
	Version int    `json:"version"` // 1
	// ID sorts by time: "20261201T021500Z-1a2b3c4d" (the snapshot's time in
	// UTC, then 8 random hex digits).
	ID     string    `json:"id"`
	Tenant string    `json:"tenant"`
	Time   time.Time `json:"time"` // the bundle's createdAt
	// Connectors, ContentDigest and Complete are the bundle's manifest's;
	// Failed counts its errors.
	Connectors    int    `json:"connectors"`
	ContentDigest string `json:"contentDigest"`
	Complete      bool   `json:"complete"`
	Failed        int    `json:"failed,omitempty"`
	// Object is the key of the bundle in the repository; Size (bytes) and
	// SHA256 are the stored object's, encrypted or not.
	Object    string   `json:"object"`
	Size      int64    `json:"size"`
	SHA256    string   `json:"sha256"`
	Encrypted bool     `json:"encrypted"`
	Tags      []string `json:"tags,omitempty"`
	// Hidden are the connectors the list does not show (not RELEASED),
	// which the next backup carries forward (export.CarryForward).
	Hidden []HiddenConnector `json:"hidden,omitempty"`
	// Gone are the hidden connectors earlier snapshots carried forward that
	// the tenant no longer has (404) and that nothing replaced: each backup
	// reports them until they are named again or forgotten (see
	// BackupResult.Gone).
	Gone []HiddenConnector `json:"gone,omitempty"`
	// Recipients identifies the age recipients of an encrypted snapshot
	// (recipientsDigest; empty when clear, or written before it existed).
	Recipients  string          `json:"recipients,omitempty"`
	Source      bundleSource    `json:"source"`
	ToolVersion string          `json:"toolVersion,omitempty"`
	Options     json.RawMessage `json:"options,omitempty"`
	// Problem is not stored: List sets it when the snapshot's object is
	// missing ("missing: …") or has another size than the record says
	// ("damaged: …"); empty when the listing shows nothing wrong (only
	// Check, which reads the object, also compares its SHA-256).
	Problem string `json:"problem,omitempty"`
}

// State is "missing" or "damaged" for a snapshot with a Problem, else "ok".
func (s Snapshot) State() string {
	if state, _, ok := strings.Cut(s.Problem, ":"); ok {
		return state
	}
	return "ok"
}

// HiddenConnector is a connector the list does not show, by scriptName and
// name.
type HiddenConnector struct {
	ScriptName string `json:"scriptName"`
	Name       string `json:"name,omitempty"`
}

// bundleSource is bundle.Source, repeated so that the record's JSON does not
// change when the bundle's does.
type bundleSource struct {
	URL string `json:"url,omitempty"`
	API string `json:"api,omitempty"`
}

// HasTags reports whether s has every tag of list.
func (s Snapshot) HasTags(list []string) bool {
	for _, t := range list {
		if !slices.Contains(s.Tags, t) {
			return false
		}
	}
	return true
}

var (
	tenantRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	idRE     = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)
)

// CheckTenant refuses a tenant name that is not a safe key segment: 1 to 100
// of [A-Za-z0-9._-], not only dots.
func CheckTenant(name string) error {
	if !tenantRE.MatchString(name) || strings.Trim(name, ".") == "" {
		return fmt.Errorf("tenant name %q: want 1 to 100 of A-Z a-z 0-9 . _ - (not only dots)", name)
	}
	return nil
}

func recordKey(tenant, id string) string { return tenantsDir + tenant + snapshotsDir + id + recordExt }

func objectKey(tenant, id string, encrypted bool) string {
	if encrypted {
		return tenantsDir + tenant + snapshotsDir + id + encryptedExt
	}
	return tenantsDir + tenant + snapshotsDir + id + archiveExt
}

// parseKey splits a key under tenants/ into tenant, snapshot id and the kind
// of object ("record", "archive", "encrypted"); ok is false for any other key.
func parseKey(key string) (tenant, id, kind string, ok bool) {
	rest, found := strings.CutPrefix(key, tenantsDir)
	if !found {
		return "", "", "", false
	}
	tenant, name, found := strings.Cut(rest, snapshotsDir)
	if !found || CheckTenant(tenant) != nil || strings.Contains(name, "/") {
		return "", "", "", false
	}
	for _, k := range []struct{ ext, kind string }{{recordExt, "record"}, {encryptedExt, "encrypted"}, {archiveExt, "archive"}} {
		if id, found := strings.CutSuffix(name, k.ext); found && idRE.MatchString(id) {
			return tenant, id, k.kind, true
		}
	}
	return "", "", "", false
}

// List returns the snapshots of tenant ("" for every tenant), oldest first
// (by time, then id). A snapshot is listed once its record is written, which
// happens after its bundle is stored whole: a backup that stopped halfway is
// never listed. A record whose bundle is missing, or of another size than
// the record says, is listed with its Problem (one broken snapshot does not
// hide the others).
func (r *Repo) List(ctx context.Context, tenant string) ([]Snapshot, error) {
	snaps, _, err := r.scan(ctx, tenant)
	return snaps, err
}

// Leftover is a bundle object that no record names: what a backup stopped
// between storing its bundle and writing its record leaves (see the package
// documentation). Prune removes leftovers older than LeftoverAge.
type Leftover struct {
	Tenant  string    `json:"tenant"`
	Key     string    `json:"key"`
	Size    int64     `json:"size"`    // bytes
	ModTime time.Time `json:"modTime"` // when the storage committed it
}

// scan lists the snapshots of tenant ("" for all) as List does, and the
// leftovers beside them, sorted by key.
func (r *Repo) scan(ctx context.Context, tenant string) ([]Snapshot, []Leftover, error) {
	prefix := tenantsDir
	if tenant != "" {
		if err := CheckTenant(tenant); err != nil {
			return nil, nil, err
		}
		prefix += tenant + "/"
	}
	records := map[string]string{} // record key → tenant
	objects := map[string]Leftover{}
	it := r.bucket.List(&blob.ListOptions{Prefix: prefix})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, r.errorf(err, "list %s", prefix)
		}
		t, _, kind, ok := parseKey(obj.Key)
		if !ok {
			continue
		}
		if kind == "record" {
			records[obj.Key] = t
		} else {
			objects[obj.Key] = Leftover{Tenant: t, Key: obj.Key, Size: obj.Size, ModTime: obj.ModTime}
		}
	}
	snaps := make([]Snapshot, 0, len(records))
	for key := range records {
		s, err := r.readRecord(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		s.Problem = ""
		switch obj, ok := objects[s.Object]; {
		case !ok:
			s.Problem = missingProblem(s.Object)
		case obj.Size != s.Size:
			s.Problem = sizeProblem(s.Object, obj.Size, s.Size)
		}
		delete(objects, s.Object)
		snaps = append(snaps, s)
	}
	sortSnapshots(snaps)
	leftovers := slices.SortedFunc(maps.Values(objects), func(a, b Leftover) int { return strings.Compare(a.Key, b.Key) })
	return snaps, leftovers, nil
}

// sortSnapshots sorts oldest first, by time then id.
func sortSnapshots(snaps []Snapshot) {
	slices.SortFunc(snaps, func(a, b Snapshot) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// readRecord reads and checks the record at key.
func (r *Repo) readRecord(ctx context.Context, key string) (Snapshot, error) {
	data, err := r.bucket.ReadAll(ctx, key)
	if err != nil {
		return Snapshot{}, r.errorf(err, "read %s", key)
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		return Snapshot{}, fmt.Errorf("repository %s: snapshot record %s: %w", r.loc, key, err)
	}
	tenant, id, _, _ := parseKey(key)
	switch {
	case s.Format != recordFormat:
		return Snapshot{}, fmt.Errorf("repository %s: snapshot record %s: format %q is not %q", r.loc, key, s.Format, recordFormat)
	case s.Version > layoutVersion:
		return Snapshot{}, fmt.Errorf("repository %s: snapshot record %s: version %d is newer than this connvault reads (%d)", r.loc, key, s.Version, layoutVersion)
	case s.ID != id || s.Tenant != tenant || s.Object != objectKey(tenant, id, s.Encrypted):
		return Snapshot{}, fmt.Errorf("repository %s: snapshot record %s: its id, tenant or object do not match its name", r.loc, key)
	}
	return s, nil
}

// Tenants returns the names of the tenants the repository holds anything of
// (snapshots, a status, leftovers), sorted.
func (r *Repo) Tenants(ctx context.Context) ([]string, error) {
	var names []string
	it := r.bucket.List(&blob.ListOptions{Prefix: tenantsDir, Delimiter: "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, r.errorf(err, "list %s", tenantsDir)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(obj.Key, tenantsDir), "/")
		if obj.IsDir && CheckTenant(name) == nil {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// RequireTenant returns nil when the repository holds something of tenant,
// and otherwise ErrUnknownTenant in an error naming the tenants it has.
func (r *Repo) RequireTenant(ctx context.Context, tenant string) error {
	if err := CheckTenant(tenant); err != nil {
		return err
	}
	names, err := r.Tenants(ctx)
	if err != nil || slices.Contains(names, tenant) {
		return err
	}
	has := "it holds no tenant yet"
	if len(names) > 0 {
		has = "its tenants: " + strings.Join(names, ", ")
	}
	return fmt.Errorf("repository %s: tenant %q: %w (%s)", r.loc, tenant, ErrUnknownTenant, has)
}

// Latest returns the newest snapshot of tenant, or ok false when it has none.
func (r *Repo) Latest(ctx context.Context, tenant string) (s Snapshot, ok bool, err error) {
	snaps, err := r.List(ctx, tenant)
	if err != nil || len(snaps) == 0 {
		return Snapshot{}, false, err
	}
	return snaps[len(snaps)-1], true, nil
}

// Resolve finds the snapshot ref names: "latest" (the newest snapshot of
// tenant, which must then be given unless the repository holds one tenant),
// a snapshot id, or a unique prefix of one. No match is ErrUnknownSnapshot
// (a tenant the repository does not hold, ErrUnknownTenant); several are
// ErrAmbiguousSnapshot, listing them.
func (r *Repo) Resolve(ctx context.Context, ref, tenant string) (Snapshot, error) {
	if tenant != "" {
		if err := r.RequireTenant(ctx, tenant); err != nil {
			return Snapshot{}, err
		}
	}
	snaps, err := r.List(ctx, tenant)
	if err != nil {
		return Snapshot{}, err
	}
	if ref == "latest" {
		tenants := map[string]bool{}
		for _, s := range snaps {
			tenants[s.Tenant] = true
		}
		switch {
		case len(snaps) == 0 && tenant != "":
			return Snapshot{}, fmt.Errorf("repository %s: tenant %s has no snapshot: %w", r.loc, tenant, ErrUnknownSnapshot)
		case len(snaps) == 0:
			return Snapshot{}, fmt.Errorf("repository %s: no snapshot at all: %w", r.loc, ErrUnknownSnapshot)
		case len(tenants) > 1:
			return Snapshot{}, fmt.Errorf("repository %s: \"latest\" %w: the repository holds %d tenants (%s); say which with --tenant", r.loc, ErrAmbiguousSnapshot, len(tenants), strings.Join(slices.Sorted(maps.Keys(tenants)), ", "))
		}
		return snaps[len(snaps)-1], nil
	}
	var found []Snapshot
	for _, s := range snaps {
		if strings.HasPrefix(s.ID, ref) && ref != "" {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return Snapshot{}, fmt.Errorf("repository %s: snapshot %q: %w (`connvault snapshots --repo %s` lists them)", r.loc, ref, ErrUnknownSnapshot, r.loc)
	case 1:
		return found[0], nil
	}
	ids := make([]string, len(found))
	for i, s := range found {
		ids[i] = s.Tenant + "/" + s.ID
	}
	return Snapshot{}, fmt.Errorf("repository %s: snapshot %q %w: %s", r.loc, ref, ErrAmbiguousSnapshot, strings.Join(ids, ", "))
}
