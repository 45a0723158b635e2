package importer

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/connvault/connvault/tenant"
)

// identityKey is the hash key of a connector's identity: name, type,
// className, directConnect and status, which a create sets and its answer
// shows (partHashes covers them too, under "fields", with the fields the
// answer does not show).
const identityKey = "identity"

// identityHash hashes what a create's answer and a detail both show of a
// connector besides its content.
func identityHash(name, typ, className string, directConnect bool, status tenant.Status) string {
	b, _ := json.Marshal([]any{name, typ, className, directConnect, status})
	return sha256Hex(b)
}

// createdHashes is what a create's answer shows of the state it left: the
// connector's identity, and its connectorMetadata when the answer has one.
// Its XML parts are the tenant's defaults, which the answer does not show.
func createdHashes(c tenant.Connector) map[string]string {
	cls := ""
	if c.ClassName != nil {
		cls = *c.ClassName
	}
	out := map[string]string{identityKey: identityHash(c.Name, c.Type, cls, c.DirectConnect, c.Status)}
	if c.ConnectorMetadata != nil {
		var ct content
		ct.setMetadata(c.ConnectorMetadata)
		out[partMetadata] = sha256Hex(ct.metaJSON)
	}
	return out
}

// nowHashes is partHashes of a connector as read now, with its identity.
func nowHashes(d tenant.ConnectorDetail) map[string]string {
	out := partHashes(d)
	out[identityKey] = identityHash(d.Name, d.Type, d.ClassName, d.DirectConnect, d.Status)
	return out
}

// leftState is the state a run's writes left one connector in, as its
// journal tells: the last state known for certain (a create's answer, a
// read-back, or a read after the run stopped), and the parts a later write
// whose outcome is unknown may have set instead.
type leftState struct {
	known map[string]string // hashes by part name (partHashes keys, identityKey)
	// complete: known is a whole read of the connector (a part missing from
	// it is absent); a create's answer shows only its identity and metadata.
	complete bool
	maybe    map[string][]string // part → hashes an unconfirmed write may have left
}

// apply folds one journal record about the connector into s.
func (s *leftState) apply(rec record) {
	switch rec.Op {
	case opCreated:
		if len(rec.Hashes) > 0 {
			s.known, s.complete, s.maybe = maps.Clone(rec.Hashes), false, nil
		}
	case opWrite:
		if s.maybe == nil {
			s.maybe = map[string][]string{}
		}
		for _, p := range rec.Parts {
			s.maybe[p] = append(s.maybe[p], rec.Hashes[p])
		}
	case opDone:
		if len(rec.Hashes) > 0 { // read back after every write of the attempt
			s.known, s.complete, s.maybe = maps.Clone(rec.Hashes), true, nil
		}
	case opState:
		// Read after the attempt stopped; a write in flight then may land
		// later, so what it may have set stays possible.
		s.known, s.complete = maps.Clone(rec.Hashes), true
	}
}

// compare names what of now (nowHashes) differs from every state the run
// may have left (changed), and the parts the run never saw and so cannot
// vouch for (unknown: the XML parts a create's defaults set, when the run
// stopped before writing or reading them).
func (s leftState) compare(now map[string]string) (changed, unknown []string) {
	keys := map[string]bool{}
	for _, m := range []map[string]string{s.known, now} {
		for k := range m {
			keys[k] = true
		}
	}
	for k := range s.maybe {
		keys[k] = true
	}
	for _, k := range slices.SortedFunc(maps.Keys(keys), comparePartNames) {
		was, had := s.known[k]
		if (k == "fields" || k == identityKey) && !had {
			continue // not recorded: a create's answer does not show the other fields
		}
		got := now[k]
		if s.allows(k, got) {
			continue
		}
		name := k
		if k == "fields" || k == identityKey {
			name = "other fields"
		}
		if !had && !s.complete {
			unknown = append(unknown, name)
			continue
		}
		switch {
		case was == "":
			changed = append(changed, name+" added")
		case got == "":
			changed = append(changed, name+" removed")
		default:
			changed = append(changed, name+" changed")
		}
	}
	return changed, unknown
}

// allows reports whether part p (a partHashes key) may have hash got in a
// state the run left: the last known one, or one a write of unknown outcome
// would have left.
func (s leftState) allows(p, got string) bool {
	was, had := s.known[p]
	return (had || s.complete) && got == was || slices.Contains(s.maybe[p], got)
}

// leftFold gives, by target scriptName, the state a run's writes left each
// connector it created or wrote in. base gives the state before the run of
// connectors it did not create (a plan's PreImageParts), nil when unknown.
// It is a fold over records: visit each (runLog.scan), then result.
func leftFold(base map[string]map[string]string) (visit func(record), result func() map[string]leftState) {
	out := map[string]leftState{}
	return func(rec record) {
		if rec.ScriptName == "" {
			return
		}
		switch rec.Op {
		case opCreated, opWrite, opDone, opState:
		default:
			return
		}
		s, ok := out[rec.ScriptName]
		if !ok && rec.Op != opCreated {
			if b, has := base[rec.ScriptName]; has {
				s = leftState{known: maps.Clone(b), complete: true}
			}
		}
		s.apply(rec)
		if s.known != nil || s.maybe != nil {
			out[rec.ScriptName] = s
		}
	}, func() map[string]leftState { return out }
}

// stateReadTimeout bounds the reads recordLeft makes after a run stopped.
const stateReadTimeout = 30 * time.Second

// recordLeft reads back, and journals as a state record, every connector
// this attempt created but did not read back (it stopped, or the write
// failed, before): a create's answer does not show the XML parts the
// tenant's defaults set, so without this a rollback could not tell them
// from changes made since. It runs even when ctx is cancelled (Ctrl-C),
// bounded by stateReadTimeout; a connector it cannot read stays unknown.
func (a *applier) recordLeft(ctx context.Context) {
	var idx []int
	for i, c := range a.created {
		if c != nil && a.written[i] == nil {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 || a.j == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateReadTimeout)
	defer cancel()
	forEach(rctx, a.opts.Concurrency, idx, func(ctx context.Context, i int) {
		d, err := a.t.GetConnector(ctx, a.targets[i])
		if err != nil {
			return
		}
		_ = a.j.add(record{Op: opState, Name: a.plan.Items[i].Name, ScriptName: a.targets[i], Hashes: partHashes(d)}, false)
	})
}
