package tenant

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrAmbiguous marks a create whose request may have reached the tenant but
// whose outcome is unknown (connection reset, timeout, 5xx, truncated
// response). The create is not retried; the caller looks the name up.
var ErrAmbiguous = errors.New("outcome unknown")

// maxErrorBody caps the raw body an APIError keeps for unknown shapes.
const maxErrorBody = 512

// APIError is an error answer of the ISC API (or of its token endpoint).
type APIError struct {
	Status     int      // HTTP status code
	Operation  string   // the spec's operationId, e.g. getConnector; "getAccessToken" for the token endpoint
	Method     string   // HTTP method
	Path       string   // request path, without the query
	DetailCode string   // ErrorResponseDto.detailCode, e.g. "404 Not found"
	TrackingID string   // ErrorResponseDto.trackingId: quote it in support cases
	Messages   []string // messages[].text, or the 401 "error" / 429 "message"
	Body       string   // the raw body (truncated) when its shape is unknown

	target string // the scriptName the request was about, for Error
}

// Error reads like
// `getConnector "abc": 404 Not found: connector "abc" not found (trackingId 1234)`.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	if e.target != "" {
		fmt.Fprintf(&b, " %q", e.target)
	}
	b.WriteString(": ")
	b.WriteString(e.statusText())
	switch {
	case len(e.Messages) > 0:
		b.WriteString(": ")
		b.WriteString(strings.Join(e.Messages, "; "))
	case e.Body != "":
		b.WriteString(": ")
		b.WriteString(e.Body)
	}
	if e.TrackingID != "" {
		fmt.Fprintf(&b, " (trackingId %s)", e.TrackingID)
	}
	return b.String()
}

// statusText is the detail code when it names the status, else the status
// number and its standard text.
func (e *APIError) statusText() string {
	code := strconv.Itoa(e.Status)
	switch {
	case strings.HasPrefix(e.DetailCode, code):
		return e.DetailCode
	case e.DetailCode != "":
		return code + " " + e.DetailCode
	case http.StatusText(e.Status) != "":
		return code + " " + http.StatusText(e.Status)
	}
	return code
}

// IsNotFound reports whether err is, or wraps, an APIError with status 404.
func IsNotFound(err error) bool { return IsStatus(err, http.StatusNotFound) }

// IsForbidden reports whether err is, or wraps, an APIError with status 403
// (for example a write to a SailPoint-owned connector).
func IsForbidden(err error) bool { return IsStatus(err, http.StatusForbidden) }

// IsStatus reports whether err is, or wraps, an APIError with status code.
func IsStatus(err error, code int) bool {
	var e *APIError
	return errors.As(err, &e) && e.Status == code
}

// UpdateError is a PUT answered 200 whose UpdateDetail.status is ERROR: the
// tenant refused the file, with the reason in Detail.Message.
type UpdateError struct {
	Operation  string // the spec's operationId, e.g. putConnectorSourceConfig
	ScriptName string
	Part       Part
	Detail     UpdateDetail
}

// Error reads like `putConnectorSourceConfig "abc": status ERROR: <message>`.
func (e *UpdateError) Error() string {
	msg := e.Detail.Message
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("%s %q: status ERROR: %s", e.Operation, e.ScriptName, msg)
}

// errorBody is the union of the error shapes the spec declares:
// ErrorResponseDto (400, 403, 404, 500), {error} (401) and {message} (429).
type errorBody struct {
	DetailCode string `json:"detailCode"`
	TrackingID string `json:"trackingId"`
	Messages   []struct {
		Text string `json:"text"`
	} `json:"messages"`
	Causes []struct {
		Text string `json:"text"`
	} `json:"causes"`
	// The spec gives these two no type: decode leniently.
	Error   json.RawMessage `json:"error"`
	Message json.RawMessage `json:"message"`
}

// newAPIError decodes an error answer; the body is kept raw (truncated) when
// its shape is unknown. redact removes secrets from anything kept.
func newAPIError(op, method, path, target string, status int, body []byte, redact func(string) string) *APIError {
	e := &APIError{Status: status, Operation: op, Method: method, Path: path, target: target}
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err == nil {
		e.DetailCode = strings.TrimSpace(eb.DetailCode)
		e.TrackingID = strings.TrimSpace(eb.TrackingID)
		for _, m := range eb.Messages {
			if t := strings.TrimSpace(m.Text); t != "" {
				e.Messages = append(e.Messages, redact(t))
			}
		}
		for _, m := range eb.Causes {
			if t := strings.TrimSpace(m.Text); t != "" {
				e.Messages = append(e.Messages, redact("cause: "+t))
			}
		}
		for _, raw := range []json.RawMessage{eb.Error, eb.Message} {
			if t := lenientText(raw); t != "" {
				e.Messages = append(e.Messages, redact(t))
			}
		}
		if e.DetailCode != "" || e.TrackingID != "" || len(e.Messages) > 0 {
			return e
		}
	}
	e.Body = redact(truncate(strings.TrimSpace(string(body)), maxErrorBody))
	return e
}

// lenientText returns a JSON string's text, or any other JSON value as written.
func lenientText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	return string(raw)
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
