// Package tenant is the client of the ISC Connectors API: the 13 operations on
// the v2025 and v1 surfaces, OAuth client credentials, a rate governor shared per
// client id, retry with backoff, and typed API errors.
//
// Every request goes through one http.RoundTripper chain built by New:
// auth → rate governor → retry → transport.
package tenant
