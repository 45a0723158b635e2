package importer

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

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

// xmlFields maps the XML parts to the ConnectorDetail fields a PATCH sets;
// the v2025 spec's updateConnector lists them as patchable (see
// testdata/spec/connectors-v2025.yaml), besides connectorMetadata.
var xmlFields = map[string]string{
	string(tenant.SourceConfig):      "/sourceConfigXml",
	string(tenant.SourceTemplate):    "/applicationXml",
	string(tenant.CorrelationConfig): "/correlationConfigXml",
}

// writer writes connector content in as few requests as the tenant allows:
// one PUT per translation locale, then the XML parts and the metadata that
// differ in one PATCH, whose answer is the read-back. It is shared by the
// goroutines of one run.
type writer struct {
	t Target
	// xmlByPut is set once the tenant refused a PATCH of an XML field (400):
	// from then on the run writes XML parts with their PUTs.
	xmlByPut atomic.Bool
}

// write writes the named parts of want to a connector (translations with
// PUT, one per locale; the XML parts and metadata in one PATCH; metadata is
// added when the connector has none, emptied with replace {} when want has none). It returns
// the parts written before any error, in part order, and the PATCH's answer
// when one was sent (nil otherwise).
func (w *writer) write(ctx context.Context, scriptName string, want, have content, parts []string) ([]string, *tenant.ConnectorDetail, error) {
	written, answer, err := w.writeInOrder(ctx, scriptName, want, have, parts)
	slices.SortFunc(written, comparePartNames)
	return written, answer, err
}

func (w *writer) writeInOrder(ctx context.Context, scriptName string, want, have content, parts []string) ([]string, *tenant.ConnectorDetail, error) {
	var written, patched []string
	var ops []tenant.PatchOp
	for _, name := range parts {
		if err := ctx.Err(); err != nil {
			return written, nil, err
		}
		if name == partMetadata {
			ops = append(ops, metadataOp(want, have))
			patched = append(patched, name)
			continue
		}
		if field, ok := xmlFields[name]; ok && !w.xmlByPut.Load() && tenant.JSONExact(tenant.PartKind(name), want.parts[name]) {
			// A part JSON cannot carry byte for byte is PUT (multipart
			// keeps its bytes), never PATCHed: see detailBytes.
			ops = append(ops, tenant.PatchOp{Op: "replace", Path: field, Value: string(want.parts[name])})
			patched = append(patched, name)
			continue
		}
		if err := w.put(ctx, scriptName, name, want.parts[name]); err != nil {
			return written, nil, err
		}
		written = append(written, name)
	}
	if len(ops) == 0 {
		return written, nil, nil
	}
	if err := ctx.Err(); err != nil {
		return written, nil, err
	}
	d, err := w.t.PatchConnector(ctx, scriptName, ops)
	if err != nil && tenant.IsStatus(err, http.StatusBadRequest) && slices.ContainsFunc(patched, isXMLPart) {
		// Perhaps a tenant that takes the XML files only through their
		// own endpoints: PUT them and PATCH the metadata alone.
		return w.writeXMLByPut(ctx, scriptName, want, have, patched, written)
	}
	if err != nil {
		return written, nil, fmt.Errorf("patch %s of %q: %w", strings.Join(patched, ", "), scriptName, err)
	}
	return append(written, patched...), &d, nil
}

// writeXMLByPut writes the parts a refused PATCH held: the XML parts with
// PUTs, then the metadata alone in a PATCH. If that goes through, the XML
// fields were what the tenant refused, and the rest of the run PUTs them.
func (w *writer) writeXMLByPut(ctx context.Context, scriptName string, want, have content, patched, written []string) ([]string, *tenant.ConnectorDetail, error) {
	var answer *tenant.ConnectorDetail
	for _, name := range patched {
		if name == partMetadata {
			d, err := w.t.PatchConnector(ctx, scriptName, []tenant.PatchOp{metadataOp(want, have)})
			if err != nil {
				return written, nil, fmt.Errorf("patch metadata of %q: %w", scriptName, err)
			}
			answer = &d
		} else if err := w.put(ctx, scriptName, name, want.parts[name]); err != nil {
			return written, nil, err
		}
		written = append(written, name)
	}
	w.xmlByPut.Store(true)
	return written, answer, nil
}

func (w *writer) put(ctx context.Context, scriptName, name string, data []byte) error {
	p, ok := parsePart(name)
	if !ok {
		return fmt.Errorf("write %q: unknown part %q", scriptName, name)
	}
	if _, err := w.t.PutPart(ctx, scriptName, p, data); err != nil {
		return fmt.Errorf("put %s of %q: %w", name, scriptName, err)
	}
	return nil
}

func isXMLPart(name string) bool {
	_, ok := xmlFields[name]
	return ok
}

// metadataOp is the PATCH operation that turns have's connectorMetadata into
// want's.
func metadataOp(want, have content) tenant.PatchOp {
	switch {
	case want.metadata == nil:
		// An empty object, not "remove": a tenant may refuse to remove
		// /connectorMetadata (README, "Assumptions about ISC").
		return tenant.PatchOp{Op: "replace", Path: "/connectorMetadata", Value: map[string]any{}}
	case have.metaJSON == nil:
		return tenant.PatchOp{Op: "add", Path: "/connectorMetadata", Value: want.metadata}
	}
	return tenant.PatchOp{Op: "replace", Path: "/connectorMetadata", Value: want.metadata}
}

// verify compares a connector with want after a write and returns the
// detail it compared. The detail comes from answer (a PATCH's answer, sent
// after every other write) when it carries every part want has; otherwise
// from one GET.
func (w *writer) verify(ctx context.Context, scriptName string, want content, exactMetadata bool, answer *tenant.ConnectorDetail) (tenant.ConnectorDetail, error) {
	d, err := w.readBack(ctx, scriptName, want, answer)
	if err != nil {
		return d, err
	}
	have := detailContent(d)
	noteNormalised(w.t, d.Name, want, have)
	if bad := changes(want, have, exactMetadata); len(bad) > 0 {
		// A rerun would write the same again: the tenant changed what it
		// stored, or someone else is writing the connector.
		return d, permanent(fmt.Errorf("read back %q: %s differ from what was written", scriptName, strings.Join(bad, ", ")))
	}
	return d, nil
}

// readBack returns the connector after a write: answer when it carries
// every part of want, else one GET.
func (w *writer) readBack(ctx context.Context, scriptName string, want content, answer *tenant.ConnectorDetail) (tenant.ConnectorDetail, error) {
	if answer != nil && carries(*answer, scriptName, want) {
		return *answer, nil
	}
	d, err := w.t.GetConnector(ctx, scriptName)
	if err != nil {
		return d, fmt.Errorf("read back %q: %w", scriptName, err)
	}
	return d, nil
}

// carries says whether d is a connector detail of scriptName holding a field
// for every part of want, each able to hold its part's bytes: an answer
// without them (a tenant that answers a PATCH with less than the detail), or
// with a part JSON cannot carry (detailBytes), is no read-back.
func carries(d tenant.ConnectorDetail, scriptName string, want content) bool {
	if d.ScriptName != scriptName || len(d.InexactParts()) > 0 {
		return false
	}
	have := detailContent(d)
	for name, b := range want.parts {
		p, _ := parsePart(name)
		if _, ok := have.parts[name]; !ok || !tenant.JSONExact(p.Kind, b) {
			return false
		}
	}
	return want.metaJSON == nil || have.metaJSON != nil
}
