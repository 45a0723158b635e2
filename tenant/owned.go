package tenant

import (
	"fmt"
	"strings"
)

// customS3Prefix is where ISC stores a custom connector's files: the spec's
// example of ConnectorDetail.s3Location is "custom-connector/scriptname".
const customS3Prefix = "custom-connector/"

// SailPointOwned applies the written-down rule that tells SailPoint's own
// connectors from custom ones (README, "Telling SailPoint-owned from
// custom"), for export and import alike. No field of the API marks a
// connector as custom, so every signal the API gives is used, and a
// connector is SailPoint's only when all of them agree; in doubt it is
// custom.
//
// A connector of type typ and detail d is custom when any of these holds:
//
//  1. its type starts with "custom", ignoring case (ISC's default type for a
//     connector created without one is "custom <name>", per the spec's
//     V3CreateConnectorDto; checked before the detail is read);
//  2. its detail's s3Location is empty or missing (no evidence either way);
//  3. its s3Location is under "custom-connector/" (the spec's example);
//  4. its detail's uploadedFiles is not empty (files uploaded to the
//     connector itself; SailPoint's catalog connectors take theirs per
//     source, the spec says).
//
// Otherwise it is SailPoint-owned, and rule says why in words.
func SailPointOwned(typ string, d ConnectorDetail) (owned bool, rule string) {
	switch {
	case strings.HasPrefix(strings.ToLower(strings.TrimSpace(typ)), "custom"):
		return false, ""
	case d.S3Location == "":
		return false, ""
	case strings.HasPrefix(strings.ToLower(d.S3Location), customS3Prefix):
		return false, ""
	case len(d.UploadedFiles) > 0:
		return false, ""
	}
	return true, fmt.Sprintf("type %q does not start with \"custom\", s3Location %q is not under %s and no files were uploaded to it",
		typ, d.S3Location, customS3Prefix)
}
