// Package transform rewrites the connectors of a bundle for a target tenant:
// it keeps or drops them by name, renames them, rewrites their XML and
// properties text (literal replacements and ${NAME} placeholders), overrides
// their connectorMetadata, and remaps references to other connectors'
// scriptNames. Everything here is a pure function of its arguments: no
// network, clock, randomness or environment (placeholder values come in
// through a Lookup the caller builds).
//
// # Rules file, version 2
//
// A rules file is one YAML document. Every key but version is optional. A
// version other than 2 is refused before anything else is looked at (a
// version 1 file with a message saying what changed: in version 1
// placeholders were substituted by default, from the values file and then
// the whole environment);
// otherwise unknown keys, keys given twice, and values of the wrong type are
// errors naming the file and line, all of them reported at once.
//
//	version: 2                        # required; another version is refused
//	include: ["HR *", "Payroll*"]     # keep only connectors matching a glob; empty or absent: all
//	exclude: ["* (test)"]             # then drop those matching a glob
//	rename:                           # bundle name → name in the target tenant
//	  "Zürich HR Feed": "Zürich HR Feed PROD"
//	replace:                          # literal text replacements, in order
//	  - from: "https://sandbox.example.com"
//	    to: "${TARGET_URL}"
//	    kinds: [source-config, translations]   # default: all four text kinds
//	placeholders: {env: [TARGET_URL]} # default false; true: values from --values only
//	metadata:                         # connectorMetadata overrides, in order
//	  - match: "HR *"
//	    set: { shortDesc: "HR feed", platform: "prod" }
//	    unset: [ "internalNote" ]
//
// Names. Every glob and every rename key refers to a connector by its name in
// the bundle (the source name), never by a name given by rename; so the steps
// do not depend on each other and the file reads the same whatever its order.
// Globs match whole names, ignoring letter case and Unicode normalization
// (internal/glob: the same rule as the --include and --exclude flags of
// export, plan, import and migrate); rename keys match names by the same
// rule ("praha intranet" renames "Praha Intranet"; "Zu\u0308rich" in NFD
// renames "Zürich").
//
// Every rule that names connectors must name one of the bundle (Check):
// an include glob, a rename key or a metadata match that matches no
// connector of the bundle is an error naming it, its line and a near name
// if one exists (*NoMatchError), reported before anything is written. A
// typo there would otherwise pass silently: a rename that matches nothing
// leaves the connector under its old name, which then overwrites the
// target's connector of that name. An exclude that matches nothing is a
// warning: it still keeps target connectors of that name out of the
// deletion scope.
//
// Globs use path.Match syntax — '*' any run of characters, '?' one character,
// '[a-z]' and '[^a-z]' (or '[!a-z]') classes, '\' escapes the next character
// — except that '*' and '?' also match '/', since connector names are not
// paths ("HR / Payroll" matches "HR *"). A malformed glob is an error.
// include and exclude also take a single string.
//
// Rename changes the connector's name (the Connector's Name and "name" in
// connector.json); its scriptName, type and bundle key stay, the target
// tenant derives a new scriptName when the importer creates the connector.
// A name renamed twice, two names renamed to one, and a rename that makes two
// kept connectors share a name (ignoring case, as the tenant does, and
// Unicode normalization, as globs do) are errors, and so is a rename of a connector that is
// not in the bundle (see above).
//
// Replace rewrites the text files (kinds source-config, source-template,
// correlation-config, translations; default all four) with literal,
// case-sensitive replacements, applied in file order, each to the result of
// the one before. to is inserted as written; it may hold placeholders, which
// are substituted afterwards. connector.json is never rewritten by replace.
//
// Placeholders are opt-in. Without the key, or with placeholders: false,
// nothing is substituted: the bundle's bytes are written as they are (so a
// plain import or restore never fills shell text such as ${HOME} from the
// operator's environment). With placeholders: true, or a mapping
// {env: [NAME, …]}, ${NAME} with NAME matching [A-Z][A-Z0-9_]* is replaced,
// in the XML and properties files, by the value Lookup gives: Rules.Lookup
// answers from the values file, then from the environment variables the
// mapping names one by one, and from nothing else. SAIL_* variables
// (connvault's own credentials) can never be named.
// Anything else is left byte for byte: Velocity references such as
// ${plan.baseUrl}, $plan.x or $!{x}, lower-case or mixed-case names, a lone $.
// $${NAME} is the escape for a literal ${NAME} (write $${X} where an
// all-capitals Velocity reference must survive). Values are inserted as text:
// in XML &, <, >, " and ' become entities (inside a CDATA section the value
// goes in raw, a "]]>" split across two sections); in properties files \,
// newline, carriage return, tab and form feed become backslash escapes. Use
// replace to insert raw markup. A value is not itself searched for
// placeholders. Every placeholder without a value is reported, each with its
// connector, bundle file and line (in the text after replace), in one
// *UnresolvedError. placeholders: false leaves ${NAME} and $${NAME} alone.
//
// Metadata rules apply, in file order, to every kept connector whose bundle
// name matches match (required; "*" for all). set writes top-level keys of
// connectorMetadata, replacing what was there; unset removes keys (absent
// keys are fine); a key may not be both set and unset in one rule. A
// connector without connectorMetadata gets one. Values keep their YAML type:
// unquoted true/false are booleans; numbers in JSON syntax are numbers, kept
// digit for digit (YAML-only forms such as 010, 0x1F, 1_000 or .inf are
// refused: quote them for a string); lists and mappings are JSON arrays and
// objects; everything else is a string — `no`, `yes`, `on`, `off` and dates
// too (YAML 1.2 rules). null is refused: use unset. Metadata values are not
// searched for placeholders.
//
// The order of Apply is: include/exclude, rename, replace, placeholders,
// metadata. String values are taken exactly as written wherever a string is
// expected (`rename: {no: yes}` renames "no" to "yes"); placeholders must be
// true or false.
//
// # What a transformed bundle stands for
//
// A transformed bundle stands for what its input stands for, narrowed by
// the rules (Rules.Narrow, written by bundle.WriteDerived): the scope gets
// the rules' include and exclude; each connector they drop joins the
// coverage's leftOut as "filtered", with the rule, so an import never takes
// its absence for a deletion; the rest of the coverage, the reads, the
// ambiguous translations, the failed items (an incomplete bundle stays
// incomplete) and the source are kept.
//
// # Values file
//
// A values file (LoadValues) is a YAML mapping from placeholder name to
// value, each value a scalar taken as written:
//
//	TARGET_URL: https://prod.example.com
//	REGION: no        # the string "no"
//
// Keys must be placeholder names. An empty value is refused; write "" for
// the empty string.
//
// # scriptName remapping
//
// The target tenant gives created connectors new scriptNames. RemapScriptNames
// rewrites references to them, given the source → target mapping the importer
// builds. A reference is a value tied to a key that names a scriptName (its
// name ends with "scriptName" or "scriptNames", any case), never a value
// that merely equals one: in connectorMetadata at any depth (and the value of
// a {"key": …, "value": …} pair), XML attributes named so, the value= of an
// element whose key= or name= names one (<entry key=… value=…/>), and the
// text inside such an element, IdentityIQ's nested <entry key=…><value>
// <String>…</String></value></entry> and its <List> nestings included. The
// XML is edited as text, so every other byte stays as it was.
// FindScriptNames finds the occurrences remapping left; plan and import
// warn about each, naming the file and line.
package transform
