package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/connvault/connvault/tenant"
)

// changes returns the parts to write to turn have into want, in write order.
// With exactMetadata (rollback), metadata absent from want is removed;
// otherwise (import) absent metadata is left alone.
func changes(want, have content, exactMetadata bool) []string {
	parts := diff(want, have)
	if exactMetadata && want.metaJSON == nil && have.metaJSON != nil {
		parts = append(parts, partMetadata)
	}
	return parts
}

// writeParts writes the named parts of want to a connector, in order: the XML
// parts and translations with PUT, the metadata with a PATCH of
// /connectorMetadata (add when the connector has none, remove when want has
// none). It returns the parts written before any error.
func writeParts(ctx context.Context, t Target, scriptName string, want, have content, parts []string) ([]string, error) {
	var written []string
	for _, name := range parts {
		if err := ctx.Err(); err != nil {
			return written, err
		}
		if name == partMetadata {
			op := tenant.PatchOp{Op: "replace", Path: "/connectorMetadata", Value: want.metadata}
			switch {
			case want.metadata == nil:
				op = tenant.PatchOp{Op: "remove", Path: "/connectorMetadata"}
			case have.metaJSON == nil:
				op.Op = "add"
			}
			if _, err := t.PatchConnector(ctx, scriptName, []tenant.PatchOp{op}); err != nil {
				return written, fmt.Errorf("patch metadata of %q: %w", scriptName, err)
			}
		} else {
			p, ok := parsePart(name)
			if !ok {
				return written, fmt.Errorf("write %q: unknown part %q", scriptName, name)
			}
			if _, err := t.PutPart(ctx, scriptName, p, want.parts[name]); err != nil {
				return written, fmt.Errorf("put %s of %q: %w", name, scriptName, err)
			}
		}
		written = append(written, name)
	}
	return written, nil
}

// verify reads a connector back and compares it with want.
func verify(ctx context.Context, t Target, scriptName string, want content, exactMetadata bool) error {
	d, err := t.GetConnector(ctx, scriptName)
	if err != nil {
		return fmt.Errorf("read back %q: %w", scriptName, err)
	}
	if bad := changes(want, detailContent(d), exactMetadata); len(bad) > 0 {
		// A rerun would write the same again: the tenant changed what it
		// stored, or someone else is writing the connector.
		return permanent(fmt.Errorf("read back %q: %s differ from what was written", scriptName, strings.Join(bad, ", ")))
	}
	return nil
}
