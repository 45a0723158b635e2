package repository

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"time"

	"filippo.io/age"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/connvault/connvault/bundle"
)

// newID returns a snapshot id for time t: sortable by time, unique by its
// random suffix.
func newID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format(snapshotIDTime) + "-" + hex.EncodeToString(b[:])
}

// digester hashes and counts the bytes written to it: beside a stream with
// io.MultiWriter or io.TeeReader.
type digester struct {
	h hash.Hash
	n int64
}

func newDigester() *digester { return &digester{h: sha256.New()} }

func (d *digester) Write(p []byte) (int, error) {
	d.h.Write(p)
	d.n += int64(len(p))
	return len(p), nil
}

func (d *digester) sum() string { return hex.EncodeToString(d.h.Sum(nil)) }

// put stores a new snapshot of tenant: write writes the bundle archive to the
// writer it is given, encrypted on the way for recipients when there are
// any; then the record s (whose ID, Tenant, Object, Size, SHA256 and
// Encrypted put fills) is written. The bundle object appears only when it is
// whole (the storage commits an object on Close; a cancelled write is
// discarded), and the record, which makes the snapshot visible, only after
// it: a run stopped at any moment leaves no partial snapshot listed. Both are
// written only if absent, so nothing is ever overwritten.
func (r *Repo) put(ctx context.Context, s *Snapshot, recipients []age.Recipient, write func(io.Writer) error) error {
	s.Format, s.Version = recordFormat, layoutVersion
	s.ID = newID(s.Time)
	s.Encrypted = len(recipients) > 0
	s.Object = objectKey(s.Tenant, s.ID, s.Encrypted)

	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bw, err := r.bucket.NewWriter(wctx, s.Object, writerOptions("application/octet-stream", true))
	if err != nil {
		return r.errorf(err, "write %s", s.Object)
	}
	d := newDigester()
	hw := io.MultiWriter(bw, d)
	err = func() error {
		if !s.Encrypted {
			return write(hw)
		}
		ew, err := age.Encrypt(hw, recipients...)
		if err != nil {
			return fmt.Errorf("encrypt: %w", err)
		}
		if err := write(ew); err != nil {
			return err
		}
		return ew.Close()
	}()
	if err != nil {
		cancel() // discards the object
		_ = bw.Close()
		return err
	}
	if err := bw.Close(); err != nil {
		return r.errorf(err, "write %s", s.Object)
	}
	s.Size, s.SHA256 = d.n, d.sum()
	return r.commit(ctx, s)
}

// commitTimeout bounds the writing of a record once its bundle is stored.
const commitTimeout = time.Minute

// commit writes the record of s, whose bundle is stored: the step that makes
// the snapshot visible. It is not cancelled with ctx (a record is a few
// hundred bytes; cancelling its upload midway would leave the outcome
// unknown) but bounded by commitTimeout. When the write fails the outcome is
// checked: a record the storage holds anyway (the answer was lost) is the
// snapshot, stored; a record it does not hold leaves the bundle invisible,
// which is then removed. Only when the check fails too are both left as they
// are (the error says so): removing the bundle could leave a record that
// names nothing.
func (r *Repo) commit(ctx context.Context, s *Snapshot) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
	defer cancel()
	key := recordKey(s.Tenant, s.ID)
	werr := r.writeJSON(cctx, key, s, true)
	if werr == nil {
		return nil
	}
	stored, err := r.readRecord(cctx, key)
	switch {
	case err == nil && stored.SHA256 == s.SHA256 && stored.Object == s.Object:
		return nil // written; only the answer was lost
	case gcerrors.Code(err) == gcerrors.NotFound:
		// Without its record the bundle is invisible: remove it.
		_ = r.bucket.Delete(cctx, s.Object)
		return werr
	default:
		return fmt.Errorf("%w (whether snapshot %s was stored is unknown: `connvault snapshots` shows it if it was)", werr, s.ID)
	}
}

// writeJSON writes v as indented JSON at key; with once, only if key is absent.
func (r *Repo) writeJSON(ctx context.Context, key string, v any, once bool) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	err = r.bucket.WriteAll(ctx, key, append(data, '\n'), writerOptions("application/json", once))
	if err != nil {
		return r.errorf(err, "write %s", key)
	}
	return nil
}

// writerOptions are the options of every write to the repository: the
// content type, and with once the write happens only if key is absent. In a
// directory repository the file is made 0600 before anything is written to
// it (fileblob creates it 0666 less the umask), so that snapshots, records
// and status are the owner's alone; other storages ignore the hook.
func writerOptions(contentType string, once bool) *blob.WriterOptions {
	return &blob.WriterOptions{ContentType: contentType, IfNotExist: once, BeforeWrite: func(as func(any) bool) error {
		var f *os.File
		if as(&f) && f != nil {
			return f.Chmod(0o600)
		}
		return nil
	}}
}

// Open verifies the bundle of snapshot s as it streams it from the storage,
// decrypting it with ids if it is encrypted, and returns it; the caller
// closes it. An encrypted snapshot is kept in memory (no plaintext copy on
// disk); a clear one is extracted to a spool file in opts.TempDir, as
// bundle.Open does. A stored object that differs from what the record says
// (size or SHA-256), a corrupt or truncated bundle, a missing identity
// (ErrEncrypted) or one that does not match (ErrWrongKey) are errors naming
// the snapshot.
func (r *Repo) Open(ctx context.Context, s Snapshot, ids []age.Identity, opts bundle.ReadOptions) (*bundle.Bundle, error) {
	name := fmt.Sprintf("snapshot %s of tenant %s", s.ID, s.Tenant)
	if s.Problem != "" {
		return nil, fmt.Errorf("%s is %s; choose another (`connvault snapshots` marks the broken ones)", name, s.Problem)
	}
	br, err := r.bucket.NewReader(ctx, s.Object, nil)
	if err != nil {
		return nil, r.errorf(err, "read %s", name)
	}
	defer br.Close()
	d := newDigester()
	hr := io.TeeReader(br, d)
	in := hr
	if s.Encrypted {
		if in, err = decrypt(hr, ids, name); err != nil {
			return nil, err
		}
		opts.InMemory = true
	}
	b, err := bundle.OpenStream(ctx, in, name, opts)
	if err != nil {
		if errors.Is(err, bundle.ErrInvalid) && d.n != s.Size {
			return nil, fmt.Errorf("%w (the stored object is %d bytes so far, the record says %d: truncated or replaced)", err, d.n, s.Size)
		}
		return nil, err
	}
	// The bundle verified; the stored bytes must also be the ones written.
	if _, err := io.Copy(io.Discard, hr); err != nil {
		_ = b.Close()
		return nil, r.errorf(err, "read %s", name)
	}
	if got := d.sum(); d.n != s.Size || got != s.SHA256 {
		_ = b.Close()
		return nil, fmt.Errorf("%s: the stored object (%d bytes, sha256 %s) is not the one the record names (%d bytes, sha256 %s)", name, d.n, got, s.Size, s.SHA256)
	}
	if b.Manifest.ContentDigest != s.ContentDigest {
		_ = b.Close()
		return nil, fmt.Errorf("%s: content digest %s differs from the record's %s", name, b.Manifest.ContentDigest, s.ContentDigest)
	}
	return b, nil
}

// ErrDamaged is matched (errors.Is) by the DamagedError Check returns.
var ErrDamaged = errors.New("snapshot damaged")

// DamagedError says that a snapshot's stored object is missing or is not
// the one its record names; Problem is as Snapshot.Problem ("missing: …",
// "damaged: …").
type DamagedError struct {
	ID, Tenant, Problem string
}

func (e *DamagedError) Error() string {
	return fmt.Sprintf("snapshot %s of tenant %s is %s", e.ID, e.Tenant, e.Problem)
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// missingProblem and sizeProblem are the Problem of a snapshot whose
// object is gone, or of another size than its record says.
func missingProblem(key string) string {
	return fmt.Sprintf("missing: its bundle %s is gone (removed by hand, or by a lifecycle rule?)", key)
}

func sizeProblem(key string, got, want int64) string {
	return fmt.Sprintf("damaged: its bundle %s is %d bytes, the record says %d (truncated or replaced)", key, got, want)
}

// Check reads the stored object of snapshot s whole and compares its size
// and SHA-256 with the record's, without decrypting or opening it: the check
// Backup makes before it trusts the latest snapshot as "unchanged", and
// Prune before it removes anything beside the newest snapshot it keeps. A
// missing object or one of another size or digest is a *DamagedError
// (ErrDamaged); a failed read is an error naming the snapshot.
func (r *Repo) Check(ctx context.Context, s Snapshot) error {
	damaged := func(problem string) error { return &DamagedError{ID: s.ID, Tenant: s.Tenant, Problem: problem} }
	br, err := r.bucket.NewReader(ctx, s.Object, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return damaged(missingProblem(s.Object))
	}
	name := fmt.Sprintf("snapshot %s of tenant %s", s.ID, s.Tenant)
	if err != nil {
		return r.errorf(err, "read %s", name)
	}
	defer br.Close()
	d := newDigester()
	if _, err := io.Copy(d, br); err != nil {
		return r.errorf(err, "read %s", name)
	}
	switch got := d.sum(); {
	case d.n != s.Size:
		return damaged(sizeProblem(s.Object, d.n, s.Size))
	case got != s.SHA256:
		return damaged(fmt.Sprintf("damaged: its bundle %s has sha256 %s, the record says %s (altered)", s.Object, got, s.SHA256))
	}
	return nil
}

// Delete removes snapshot s: its record first (from then on it is not
// listed), then its bundle.
func (r *Repo) Delete(ctx context.Context, s Snapshot) error {
	if err := r.bucket.Delete(ctx, recordKey(s.Tenant, s.ID)); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return r.errorf(err, "delete snapshot %s", s.ID)
	}
	if err := r.bucket.Delete(ctx, s.Object); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return r.errorf(err, "delete snapshot %s's bundle", s.ID)
	}
	return nil
}
