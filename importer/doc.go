// Package importer imports a bundle into a tenant: it matches, plans, applies,
// verifies, journals and rolls back (docs/ARCHITECTURE.md, "The import
// algorithm"). It owns the Target interface through which it talks to the
// tenant, satisfied by *tenant.Client.
//
// # Flow
//
// The caller opens and verifies the bundle (bundle.Open) and applies its
// transform rules; MakePlan then reads the target and returns a Plan; Apply
// carries it out; Rollback undoes it with the undo bundle Apply wrote.
//
// # Matching
//
// The connector list shows only RELEASED connectors (and SailPoint's
// built-ins); a DEVELOPMENT or DEMO connector can only be read by scriptName,
// which the tenant derives on create, differently in every tenant. A bundle
// connector is therefore matched, in this order, by: the mapping file (--map:
// source scriptName → target scriptName; every target must exist); a listed
// connector of the same name (glob.SameName: any case, NFC); an unlisted connector of
// the same name that target sources use (the sources, read once per plan
// with Target.ListAllSources, name their connectors' scriptNames; each such
// scriptName the list does not show is read, only when some bundle name is
// not listed); the scriptNames earlier
// imports into the same target created under that name (read from the
// journals in StateDir, probed with GET); and its own source scriptName when
// the bundle was exported from this very tenant (a restore; probed with GET).
// A connector that is in the target under the same name but unlisted and not
// found by these probes is planned as a create; the tenant then refuses the
// duplicate name and the item fails with a message naming the mapping entry
// to add. Probing only these candidates keeps a plan at one list plus one GET
// per matched connector: GET detail returns every part, so an unchanged
// re-import costs only those reads. A part JSON cannot carry byte for byte
// (one that is not UTF-8, such as an ISO-8859-1 XML document) is read from
// its sub-resource as well, and PUT rather than PATCHed (detailBytes).
//
// # Plan
//
// Each bundle connector is a create, an update (naming the differing parts:
// source-config, source-template, correlation-config, translations/<locale>,
// metadata), unchanged, or a conflict (same name, different type or
// className, which the API cannot change; or a difference in a read-only
// built-in). Custom connectors only in the target are kept, or deleted with
// AllowDelete when they are inside the bundle's scope (bundle.Scope: the
// export's filter, globs and named scriptNames, narrowed by the rules the
// caller applied, and by Options.DeleteScope); built-ins never. Nothing is
// deleted when the bundle is incomplete (AllowIncomplete: any of them may be
// one the export failed to capture), holds no connector, or records no scope
// and no DeleteScope is given: each is kept with a note saying why. Apply
// refuses a plan that deletes anyway, and one deleting more than MaxDeletes. Differences the API cannot write (status,
// directConnect, name) are reported as notes, not written; so is a locale an
// update adds, which a rollback cannot remove. Connector metadata means
// connectorMetadata, written with PATCH; a bundle without it leaves the
// target's alone. Empty parts count as absent. Bad input is refused before any
// write: an incomplete bundle (unless AllowIncomplete), two bundle connectors
// with the same name or matching the same target connector, a mapping naming
// a missing connector. A plan records the SHA-256 of every pre-image it read;
// a saved plan (SavePlan, LoadPlan) is applied only if a re-read finds them
// unchanged and no name it would create has appeared, else the error names
// each drifted connector and what changed; SamePlan compares a saved plan with
// a fresh one, for callers that re-plan before applying. Apply refuses a plan with
// conflicts unless SkipConflicts is set (those items are then skipped), and a
// plan with deletions unless AllowDelete is set again.
//
// # Apply
//
// Before the first write Apply writes an undo bundle: an ordinary bundle of
// every pre-image (connectors to update or delete, as read), whose manifest
// options also list the connectors to create and the locales added. Then, with
// Concurrency connectors at a time sharing the client's rate governor, it
// creates the new connectors, and afterwards writes each connector's
// differing parts in the order source-config, source-template,
// correlation-config, translations, metadata, reading each connector back to
// compare what it wrote. ScriptName references in the content are remapped
// (transform.RemapScriptNames) from source to target scriptNames; creating
// every connector first means references between bundle connectors resolve.
// Once the creates are done the undo bundle is rewritten with the scriptNames
// they got. A run that stops before its end (ctx done; or an item hit a
// wait past the client's MaxWait, after which no further item is started,
// each failing with that wait) leaves connectors created but not written
// (the tenant's defaults) or partly written: Result.Unwritten and
// PartlyWritten name them. Last, the mapping file (source scriptName → target scriptName,
// with names) is written: sources' connectorScriptName needs it, and it is
// valid --map input for the next import.
//
// A plan with no changes writes nothing to the target and no undo bundle (there
// is nothing to undo): Apply finishes an unfinished run of the same import if
// there is one (see below), else starts no run at all (Result.RunID and
// UndoPath are ""); either way it writes the mapping file and reports one item
// per plan item.
//
// # Safe create
//
// A create (POST) is never retried blindly. Its intent is journaled first.
// When its outcome is ambiguous (the answer was lost), the name is looked up
// in the list and among the known candidate scriptNames before anything else.
// If it is not found, a RELEASED connector was not created (the list would
// show it) and the create is sent again; any other status cannot be listed,
// and the create is sent again only because the tenant refuses duplicate
// names: if it refuses, the item fails with ErrUnresolvedCreate, telling the
// user to add the connector's scriptName to the mapping file and rerun. No
// duplicate is ever created.
//
// A create that definitively created nothing (a 4xx such as a taken name, or
// never sent) while no earlier attempt can have created the connector is
// journaled as refused, and dropped from the undo bundle's creates.
//
// Provenance. A connector counts as created by the import only if one of
// its POSTs was answered with the scriptName, or the lookup after a lost
// answer found a connector the plan saw absent that equals what was sent
// (name, status, type, className, directConnect). Everything else is
// pre-existing: a connector matched through the mapping, by name, by the
// journal of another run, or found by the lookup but not as sent (journaled
// as adopted). Its pre-image goes into the undo bundle before the first
// write to it, and a rollback restores it and never deletes it. When a
// create's answer was lost and the user later maps the connector, the undo
// bundle lists it as unproven: rollback restores it and says it may be the
// import's.
//
// # Journal and reruns
//
// StateDir/run-<id>.journal records a run line by line: its start (target,
// bundle, undo and mapping paths), that the undo bundle is written, every
// create intent and created scriptName, each connector done or failed, and
// the end, written only when every item succeeded. A rerun of the same bundle
// into the same target (with a fresh plan) continues the newest unfinished
// run, one that was interrupted (crash, Ctrl-C, kill) or stopped with failed
// items, and never one that ended or was rolled back (Result.Resumed). It
// keeps that run's undo bundle: a connector the bundle holds keeps its
// pre-image, the state before that run; every other connector the rerun
// writes has its current pre-image added before the first write. It knows
// which connectors the run created, and writes their scriptNames into the
// undo bundle, so the undo bundle alone (with Force when the journal is gone) rolls back every attempt of the run.
// A fresh plan marks the items whose connector that run created
// (Item.ContinuesCreate, noted; a locale they add is no irreversible effect:
// a rollback deletes the connector). A rerun whose plan has no changes only
// finishes the run. Records are single
// appends, so a killed process leaves whole records; the start, undo and end
// records are also fsynced. One run at a time per StateDir: Apply and
// ApplyRollback hold its lock (StateDir/lock) for the whole run and refuse to
// start while another run holds it (ErrStateDirBusy, naming the holder); a
// caller that reads first (the CLI plans before it applies) takes it with
// LockStateDir before anything else and passes it in Options.Lock.
//
// Result.Retryable tells whether a plain rerun may fix every failed item (a
// lost answer, a 5xx); it is false when an item needs the user first (a name
// taken by an unlisted connector: add a mapping entry; ErrUnresolvedCreate;
// content the tenant refuses).
//
// # Rollback
//
// Apply journals, before writing a connector's parts, which parts it will
// write and their hashes, and afterwards the hashes of the whole connector
// as read back; the undo bundle records the same at the end of the run. A
// create journals what its answer shows (identity, metadata), and a run
// that stops before reading back a connector it created reads it then (a
// state record): the journal knows the last state each write left
// (leftState), and a write whose outcome is unknown adds the state it would
// have left. A rollback's check of a created connector, and the drift check
// of a saved plan whose run is continued, accept exactly those states.
//
// A create intent records the request and that the plan saw no connector
// of the name; a create never sent is journaled as such. A continued run
// recognises its own create whose answer was lost (recogniseOwnCreates,
// notOwnCreate): a RELEASED connector of the name, exactly as sent, with no
// translations; matched by name after a fresh plan, looked up by name for a
// saved plan's create item, whose drift check accepts it on the same grounds
// and otherwise names what differs. A rollback looks up a create whose
// answer was lost and says what it found.
// PlanRollback uses them: it restores only the parts the import wrote whose
// hash is still the one written, leaves parts it never wrote alone, and
// deletes a connector the import provably created only if nothing of it
// changed since. What changed since is named and skipped (a partial item)
// unless Options.Force. A rollback journals what it undid (a created
// connector deleted, parts restored) in the run's journal, and a later
// rollback of the run leaves those alone: what is there now was made since,
// perhaps by a later import writing the same content. Without the run's
// journal (not in StateDir) nothing proves a connector is still the run's or
// that the run was not rolled back already: nothing is deleted or restored
// unless Options.Force (RollbackPlan.JournalNote). A connector whose create the tenant refused, that was
// never sent, or whose create's answer was lost, is never deleted. A locale
// the import added cannot be removed (the API has no way to), nor a
// deleted connector's uploaded files; a connector the import deleted may
// come back with a new scriptName, or differ in fields no API writes: each
// is reported as a partial item, and one that comes back as it was is ok.
// A skipped item is reported as such in the result too (ActionSkip), and
// RollbackPlan.Incomplete counts beforehand what the result will not have
// fully undone. ApplyRollback carries out the plan.
//
// # Sources
//
// Unless Options.NoSources, a plan reads the target's sources once. A 403
// (no idn:sources:read) is said once in Plan.SourcesNote and the plan goes on
// without them. Every item with a target connector lists the sources using it
// (Item.Sources); a deletion of a connector in use is planned as a keep
// naming the sources, unless ForceDeleteInUse; Apply of a saved plan reads the
// sources again and refuses (ErrInUse) a deletion of a connector in use, and
// Rollback refuses to delete a connector the import created that sources use
// now (the item fails naming them), both unless ForceDeleteInUse. A create of
// a connector whose bundle scriptName target sources still name records them
// (Item.StaleSources, and OldHolder, the connector that has that scriptName
// now); when the create gets another scriptName, ItemResult.ScriptNameChange
// says so, with those sources, which ISC cannot re-point.
package importer
