package bundle

import "context"

// WriteDerived writes cs as a complete bundle at path that stands for what
// the bundle of manifest from stands for: one written from another bundle
// (transform). It records from's source, scope, failed items (so an
// incomplete input stays incomplete), coverage, reads and ambiguous
// translations as they are; the caller narrows them first where it dropped
// or renamed connectors (transform.Rules.Narrow). The format, tool version,
// createdAt and options come from opts (opts.Source and opts.Scope are
// ignored), and the connectors, complete and contentDigest from what is
// written. Nothing else of from is lost: DerivedFields lists the manifest's
// fields this carries.
func WriteDerived(ctx context.Context, path string, opts WriterOptions, from Manifest, cs []Connector) (Manifest, error) {
	opts.Source, opts.Scope = from.Source, from.Scope
	w, err := createWith(ctx, path, opts, cs)
	if err != nil {
		return Manifest{}, err
	}
	for _, e := range from.Errors {
		w.Fail(e)
	}
	if from.Coverage != nil {
		w.SetCoverage(*from.Coverage)
	}
	if from.Reads != nil {
		w.SetReads(*from.Reads)
	}
	for _, a := range from.Ambiguous {
		w.Ambiguous(a)
	}
	return w.Commit(ctx)
}

// DerivedFields are the JSON names of the manifest fields WriteDerived
// carries from the bundle written from; every other field is the new
// bundle's own (format, formatVersion, toolVersion, createdAt, options,
// connectors, complete, contentDigest).
func DerivedFields() []string {
	return []string{"source", "scope", "errors", "coverage", "reads", "ambiguous"}
}
