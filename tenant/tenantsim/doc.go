// Package tenantsim is a simulated SailPoint Identity Security Cloud tenant:
// an http.Handler over an in-memory tenant that serves the 13 Connectors
// operations of the v2025 spec, the token endpoint, and endpoints for tests.
// Every test, the demo and the benchmarks talk to it over real HTTP.
//
// It imports nothing from this module: it judges the client's requests on its
// own, against the spec (testdata/spec/connectors-v2025.yaml).
//
// # Endpoints
//
//   - The 13 operations under /v2025/connectors… and /connectors/v1… (same
//     bodies). Statistics key both surfaces by the v2025 operationId.
//   - POST /oauth/token: grant_type=client_credentials, with client_id and
//     client_secret as a form body, a multipart body, the query string or HTTP
//     Basic auth. The answer is {access_token, token_type "bearer",
//     expires_in (seconds, rounded up), scope, jti, tenant_id, pod, org, …}.
//     Tokens are opaque random strings. The endpoint has its own rate limiter
//     with the API's settings, keyed by client id, and is not an API request in
//     the statistics (it is counted under ByOperation["token"]).
//   - The Sources API subset under /v2025/sources
//     (testdata/spec/sources-subset-v2025.yaml): listSources (limit,
//     offset, count, the spec's filters and sorters; no filter on connector),
//     getSource, importConnectorFile (multipart part "file"; the file's base
//     name is recorded on the source and shown in
//     connectorAttributes.connector_files, comma-separated), and putSource and
//     updateSource (PATCH), which answer 400 when connector or connectorClass
//     would change, as SailPoint documents, and otherwise change only name
//     and description.
//   - Scopes (Options.Scopes, SetScopes; default sp:scopes:all): listSources
//     and getSource need idn:sources:read or idn:sources:manage, PUT and PATCH
//     idn:sources:manage, uploads idn:sources-admin:manage; Connectors GETs
//     need idn:connector-config:read or :manage, writes :manage. Without one
//     the answer is 403, checked after the route.
//   - GET /_sim/stats (Stats), GET /_sim/tenant (Dump, sources included), POST
//     /_sim/reset-stats: no auth, no rate limit, no latency or faults, not
//     counted.
//
// # What it assumes about ISC
//
// These are the tool's assumptions about a real tenant, stated in the README:
//
//   - A connector has the fields of ConnectorDetail. Sub-resources map onto
//     them: source-config ↔ sourceConfigXml (and sourceConfig, equal to it by
//     default), source-template ↔ applicationXml, correlation-config ↔
//     correlationConfigXml, translations/{locale} ↔ translationProperties[locale].
//   - The list shows RELEASED connectors only, in a stable order (name, then
//     scriptName). DEVELOPMENT, DEMO and DEPRECATED ones are reachable by
//     scriptName.
//   - SailPoint's own connectors come from one fixed catalog (Active
//     Directory, Microsoft Entra ID, Workday, ServiceNow, Salesforce, JDBC,
//     Delimited File, LDAP, Web Services, SCIM 2.0, Google Workspace, SAP),
//     the same in every tenant: listed, readable, and 403 to PATCH, PUT and
//     DELETE. Their scriptNames carry no tenant suffix.
//   - Create answers 200 with a V3ConnectorDto. The scriptName is a slug of
//     the name (letters transliterated to ASCII) plus a suffix derived from
//     the tenant name, so two tenants never agree on scriptNames. Names are
//     unique ignoring case, across listed and unlisted connectors. type
//     defaults to "custom <name>", directConnect to true, and status to
//     DEVELOPMENT (the spec gives no default), so a connector created without
//     a status is not listed. A new connector has a default source config (the
//     jar-upload form), a bare <Application> and an empty <CorrelationConfig>,
//     and no translations.
//   - PATCH takes application/json-patch+json (anything else is 400), an RFC
//     6902 array applied all or nothing to /connectorMetadata (and below),
//     /applicationXml, /correlationConfigXml and /sourceConfigXml. move and
//     copy need a "from" member, which the spec does not define: without one
//     they are refused with 400. The XML fields cannot be removed, and must be
//     well-formed XML. value must match the spec's oneOf (no null, no fraction).
//   - PUTs take multipart/form-data with a part named "file". Configs must be
//     one well-formed XML document; translations must be UTF-8 text, stored as
//     sent. The answer is an UpdateDetail: UPDATED, or UNCHANGED when the bytes
//     equal the stored ones. A source config whose <Form> declares a namespace
//     other than http://www.sailpoint.com/xsd/sailpoint_form_2_0.xsd is
//     answered 200 with status ERROR and ISC's "unsupported xsd version"
//     message, and not stored. There is no way to delete one locale's
//     translations.
//   - The XML and text GETs ignore Accept: they answer application/xml or
//     text/plain; charset=utf-8; errors are always JSON. A locale path
//     parameter outside the 19 of the spec is 400 (mind "no"); the locale
//     query parameter of list and get accepts anything (unknown falls back to
//     en) and changes nothing.
//   - Errors: 400, 403, 404 and 500 carry an ErrorResponseDto with a fresh
//     trackingId (also sent as the SLPT-Request-ID header of every API
//     response); 401 is {"error": "..."}; 429 is {"message": " Rate Limit
//     Exceeded "} with Retry-After in whole seconds (at least 1). A method the
//     path does not have is 405 with an Allow header (the spec lists none).
//     Unknown query parameters are ignored.
//   - Order of checks: latency, revoke fault, auth (401), rate limit (429),
//     burst429 fault, route (404/405), 500/reset faults, then the operation:
//     404 for an unknown scriptName, 403 for a built-in, then 400 for the body.
//   - Rate limit: a sliding window of Options.RateLimit requests per
//     Options.RateWindow per client id (ISC: 100 per 10 s). A refused request
//     takes no slot; Retry-After is the time until the oldest request in the
//     window leaves it.
//
// # Variants
//
// Where the spec is silent, Options.Variants (or ParseVariants, the textual
// form of `connvault sim --variant`) chooses which plausible behaviour the
// tenant shows; the defaults are the behaviour described above. Keys, with
// the default first:
//
//	detail-locales=all|requested     translationProperties: every locale, or only the locale asked for (en)
//	missing-locale=404|empty|en      GET of a locale without translations: 404, empty 200, or the en text
//	detail-bytes=same|normalised     detail XML fields: the sub-resources' bytes, or another declaration and CRLF
//	upload-normalise=none|crlf       uploads (PUT files, PATCHed XML) stored as sent, or with CRLF line endings
//	list-order=stable|unstable       list order kept between calls, or reshuffled on every call
//	page-cap=250|N                   the largest page served, whatever limit asks for
//	custom-type=prefix|any           seeded custom types start with "custom", or a third carry their own
//	create-status=strict|lenient     create takes status in upper case only, or in any case ("released")
//	duplicate-name=400|409           the status of a create whose name is taken
//	metadata-remove=allowed|refused  PATCH remove /connectorMetadata accepted, or 400
//	translations-part=file|any       translations PUT takes part "file" only, or any first part
//	source-config-json=copy|json|null  the detail's sourceConfig: a copy of sourceConfigXml, a JSON text, or null
//
// GET /_sim/tenant shows the variants in effect under "variants".
//
// # Seeded data
//
// Options.Seed and Options.Connectors make a deterministic tenant. Names come
// from a fixed universe (names with spaces and non-ASCII letters such as
// "Münchner Personalsystem" or "São Paulo Payroll"): the first 40% of a
// tenant's names are the start of the universe, shared by every tenant; the
// rest are drawn by the seed, so a sandbox and a production tenant share some
// names but not all. type, className, features and directConnect depend on the
// name only; status (about 15% DEVELOPMENT or DEMO, 2% DEPRECATED), metadata,
// locales ("en" plus up to MaxLocales-1 others) and all content depend on the
// seed. Source configs and templates are 1–20 KB log-uniform, and 40–200 KB
// for about 4%. Content is generated from (seed, name) on each read until a
// connector is changed, so start-up is quick and memory small even for 10 000
// connectors.
//
// Seeded sources (made on first use, deterministic in the seed) use the
// tenant's connectors: every hidden (not RELEASED) custom connector has one or
// two, about a third of the RELEASED ones have none, the others one to three,
// and about a quarter of SailPoint's connectors have one. Some sources list
// uploaded jars. Deleting a connector leaves its sources naming it.
//
// # Fault injection
//
// Faults (or ParseFaults, or Options.Faults) injects failures into API
// requests. The textual form is comma-separated key=value pairs:
//
//	500=P          answer 500 (ErrorResponseDto) before processing, with probability P
//	reset=P        close the TCP connection (RST) without answering, before processing
//	truncate=P     send the status, headers and full Content-Length but only half
//	               the body, then close; a truncated write is NOT applied
//	lose-write=P   apply a successful POST/PUT/PATCH/DELETE, then reset the
//	               connection instead of answering ("the response was lost")
//	burst429=N:D   every N-th API request starts a burst: that client's requests
//	               get 429 with Retry-After (the seconds left) for D
//	revoke=N       every N-th API request first revokes all tokens (it gets 401)
//	latency=D      add D to every API request
//	seed=S         seed of the decisions (default 0)
//
// P is a probability from 0 to 1; N a count of API requests (1 = every one);
// D a Go duration ("5s", "250ms") or whole seconds. Example:
//
//	500=0.05,reset=0.05,truncate=0.01,burst429=200:5s,revoke=300,lose-write=0.1,seed=7
//
// Requests are numbered in arrival order, and the decision for request n
// depends only on the seed and n, so a serial client sees the same faults on
// every run. At most one of 500, reset and truncate hits a request. Faults are
// counted in Stats.Faults by kind; a reset request is counted with status 0.
// SetFaults restarts the numbering.
package tenantsim
