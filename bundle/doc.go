// Package bundle owns the bundle format: the manifest, the Writer that creates
// bundles, and the Reader (Open) that verifies them before anything uses them.
// It is the only package that imports github.com/mholt/archives, and it never
// imports tenant.
//
// # Format version 1
//
// This is a contract: a connvault that writes format version 1 writes exactly
// this, and one that reads it refuses anything else.
//
// A bundle is a gzip-compressed tar archive (named *.tar.gz or *.tgz by
// convention; readers identify it by content) or a plain directory with the same
// layout (for git):
//
//	manifest.json                                      the first entry of an archive
//	connectors/<key>/connector.json                    always
//	connectors/<key>/source-config.xml                 when the connector has one
//	connectors/<key>/source-template.xml               when the connector has one
//	connectors/<key>/correlation-config.xml            when the connector has one
//	connectors/<key>/translations/<locale>.properties  one per locale present
//
// <key> is the connector's scriptName when that is a safe path segment: only
// [A-Za-z0-9._-], 1 to 100 bytes, not made only of dots. Otherwise every byte
// outside [A-Za-z0-9._-] (and every dot of a name made only of dots) is written
// "~XX" with two upper-case hex digits; if that is longer than 100 bytes, it is
// cut to a prefix (never inside an escape) followed by "~~" and the first 16 hex
// digits of the SHA-256 of the scriptName. See KeyFor. Keys are unique, also
// when letter case is ignored (case-insensitive file systems): a Writer refuses
// a connector whose key differs from another only in case. A <locale> is a safe
// path segment, unique in its connector ignoring case.
//
// connector.json is the connector's ConnectorDetail as read from the tenant,
// without the fields kept in their own files (sourceConfigXml, sourceConfig,
// applicationXml, correlationConfigXml, translationProperties), re-encoded
// canonically: a JSON object, keys sorted, two-space indent, no HTML escaping, a
// trailing newline. An export adds the key "connvault.parts" (PartsKey): the
// parts the detail announced ("source-config", "source-template",
// "correlation-config", "translations/<locale>"), each of which must have its
// file; a writer refuses a connector lacking one and a reader refuses such a
// bundle. The other files are the bytes the tenant returned.
//
// manifest.json is JSON with a two-space indent and a trailing newline:
//
//   - format: "connvault-bundle"; formatVersion: 1. A reader refuses a bundle
//     whose formatVersion is greater than its own, saying so with both numbers.
//   - toolVersion, createdAt (UTC, whole seconds), source {url, api} (never a
//     credential), options (the export options as given).
//   - scope (optional; see Scope): which connectors of the source tenant the
//     bundle stands for — the export's filter, include, exclude, scriptNames
//     and builtIn, then narrowed by the include/exclude of each transform
//     since (narrowed, with each transform's renames: renamed, name → new
//     name, which do not narrow it). An import with deletion allowed deletes only target connectors
//     inside it that the bundle lacks. Added within format version 1: older
//     readers ignore it, and a bundle without it (written before it existed)
//     has an unknown scope, from which an import deletes nothing unless the
//     user states the scope (import --delete-scope). A transform of such a
//     bundle records unrecorded: true with its own narrowing.
//   - connectors: one entry per connector, sorted by key: key, name, type,
//     className, status, scriptName (never empty), files. files are sorted by
//     path, each with path, kind (connector, source-config, source-template,
//     correlation-config, translations), locale (translations only), size in
//     bytes and sha256 (64 lower-case hex digits). A path is exactly
//     connectors/<key>/<the file name of its kind>.
//   - complete: false exactly when errors lists items that could not be
//     exported ({scriptName, name, part, error}, sorted). An incomplete bundle
//     is valid; whoever imports it decides.
//   - ambiguous (optional): translations the export could not tell present
//     from absent and did not store ({scriptName, name, locales, reason},
//     sorted by scriptName), e.g. locales a tenant answered with the en text.
//     They do not make a bundle incomplete.
//   - contentDigest: "sha256:" and the hex SHA-256 of the lines
//     "<path>  <sha256>\n" (two spaces) of every file but manifest.json, sorted.
//     The same tenant content gives the same digest, whatever createdAt.
//
// An archive holds manifest.json first, then the files in manifest order
// (connectors by key, their files by path), as regular files only: mode 0644,
// uid and gid 0 without user or group names, modification time createdAt, no
// directory entries. Its gzip header has no name, a zero modification time and
// OS 255 (unknown). With the same content and createdAt (from
// SOURCE_DATE_EPOCH, see CreatedAtFromEnv), two archives are byte-identical
// (with the same version of the compressor).
//
// # Writing
//
// Create stages each file on disk as Add receives it, so memory does not grow
// with the content, and nothing appears at the destination before Commit:
//
//   - An archive is written to a temporary file beside the destination, synced,
//     made 0600 and renamed over the destination.
//   - A directory bundle has directories 0700 and files 0600. A new directory
//     is built beside the destination and renamed into place. In an existing
//     directory the bundle owns only manifest.json and connectors/ (anything
//     else, such as .git or a README, is left alone and ignored by readers):
//     the new content is built in a hidden staging directory inside it, then
//     the old manifest.json and connectors/ are moved out, the new connectors/
//     is moved in and the new manifest.json last, each by a rename. A reader
//     in between finds no manifest, never one that does not match the files;
//     on failure the previous content is moved back. Swapping two directories
//     in one step is not portable, so this is as atomic as it gets.
//   - Abort, or a failed Commit, removes the staging files and leaves the
//     destination as it was.
//
// # Reading
//
// Open verifies everything before anything is returned: format and version,
// the manifest (keys, scriptNames, paths, kinds, locales, sizes, hashes,
// complete/errors, contentDigest), then every entry: manifest.json first, paths
// relative, clean and inside connectors/, only regular files (and, in archives,
// directory entries that are parents of listed files), no links, no special
// files, no duplicates, each file listed in the manifest with its size and
// SHA-256, and every listed file present. Sizes are capped (ReadOptions) while
// reading, whatever the headers say, against decompression bombs. Last, each
// manifest entry's name, type, className, status and scriptName, which no hash
// covers, must equal the same fields of its connector.json where that has them.
// Errors name the file and the reason and wrap ErrInvalid.
package bundle
