// Package repository owns the snapshot repository of `connvault backup`,
// `snapshots`, `prune` and `restore`: where snapshots are stored, how they
// are written atomically, encrypted, listed, opened, kept and removed. The
// storage is gocloud.dev/blob's (a directory, S3 and S3-compatible servers,
// Google Cloud Storage, Azure Blob Storage); the snapshots are ordinary
// bundles (package bundle); the keep-policy is restic's.
//
// # Layout, version 1
//
// Under the location's prefix (s3://bucket/prefix → keys "prefix/…"):
//
//	connvault-repository.json                            {"format":"connvault-repository","version":1}
//	tenants/<tenant>/status.json                         the tenant's last backup run (Status)
//	tenants/<tenant>/snapshots/<id>.tar.gz               a snapshot: a bundle archive (bundle/doc.go)
//	tenants/<tenant>/snapshots/<id>.tar.gz.age           … or the same, encrypted with age
//	tenants/<tenant>/snapshots/<id>.json                 its record (Snapshot), written last
//
// <tenant> is the name the backup gave the tenant (see CheckTenant); <id> is
// the snapshot's time in UTC and 8 random hex digits,
// "20261201T021500Z-1a2b3c4d", so names sort by time.
//
// # Atomicity
//
// A snapshot exists once its record does. The bundle is written first, under
// its final name, only if absent: every backend commits an object only when
// its upload completes (S3 PutObject or CompleteMultipartUpload; a directory:
// a temporary file "<name>.<hex>.tmp" beside it, renamed on completion), and
// a cancelled upload is discarded. The record is written after it, also only
// if absent; once the bundle is stored, the record's write is not cancelled
// with the run (it is bounded by a timeout instead), and when its answer is
// lost the record is looked up: there, the snapshot is stored; absent, the
// bundle is removed. A backup killed at any moment therefore leaves at most
// an object no record names (or a .tmp file, or an unfinished multipart
// upload), which List, Resolve and Open never show, and never a record
// without its bundle; nothing is overwritten. A record whose bundle was
// removed or truncated afterwards (by hand, a lifecycle rule) is listed with
// its Problem; Open refuses it, Backup replaces it when it is the latest,
// and Prune removes it.
// Delete removes the record first, then the bundle.
//
// # Encryption
//
// With recipients, the bundle is encrypted with age (filippo.io/age) as it
// is uploaded; it is staged in memory, never in clear on disk, and Open
// decrypts it as it streams, into memory. The record stays in clear: it
// reveals the tenant name, time, number of connectors, content digest,
// size, tags, the scriptNames of hidden (non-RELEASED) connectors, the
// tenant's URL and the export options — never a connector's content.
//
// # Unchanged tenants
//
// Backup compares the new bundle's content digest with the latest
// snapshot's before storing anything; when they are equal and both are
// complete, and the latest snapshot's object reads back with the size and
// SHA-256 its record names (Check), it stores nothing and only updates
// status.json. A latest snapshot that fails the check is replaced by a new
// one (BackupResult.Damaged says why).
package repository
