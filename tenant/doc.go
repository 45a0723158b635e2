// Package tenant is the client of the ISC Connectors API: the 13 operations on
// the v2025 and v1 surfaces, and the subset of the Sources API connvault needs
// (listSources, getSource, importConnectorFile, always under /v2025/sources),
// with OAuth client credentials, a rate governor shared per client id, retry
// with backoff, and typed API errors.
//
// Every request goes through one http.RoundTripper chain built by New:
// auth → rate governor → retry → transport.
//
//   - auth adds the bearer token. With a client id and secret (a PAT) the
//     token is fetched by client credentials, renewed TokenRefreshMargin before
//     it expires, and after a 401 renewed and the request sent once more. A
//     ready AccessToken is never renewed: its 401 is final.
//   - the governor (see Governor) paces requests evenly at the configured
//     rate, token requests included, and holds every request back while a
//     429's Retry-After runs. The retry layer asks it again before every
//     further attempt, so retries are paced too.
//   - retry classifies each attempt in one function, shouldRetry: 429 always
//     (not counted against MaxAttempts: only the context ends that wait);
//     500, 502, 503, 504, resets, EOFs, truncated bodies and timeouts with
//     jittered exponential backoff, for GET, PUT, PATCH and DELETE. A POST
//     (create) is retried only when the tenant cannot have processed it (a 429
//     or a failure to connect); otherwise its error wraps ErrAmbiguous and the
//     caller looks the name up.
//
// Errors answered by the tenant are *APIError (status, operationId, detail
// code, tracking id, messages); a PUT answered 200 with status ERROR is an
// *UpdateError. No error or log record carries a token or the client secret.
package tenant
