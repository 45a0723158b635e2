package repository

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"filippo.io/age"

	"github.com/connvault/connvault/bundle"
)

// IdentityEnv is the environment variable that names an age identity file for
// every reader when --identity is not given.
const IdentityEnv = "CONNVAULT_AGE_IDENTITY_FILE"

// ageHeader starts every age file (age-encryption.org/v1).
const ageHeader = "age-encryption.org/v1\n"

// ErrEncrypted is returned when an encrypted bundle is read without an
// identity.
var ErrEncrypted = errors.New("encrypted with age: give --identity FILE or set " + IdentityEnv)

// ErrWrongKey is returned when no identity given can decrypt a bundle: it
// was encrypted for another key.
var ErrWrongKey = errors.New("encrypted for another key: none of the identities given matches a recipient")

// Recipients parses age recipients: each of values ("age1…") and every
// non-empty, non-comment line of each file (the format of age -R).
func Recipients(values, files []string) ([]age.Recipient, error) {
	var rs []age.Recipient
	for _, v := range values {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("--recipient %q: %w", v, err)
		}
		rs = append(rs, r)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("recipients file: %w", err)
		}
		got, err := age.ParseRecipients(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("recipients file %s: %w", f, err)
		}
		rs = append(rs, got...)
	}
	return rs, nil
}

// Identities reads the age identities (AGE-SECRET-KEY-1…) of file. An
// unreadable or malformed file is an error naming it, never quoting it.
func Identities(file string) ([]age.Identity, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("identity file: %w", err)
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		// The parser's message may quote a line of the file: a secret.
		return nil, fmt.Errorf("identity file %s: not an age identity file (want lines AGE-SECRET-KEY-1…)", file)
	}
	return ids, nil
}

// decrypt returns the plaintext of r, an age file, streamed.
func decrypt(r io.Reader, ids []age.Identity, name string) (io.Reader, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: %w", name, ErrEncrypted)
	}
	plain, err := age.Decrypt(r, ids...)
	if err != nil {
		var nm *age.NoIdentityMatchError
		if errors.As(err, &nm) {
			return nil, fmt.Errorf("%s: %w", name, ErrWrongKey)
		}
		return nil, fmt.Errorf("%s: decrypt: %w", name, err)
	}
	return plain, nil
}

// OpenBundleFile opens the bundle at path like bundle.Open, and also an
// age-encrypted archive (told by its header, whatever its name), which is
// decrypted with ids as it is read and kept in memory: no plaintext copy
// touches the disk. An encrypted bundle without ids is ErrEncrypted; one no
// identity matches is ErrWrongKey. Errors name the bundle by opts.Name, or
// else by path.
func OpenBundleFile(ctx context.Context, path string, ids []age.Identity, opts bundle.ReadOptions) (*bundle.Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open bundle: %w", err)
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		_ = f.Close()
		return bundle.Open(ctx, path, opts)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, _ := br.Peek(len(ageHeader))
	if string(head) != ageHeader {
		return bundle.Open(ctx, path, opts)
	}
	name := cmp.Or(opts.Name, path)
	plain, err := decrypt(br, ids, "bundle "+name)
	if err != nil {
		return nil, err
	}
	opts.InMemory = true
	return bundle.OpenStream(ctx, plain, name, opts)
}
