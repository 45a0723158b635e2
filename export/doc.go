// Package export copies a tenant's connectors into a bundle: it lists the
// connectors, chooses which to export, fetches each one's detail and parts
// with bounded concurrency, and adds them to a bundle.Writer as soon as they
// are fetched, so memory stays flat however many connectors a tenant has.
//
// # Which connectors
//
// The list (GET /connectors, with Options.Filter sent as the ISC filters
// parameter) shows only RELEASED connectors, SailPoint's built-in ones among
// them. The API has no flag telling the two apart, so export judges from the
// listed data alone: a listed connector is custom when its type starts with
// "custom" (case-insensitively; ISC gives a created connector the type
// "custom <name>" unless one is set). Other listed connectors are treated as
// built-in and are exported only with Options.BuiltIn.
//
// Options.Include and Options.Exclude are globs applied locally to the listed
// connectors' names by internal/glob's rule, the same as a rules file's: the
// whole name, ignoring letter case, never the scriptName (scriptNames differ
// between tenants; name a connector by scriptName with Options.ScriptNames).
// With Include set a connector
// must match one of them; a connector matching any Exclude is dropped.
//
// Connectors named in Options.ScriptNames are always exported, whatever their
// status, type, Include or Exclude: naming one is how DEVELOPMENT and DEMO
// connectors, which the list hides, get into a bundle. A connector named twice,
// or both named and listed, is exported once. A named connector the tenant does
// not know is a recorded failure ("not found"), like any other connector that
// cannot be read.
//
// # What is fetched
//
// Each connector costs 1 + 3 + len(locales) GETs: the detail, source-config,
// source-template, correlation-config and the translations of each locale in
// Options.Locales. By default every one of the spec's 19 locales is asked for.
// The single value "detail" asks only for the locales that are keys of the
// detail's translationProperties, which needs far fewer requests but trusts the
// detail to name every locale the tenant serves.
//
// Options.Parts says how much of that is taken from the detail instead
// (reads.go): PartsEndpoints none, PartsAuto what a sample of connectors,
// read both ways, proved the detail carries, PartsDetail all but what the
// sample showed it does not carry. Both sampling modes read a kind of part
// the sample disproved from its endpoints, so the detail's gaps never leave
// a bundle silently short; bundle.Reads records the verdicts.
//
// A part the detail announces (an XML field that is not empty, a locale that
// is a key of translationProperties) must be in the bundle: a 404 on it is
// retried like a 5xx (tenant.RetryNotFound), and one that persists fails the
// connector. connector.json lists the announced parts under bundle.PartsKey,
// so that every reader can check they all have a file. A part the detail does
// not announce and that is answered with 404 is absent, not an error.
//
// connector.json is the detail as read, re-encoded with sorted keys, without
// the fields kept in their own files (sourceConfigXml, sourceConfig,
// applicationXml, correlationConfigXml, translationProperties). The XML and
// properties files are the bytes the tenant served: a part the detail's JSON
// cannot carry byte for byte (tenant.JSONExact: U+FFFD in the field, or an
// XML declaration of another encoding than UTF-8) is read from its own
// endpoint whatever Options.Parts says.
//
// # Failures
//
// A connector that still fails after the client's retries is recorded with
// (*bundle.Writer).Fail and returned in Result.Failed; the run goes on and the
// bundle becomes incomplete. With Options.FailFast the first such failure
// aborts the run instead. Run never commits or aborts the writer: that is the
// caller's choice, so that a cancelled or failed run leaves nothing at the
// destination.
//
// # Sources
//
// Unless Options.NoSources, the tenant's sources are read once (a 403 is
// recorded in the coverage and the run goes on without them). Every source
// names its connector's scriptName, so a hidden connector that a source uses
// and nothing named or carried forward is exported like a carried one (the
// globs apply, by the name the source gives it), and Coverage.UsedBySources
// says which sources brought it in ("used by source S"). With Options.Filter
// such connectors are left out as hidden instead: the tenant evaluates the
// filter on listed connectors only. Every manifest entry lists the sources
// that use its connector, with the connector files (jars) the source shows as
// uploaded: no operation downloads them, so they are a restore's checklist.
package export
