package tenantsim

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
)

// errorMessage is the spec's ErrorMessageDto.
type errorMessage struct {
	Locale       string `json:"locale"`
	LocaleOrigin string `json:"localeOrigin"`
	Text         string `json:"text"`
}

// errorResponse is the spec's ErrorResponseDto, the body of 400, 403, 404 and 500.
type errorResponse struct {
	DetailCode string         `json:"detailCode"`
	TrackingID string         `json:"trackingId"`
	Messages   []errorMessage `json:"messages"`
	Causes     []errorMessage `json:"causes"`
}

// apiError is a refusal a handler answers with: a status, one message naming
// the problem, and optional causes (what was expected, what is allowed).
type apiError struct {
	status int
	msg    string
	causes []string
	allow  string // Allow header of a 405
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return errorf(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return errorf(http.StatusNotFound, format, args...)
}

func forbidden(format string, args ...any) *apiError {
	return errorf(http.StatusForbidden, format, args...)
}

// with adds causes to e and returns it.
func (e *apiError) with(causes ...string) *apiError {
	e.causes = append(e.causes, causes...)
	return e
}

// detailCode is the ErrorResponseDto.detailCode ISC uses for a status.
func detailCode(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "400.1 Bad Request Content"
	case http.StatusForbidden:
		return "403 Forbidden"
	case http.StatusNotFound:
		return "404 Not found"
	case http.StatusMethodNotAllowed:
		return "405 Method Not Allowed"
	case http.StatusInternalServerError:
		return "500.0 Internal Fault"
	}
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}

// errorReply renders e as an ErrorResponseDto reply carrying trackingID.
func errorReply(e *apiError, trackingID string) *reply {
	body := errorResponse{
		DetailCode: detailCode(e.status),
		TrackingID: trackingID,
		Messages:   []errorMessage{{Locale: "en-US", LocaleOrigin: "DEFAULT", Text: e.msg}},
		Causes:     []errorMessage{},
	}
	for _, c := range e.causes {
		body.Causes = append(body.Causes, errorMessage{Locale: "en-US", LocaleOrigin: "DEFAULT", Text: c})
	}
	rep := jsonReply(e.status, body)
	if e.allow != "" {
		rep.header.Set("Allow", e.allow)
	}
	return rep
}

// newTrackingID returns a fresh 32-hex-digit tracking id, unique per response.
func newTrackingID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}
