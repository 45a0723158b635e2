package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/connvault/connvault/bundle"
	"github.com/connvault/connvault/internal/glob"
	"github.com/connvault/connvault/tenant"
)

// ErrUnresolvedCreate means a connector of the name exists in the target,
// probably made by an earlier create whose answer was lost, but it cannot be
// found: its status keeps it out of the list. The user names it in the mapping
// file and reruns.
var ErrUnresolvedCreate = errors.New("a connector of this name exists but cannot be found")

// createRounds bounds the POSTs sent for one connector; every one after the
// first follows a lookup that did not find the name.
const createRounds = 3

type createRequest struct {
	nc         tenant.NewConnector
	source     string   // source scriptName (messages, journal)
	candidates []string // scriptNames to probe, for connectors the list cannot show
	mayExist   bool     // an earlier attempt of the run sent a create of this name whose outcome is unknown
	// absentAtPlan: the plan found no connector of the name (journaled with
	// the intent: a rerun may recognise the connector as this create's).
	absentAtPlan bool
}

// safeCreate creates a connector and never a duplicate. The intent is
// journaled before the POST. When the outcome is ambiguous (the request may
// have reached the tenant, e.g. the answer was lost) it looks the name up
// (the list, then the candidate scriptNames) before anything else, and adopts
// what it finds. If nothing is found, a RELEASED connector was not created
// (the list would show it); any other might exist unlisted, and the create is
// sent again only because the tenant refuses a duplicate name: if it does,
// the connector exists and the item fails with ErrUnresolvedCreate, telling the
// user which mapping entry to add. A create that definitively created nothing
// (a 4xx, or never sent) while no earlier attempt can have is journaled as
// refused and returns a *refusedError: a connector of that name is not the
// import's, and a rollback must not delete it.
//
// The connector it returns was created by this call (created true) only if
// a POST was answered with its scriptName, or the lookup after an ambiguous
// POST found a connector that the plan saw absent (every create is of a
// name the plan did not find) and that equals what was sent (sameAsSent).
// Anything else the lookup finds (another status, type, className or
// directConnect) existed before or was made by someone else: it is returned
// with created false, journaled as adopted, and the caller must save its
// pre-image before writing to it.
func safeCreate(ctx context.Context, t Target, j *journal, req createRequest) (c tenant.Connector, created bool, err error) {
	name := req.nc.Name
	if j != nil {
		body := req.nc
		if err := j.add(record{Op: opCreate, Name: name, SourceScriptName: req.source, Body: &body, AbsentAtPlan: req.absentAtPlan}, false); err != nil {
			return tenant.Connector{}, false, err
		}
	}
	done := func(c tenant.Connector, provable bool) (tenant.Connector, bool, error) {
		op := opCreated
		if !provable {
			op = opAdopted
		}
		if j != nil {
			rec := record{Op: op, Name: name, SourceScriptName: req.source, ScriptName: c.ScriptName}
			if provable {
				rec.Hashes = createdHashes(c) // the state the create left, as far as its answer shows
			}
			if err := j.add(rec, false); err != nil {
				return c, provable, err
			}
		}
		return c, provable, nil
	}
	mayExist := req.mayExist
	var lastErr error
	for range createRounds {
		c, err := createDetached(ctx, t, req.nc)
		if err == nil {
			return done(c, true)
		}
		if ctx.Err() != nil {
			if errors.Is(err, errNotSent) && !mayExist && j != nil {
				// Nothing was sent, and no earlier attempt can have created
				// it: a rollback must not report it as possibly made.
				if jerr := j.add(record{Op: opUnsent, Name: name, SourceScriptName: req.source}, false); jerr != nil {
					return tenant.Connector{}, false, jerr
				}
			}
			return tenant.Connector{}, false, fmt.Errorf("create %q: %w", name, err)
		}
		if !errors.Is(err, tenant.ErrAmbiguous) {
			if mayExist {
				// This POST created nothing, but an earlier one whose
				// answer was lost may have: the outcome stays unknown.
				if nameTaken(err) {
					return tenant.Connector{}, false, refused(req, true, err)
				}
				return tenant.Connector{}, false, fmt.Errorf("create %q: %w", name, err)
			}
			// Definitive (a 4xx, or never sent) and no earlier attempt can
			// have created it: nothing of the name is ours.
			if j != nil {
				if jerr := j.add(record{Op: opRefused, Name: name, SourceScriptName: req.source, Error: err.Error()}, false); jerr != nil {
					return tenant.Connector{}, false, jerr
				}
			}
			if nameTaken(err) {
				return tenant.Connector{}, false, &refusedError{refused(req, false, err)}
			}
			return tenant.Connector{}, false, &refusedError{fmt.Errorf("create %q: %w", name, err)}
		}
		mayExist, lastErr = true, err
		found, ok, lerr := lookupName(ctx, t, name, req.candidates)
		if lerr != nil {
			return tenant.Connector{}, false, fmt.Errorf("create %q: the outcome is unknown (%v) and looking the name up failed: %w; rerun the import to resolve it",
				name, err, lerr)
		}
		if ok {
			return done(found, sameAsSent(found, req.nc))
		}
	}
	return tenant.Connector{}, false, fmt.Errorf("create %q: the outcome stayed unknown after %d attempts: %w; rerun the import to resolve it",
		name, createRounds, lastErr)
}

// sameAsSent reports whether a connector found by name after an ambiguous
// create is what that create asked for (sentDiffers says nothing differs).
func sameAsSent(c tenant.Connector, nc tenant.NewConnector) bool { return sentDiffers(c, nc) == "" }

// sentDiffers names what of a connector found by name after an ambiguous
// create differs from what that create asked for, "" if nothing: the same
// name, and the same status, type (default "custom <name>"), className and
// directConnect where the request set them. Name and type are compared in
// NFC, letter case and all: a tenant that stores them normalized holds what
// was sent, while one that differs in case is someone else's. A connector
// differing in any of these is not the create's work.
func sentDiffers(c tenant.Connector, nc tenant.NewConnector) string {
	if norm.NFC.String(c.Name) != norm.NFC.String(nc.Name) {
		return fmt.Sprintf("its name is %q, the create sent %q", c.Name, nc.Name)
	}
	if nc.Status != "" && c.Status != nc.Status {
		return fmt.Sprintf("its status is %s, the create sent %s", c.Status, nc.Status)
	}
	wantType := nc.Type
	if wantType == "" {
		wantType = "custom " + nc.Name
	}
	if c.Type != "" && norm.NFC.String(c.Type) != norm.NFC.String(wantType) {
		return fmt.Sprintf("its type is %q, the create sent %q", c.Type, wantType)
	}
	if c.ClassName != nil && nc.ClassName != "" && *c.ClassName != nc.ClassName {
		return fmt.Sprintf("its className is %q, the create sent %q", *c.ClassName, nc.ClassName)
	}
	if nc.DirectConnect != nil && c.DirectConnect != *nc.DirectConnect {
		return fmt.Sprintf("its directConnect is %t, the create sent %t", c.DirectConnect, *nc.DirectConnect)
	}
	return ""
}

// notOwnCreate says why d, a connector of the name of a create of the run
// whose answer was lost (st: the journal holds its intent, no outcome),
// cannot be proven that create's work, "" when it can: the intent says the
// plan saw no connector of the name, d is RELEASED (so the plan's list would
// have shown it had it existed then), holds no translations (nothing was
// written to it since) and is exactly what the create sent (sentDiffers).
// A connector of another status proves nothing: the list never shows it, so
// a hidden connector of the name may have existed before.
func notOwnCreate(d tenant.ConnectorDetail, st createState) string {
	switch {
	case st.body == nil:
		return "the journal (of an older connvault) does not record what the create sent"
	case !st.absentAtPlan:
		return "the plan had found a connector of that name"
	case d.Status != tenant.StatusReleased:
		return fmt.Sprintf("its status is %s, which the connector list hides, so it may have existed before the plan", statusOrDefault(d.Status))
	case len(d.TranslationProperties) > 0:
		return "it holds translations, which the create did not send"
	}
	return sentDiffers(connectorOf(d), *st.body)
}

// refusedError is a create that definitively created nothing: the tenant
// refused it (a 4xx) or it was never sent, and no earlier attempt of the run
// can have created the connector. A connector of that name in the target is
// therefore not the import's.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// nameTaken reports whether a create's error may be the tenant refusing a
// name that is taken: ISC documents neither the status nor its text, and a
// tenant may answer 400 or 409 (README, "Assumptions about ISC").
func nameTaken(err error) bool {
	return tenant.IsStatus(err, 400) || tenant.IsStatus(err, 409)
}

// refused explains a create the tenant refused as nameTaken says.
func refused(req createRequest, mayExist bool, err error) error {
	fix := fmt.Sprintf("add %q: \"<its scriptName>\" to the mapping file (--map) and rerun", req.source)
	if mayExist {
		return fmt.Errorf("create %q: %w: an earlier attempt whose answer was lost probably created it, and a %s connector is not listed, so its scriptName cannot be looked up; find the connector named %q in the tenant, %s; do not delete or recreate it by hand (tenant said: %v)",
			req.nc.Name, ErrUnresolvedCreate, statusOrDefault(req.nc.Status), req.nc.Name, fix, err)
	}
	return fmt.Errorf("create %q: %w; if a connector of that name already exists in the target but is not RELEASED (the list does not show those), %s",
		req.nc.Name, err, fix)
}

func statusOrDefault(s tenant.Status) string {
	if s == "" {
		return "non-RELEASED"
	}
	return string(s)
}

// lookupName finds a connector by name (glob.SameName: any letter case or
// normalization form): in the list (filtered by the name's start), then
// among the candidate scriptNames.
func lookupName(ctx context.Context, t Target, name string, candidates []string) (tenant.Connector, bool, error) {
	ls, err := t.ListAllConnectors(ctx, nameFilter(name), nil)
	if tenant.IsStatus(err, 400) { // a tenant that rejects the filter: read the whole list
		ls, err = t.ListAllConnectors(ctx, "", nil)
	}
	if err != nil {
		return tenant.Connector{}, false, fmt.Errorf("list connectors named %q: %w", name, err)
	}
	for _, l := range ls {
		if glob.SameName(l.Name, name) {
			return l, true, nil
		}
	}
	for _, s := range candidates {
		d, err := t.GetConnector(ctx, s)
		if tenant.IsNotFound(err) {
			continue
		}
		if err != nil {
			return tenant.Connector{}, false, fmt.Errorf("read connector %q: %w", s, err)
		}
		if glob.SameName(d.Name, name) {
			return connectorOf(d), true, nil
		}
	}
	return tenant.Connector{}, false, nil
}

// nameFilter is the list filter `name sw "<start>"` (tenant.Sw), where
// start is the part of name that no Unicode normalization changes: its
// ASCII characters up to the last one before the first other character
// (which may combine with it: "Cafe\u0301" is "Café"). The tenant compares
// bytes, so a filter of the whole name would miss the connector stored in
// another normalization form. "" (no filter) when nothing of name is safe.
func nameFilter(name string) string {
	start := name
	if i := strings.IndexFunc(name, func(r rune) bool { return r >= utf8.RuneSelf }); i >= 0 {
		start = name[:max(i-1, 0)]
	}
	if start == "" {
		return ""
	}
	return tenant.Sw("name", start).String()
}

func connectorOf(d tenant.ConnectorDetail) tenant.Connector {
	cls := d.ClassName
	return tenant.Connector{Name: d.Name, Type: d.Type, ScriptName: d.ScriptName, ClassName: &cls,
		DirectConnect: d.DirectConnect, ConnectorMetadata: d.ConnectorMetadata, Status: d.Status}
}

// newConnector is the create request for a bundle connector. DEPRECATED
// cannot be set on create: such a connector is created as DEVELOPMENT.
func newConnector(c bundle.Connector) tenant.NewConnector {
	dc := directConnect(c)
	st := tenant.Status(c.Status)
	if st == tenant.StatusDeprecated {
		st = tenant.StatusDevelopment
	}
	return tenant.NewConnector{Name: c.Name, Type: c.Type, ClassName: c.ClassName, DirectConnect: &dc, Status: st}
}

// errNotSent marks a create that was not sent because the run was
// cancelled first: it created nothing.
var errNotSent = errors.New("not sent")

// createGrace bounds how long a create already started may run on after the
// run was cancelled.
const createGrace = time.Minute

// createDetached sends one create and lets it finish, up to createGrace, even
// when ctx is cancelled meanwhile (Ctrl-C): a create that reached the tenant
// is applied there whether or not anyone reads the answer, and a connector
// that is not RELEASED cannot be found by name afterwards, so abandoning the
// answer would leave a connector the rerun can neither find nor prove it made.
// A create not yet started when ctx is cancelled is not sent.
func createDetached(ctx context.Context, t Target, nc tenant.NewConnector) (tenant.Connector, error) {
	if err := ctx.Err(); err != nil {
		return tenant.Connector{}, fmt.Errorf("%w: %w", errNotSent, err)
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createGrace)
	defer cancel()
	return t.CreateConnector(wctx, nc)
}

// resumeCreated handles a create item of a saved plan whose connector the
// continued run already created (its journal says so): it is not created
// again but written like one just created, all its parts. A connector the
// drift check did not read (unlisted) is read here; if it is gone, the item
// is created as planned (false).
func (a *applier) resumeCreated(ctx context.Context, i int) bool {
	it := a.plan.Items[i]
	s := a.prevCreates[glob.NameKey(it.Name)].scriptName
	if s == "" {
		return false
	}
	d, ok, err := a.details.get(s)
	if !ok || err != nil {
		if d, err = a.t.GetConnector(ctx, s); err != nil || !glob.SameName(d.Name, it.Name) {
			return false
		}
	}
	c := connectorOf(d)
	a.targets[i], a.results[i].TargetScriptName, a.created[i] = s, s, &c
	if !slices.Contains(a.results[i].Notes, noteRecognised) {
		a.results[i].Notes = append(a.results[i].Notes, noteContinues)
	}
	return true
}

// noteRecognised is the note of a connector a rerun recognised as the run's
// own create (recogniseOwnCreates).
const noteRecognised = "recognised as this import's own create, whose answer was lost: it was not listed when the import planned and is exactly as the create sent it; a rollback deletes it"

// recogniseOwnCreates runs when a run is continued, before anything is
// written: a connector of the name of a create by the run whose answer was
// lost (the process was killed, or the answer never came) is the run's own
// create when notOwnCreate finds nothing against it. Such a connector is
// journaled as created (found) with its state as read, so the undo bundle
// lists it as a create and a rollback deletes it; the run writes it like
// one it created. A fresh plan matched it by name (an update); a saved plan,
// made before the create, still says create, and the connector is looked
// up by name (the drift check accepted it on the same grounds). Any other
// stays pre-existing; a create item of its name is never created twice
// (the tenant refuses the taken name and the item asks for a mapping entry,
// as safeCreate does after a lost answer).
func (a *applier) recogniseOwnCreates(ctx context.Context) error {
	for i, it := range a.plan.Items {
		k := glob.NameKey(it.Name)
		st := a.prevCreates[k]
		if !st.ambiguous || st.body == nil || !st.absentAtPlan {
			continue
		}
		var (
			d   tenant.ConnectorDetail
			ok  bool
			err error
		)
		switch it.Action {
		case ActionUpdate, ActionUnchanged:
			d, ok, err = a.details.get(it.TargetScriptName)
		case ActionCreate:
			d, ok, err = a.lookupDetail(ctx, it.Name, a.earlier[k])
		default:
			continue
		}
		if err != nil {
			return err
		}
		if !ok || notOwnCreate(d, st) != "" {
			continue
		}
		s := d.ScriptName
		if err := a.j.add(record{Op: opCreated, Name: it.Name, SourceScriptName: st.source, ScriptName: s, Found: true,
			Hashes: createdHashes(connectorOf(d))}, false); err != nil {
			return err
		}
		if err := a.j.add(record{Op: opState, Name: it.Name, ScriptName: s, Hashes: partHashes(d)}, false); err != nil {
			return err
		}
		st.scriptName, st.ambiguous = s, false
		a.prevCreates[k] = st
		r := &a.results[i]
		r.Notes = slices.DeleteFunc(slices.Clone(r.Notes), func(n string) bool { return strings.HasSuffix(n, noteLocaleIrreversible) })
		r.Notes = append(r.Notes, noteRecognised)
	}
	return nil
}

// lookupDetail finds the connector named name (lookupName) and returns its
// detail, as the drift check read it or read now.
func (a *applier) lookupDetail(ctx context.Context, name string, candidates []string) (tenant.ConnectorDetail, bool, error) {
	l, found, err := lookupName(ctx, a.t, name, candidates)
	if err != nil || !found {
		return tenant.ConnectorDetail{}, false, err
	}
	if d, ok, err := a.details.get(l.ScriptName); ok || err != nil {
		return d, ok, err
	}
	d, err := a.t.GetConnector(ctx, l.ScriptName)
	if tenant.IsNotFound(err) {
		return d, false, nil
	}
	if err != nil {
		return d, false, fmt.Errorf("read connector %q: %w", l.ScriptName, err)
	}
	return d, true, nil
}
