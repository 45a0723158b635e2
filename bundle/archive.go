package bundle

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"path"
	"time"

	"github.com/mholt/archives"
)

// This file is the only use of github.com/mholt/archives: writing and reading
// the gzip-compressed tar form of a bundle.

// writeArchive writes the gzip-compressed tar of a bundle to out: manifest.json
// (size bytes, read from manifest) first, then every file that walk visits, in
// manifest order (entries by key, files by path), each read from the reader
// that comes with it and checked against its size and SHA-256 on the way. The
// entries are handed to the tar writer one at a time, so that nothing is held
// per file. Entries are regular files, mode 0644, uid/gid 0 without names,
// modified at createdAt; the gzip header has no name, a zero modification time
// and the "unknown" OS, so the same content and createdAt give the same bytes.
func writeArchive(ctx context.Context, out io.Writer, manifest io.Reader, size int64, createdAt time.Time, walk func(visit func(File, io.Reader) error) error) error {
	gz, err := archives.Gz{}.OpenWriter(&zeroMTime{w: out})
	if err != nil {
		return err
	}
	jobs := make(chan archives.ArchiveAsyncJob)
	archived := make(chan error, 1)
	// Tar.ArchiveAsync closes its tar writer but drops that error; checkedFile
	// makes sure every file is complete, which is the only way that Close could
	// fail besides a write error, and writes go through gz, whose Close reports
	// them.
	go func() { archived <- (archives.Tar{}).ArchiveAsync(ctx, gz, jobs) }()
	result := make(chan error, 1)
	add := func(fi archives.FileInfo) error {
		jobs <- archives.ArchiveAsyncJob{File: fi, Result: result}
		return <-result
	}
	info := entryInfo{name: manifestName, size: size, mtime: createdAt}
	err = add(archives.FileInfo{
		FileInfo:      info,
		NameInArchive: manifestName,
		Open: func() (fs.File, error) {
			return &checkedFile{r: manifest, info: info, want: File{Path: manifestName, Size: size}}, nil
		},
	})
	if err == nil {
		err = walk(func(f File, r io.Reader) error {
			info := entryInfo{name: f.Path, size: f.Size, mtime: createdAt}
			return add(archives.FileInfo{
				FileInfo:      info,
				NameInArchive: f.Path,
				Open: func() (fs.File, error) {
					return &checkedFile{r: r, info: info, want: f, h: sha256.New()}, nil
				},
			})
		})
	}
	close(jobs)
	if aerr := <-archived; err == nil {
		err = aerr
	}
	if err != nil {
		_ = gz.Close()
		return fmt.Errorf("write archive: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

// zeroMTime zeroes bytes 4 to 7 of what goes through it: the modification time
// of a gzip header, which the compressor otherwise fills from a zero time.Time
// (not zero in Unix seconds). The header is not covered by the gzip checksum.
type zeroMTime struct {
	w io.Writer
	n int64 // bytes written so far
}

func (z *zeroMTime) Write(p []byte) (int, error) {
	if z.n < 8 {
		p = bytes.Clone(p)
		for i := range p {
			if off := z.n + int64(i); 4 <= off && off < 8 {
				p[i] = 0
			}
		}
	}
	n, err := z.w.Write(p)
	z.n += int64(n)
	return n, err
}

// entryInfo describes an archive entry: a regular file, 0644, owned by 0:0.
type entryInfo struct {
	name  string
	size  int64
	mtime time.Time
}

func (i entryInfo) Name() string       { return path.Base(i.name) }
func (i entryInfo) Size() int64        { return i.size }
func (i entryInfo) Mode() fs.FileMode  { return 0o644 }
func (i entryInfo) ModTime() time.Time { return i.mtime }
func (i entryInfo) IsDir() bool        { return false }
func (i entryInfo) Sys() any           { return nil }

// Uname and Gname make entryInfo a tar.FileInfoNames, so that no user or group
// name is looked up or recorded.
func (i entryInfo) Uname() (string, error) { return "", nil }
func (i entryInfo) Gname() (string, error) { return "", nil }

var _ tar.FileInfoNames = entryInfo{}

// checkedFile reads a staged file and fails unless it has exactly the size and
// SHA-256 recorded in the manifest when it was staged (only the size when h is
// nil: manifest.json).
type checkedFile struct {
	r    io.Reader
	info fs.FileInfo
	want File
	h    hash.Hash // nil for manifest.json
	n    int64
}

// Read withholds the last bytes of a file whose hash does not match: io.CopyN,
// which archives uses, drops an error that comes with them.
func (c *checkedFile) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	c.n += int64(n)
	switch {
	case c.n > c.want.Size:
		return 0, fmt.Errorf("staged %s changed since it was added", c.want.Path)
	case c.n == c.want.Size && c.h != nil && hex.EncodeToString(c.h.Sum(nil)) != c.want.SHA256:
		return 0, fmt.Errorf("staged %s changed since it was added", c.want.Path)
	case err == io.EOF && c.n < c.want.Size:
		return 0, fmt.Errorf("staged %s changed since it was added: %w", c.want.Path, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (c *checkedFile) Stat() (fs.FileInfo, error) { return c.info, nil }
func (c *checkedFile) Close() error               { return nil }

// maxTrailer is how many bytes may follow the end of the tar archive inside the
// gzip stream; they must be zeros (padding to a tar record).
const maxTrailer = 1 << 20

// archiveEntry is an entry handed to extractArchive's visit function.
type archiveEntry struct {
	hdr *tar.Header
	r   io.Reader // the content, for a regular file
}

// extractArchive identifies the format of f, which must be a gzip-compressed tar,
// and calls visit for every entry in order, with the uncompressed stream capped
// at maxTotal bytes. After the last entry it reads the gzip stream to its end so
// that its checksum is verified. visit's error stops the walk and is returned as
// is; other failures are invalidErrors.
func extractArchive(ctx context.Context, f io.Reader, maxTotal int64, visit func(archiveEntry) error) error {
	// Identify by content only: a name can say anything.
	format, stream, err := archives.Identify(ctx, "", f)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, archives.NoMatch) {
			return invalid("", "not a gzip-compressed tar archive")
		}
		return invalid("", "not a gzip-compressed tar archive: %v", err)
	}
	var gzFormat archives.Gz
	switch ft := format.(type) {
	case archives.CompressedArchive:
		gz, isGz := ft.Compression.(archives.Gz)
		_, isTar := ft.Extraction.(archives.Tar)
		if !isGz || !isTar {
			return invalid("", "not a gzip-compressed tar archive (found %s)", ft.Extension())
		}
		gzFormat = gz
	case archives.Gz:
		// A gzip stream whose start is not a tar header: reading it as one says
		// why (truncated, corrupt).
		gzFormat = ft
	default:
		return invalid("", "not a gzip-compressed tar archive (found %s)", format.Extension())
	}
	tarFormat := archives.Tar{}
	zr, err := gzFormat.OpenReader(stream)
	if err != nil {
		return readFailure("", err)
	}
	defer zr.Close()
	capped := &capReader{r: zr, left: maxTotal, limit: maxTotal}

	var visitErr error
	last := ""
	err = tarFormat.Extract(ctx, capped, func(_ context.Context, fi archives.FileInfo) error {
		hdr, ok := fi.Header.(*tar.Header)
		if !ok {
			visitErr = invalid(fi.NameInArchive, "not a tar entry")
			return fs.SkipAll
		}
		last = hdr.Name
		var r io.Reader
		if hdr.Typeflag == tar.TypeReg {
			rc, err := fi.Open()
			if err != nil {
				visitErr = readFailure(hdr.Name, err)
				return fs.SkipAll
			}
			defer rc.Close()
			r = rc
		}
		if err := visit(archiveEntry{hdr: hdr, r: r}); err != nil {
			visitErr = err
			return fs.SkipAll
		}
		return nil
	})
	if visitErr != nil {
		return visitErr
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, tar.ErrInsecurePath) {
			return invalid(afterName(last), "an entry's path escapes the bundle root")
		}
		return readFailure(afterName(last), err)
	}
	// The tar reader stops at the end-of-archive marker; the rest must be zero
	// padding, and reading to the end verifies the gzip checksum and length.
	n, err := io.Copy(zeroWriter{}, io.LimitReader(capped, maxTrailer+1))
	switch {
	case errors.Is(err, errNotZero):
		return invalid(afterName(last), "data after the end of the archive")
	case err != nil:
		return readFailure(afterName(last), err)
	case n > maxTrailer:
		return invalid(afterName(last), "more than %d bytes of padding after the end of the archive", maxTrailer)
	}
	return nil
}

// afterName names the place in an archive after the entry last.
func afterName(last string) string {
	if last == "" {
		return ""
	}
	return "after " + last
}

// readFailure turns an error reading an archive into an invalidError naming
// where it happened.
func readFailure(name string, err error) error {
	var ie *invalidError
	var we *writeError
	switch {
	case errors.As(err, &ie), errors.As(err, &we):
		return err
	case errors.Is(err, errTooBig):
		return invalid(name, "%v", err)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return invalid(name, "archive truncated (%v)", err)
	}
	return invalid(name, "corrupt archive: %v", err)
}

// errTooBig is returned by capReader past its limit.
var errTooBig = errors.New("uncompressed bundle exceeds the total size limit")

// capReader fails once more than limit bytes have been read, so that a
// decompression bomb stops at the limit whatever the headers claim.
type capReader struct {
	r           io.Reader
	left, limit int64
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more tells whether the stream really goes on.
		var b [1]byte
		n, err := c.r.Read(b[:])
		if n > 0 {
			return 0, fmt.Errorf("%w of %d bytes", errTooBig, c.limit)
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// errNotZero is returned by zeroWriter for a non-zero byte.
var errNotZero = errors.New("non-zero byte")

// zeroWriter accepts only zero bytes.
type zeroWriter struct{}

func (zeroWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b != 0 {
			return 0, errNotZero
		}
	}
	return len(p), nil
}
