package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/workflows"
)

// Problem names one thing wrong with a request.
type Problem = workflows.FieldProblem

// ErrorBody is every error response: a sentence, and the fields at fault.
type ErrorBody struct {
	Error    string    `json:"error"`
	Problems []Problem `json:"problems,omitempty"`
}

// httpError carries a status and body up to the handler wrapper.
type httpError struct {
	status     int
	body       ErrorBody
	notRunning bool  // the lifecycle it was meant for is not running
	cause      error // what Temporal said, so callers can still test for it
}

func (e *httpError) Error() string { return e.body.Error }
func (e *httpError) Unwrap() error { return e.cause }

func fail(status int, msg string, problems ...Problem) *httpError {
	return &httpError{status: status, body: ErrorBody{Error: msg, Problems: problems}}
}

func badRequest(field, problem string) error {
	return fail(http.StatusBadRequest, field+": "+problem, Problem{Field: field, Problem: problem})
}

func notFound(what string) *httpError { return fail(http.StatusNotFound, what+" not found") }

// unprocessable reports every field problem found at once.
func unprocessable(problems []Problem) error {
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Field + ": " + p.Problem
	}
	return fail(http.StatusUnprocessableEntity, strings.Join(msgs, "; "), problems...)
}

// handle adapts a handler that returns (status, body, error) to gin, so every
// error leaves by one path with one JSON shape.
func (s *Server) handle(fn func(c *gin.Context) (int, any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := fn(c)
		if err != nil {
			he := toHTTP(err)
			if he.status >= 500 && s.Log != nil {
				s.Log.Error("request failed", "route", c.FullPath(), "status", he.status, "error", err)
			}
			c.AbortWithStatusJSON(he.status, he.body)
			return
		}
		c.JSON(status, body)
	}
}

// toHTTP maps the errors a handler meets to a status: refused updates by the
// type the workflow gave them, Temporal being away to 503.
func toHTTP(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		var p Problem
		_ = app.Details(&p)
		switch app.Type() {
		case workflows.ErrInvalid:
			return &httpError{status: http.StatusUnprocessableEntity, body: ErrorBody{Error: app.Message(), Problems: []Problem{p}}}
		case workflows.ErrConflict:
			return &httpError{status: http.StatusConflict, body: ErrorBody{Error: app.Message(), Problems: []Problem{p}}}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return &httpError{status: http.StatusNotFound, body: ErrorBody{Error: notFound.Message}}
	}
	if isUnavailable(err) {
		return &httpError{status: http.StatusServiceUnavailable, body: ErrorBody{Error: "the workflow service is unavailable; try again"}}
	}
	return &httpError{status: http.StatusInternalServerError, body: ErrorBody{Error: "internal error"}}
}

func isUnavailable(err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return errors.As(err, &unavailable) || errors.As(err, &deadline) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// maxBody bounds every request body: no request here needs more.
const maxBody = 64 << 10

// bodyLimits are the routes ("METHOD /full/path") allowed a larger body
// than maxBody.
var bodyLimits = map[string]int64{}

// limitBody refuses a body larger than its route allows (413) before any
// other check runs, and hands the handlers the body it has read.
func limitBody(c *gin.Context) {
	limit := int64(maxBody)
	if l, ok := bodyLimits[c.Request.Method+" "+c.FullPath()]; ok {
		limit = l
	}
	req := c.Request
	tooBig := func() {
		he := fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", limit), Problem{Field: "body", Problem: fmt.Sprintf("is larger than %d bytes", limit)})
		c.AbortWithStatusJSON(he.status, he.body)
	}
	if req.ContentLength > limit {
		tooBig()
		return
	}
	if req.Body == nil || req.Body == http.NoBody {
		return
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	if err != nil {
		c.AbortWithStatusJSON(http.StatusBadRequest, ErrorBody{Error: "body: could not be read", Problems: []Problem{{Field: "body", Problem: "could not be read"}}})
		return
	}
	if int64(len(b)) > limit {
		tooBig()
		return
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
}

// decode reads a JSON body strictly: unknown fields, trailing data, wrong
// types and oversized bodies are 400s naming the field.
func decode(c *gin.Context, into any) error {
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return badRequest("body", "has more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body", "has data after the JSON object")
	}
	if p := controlChars(reflect.ValueOf(into), ""); p != nil {
		return unprocessable([]Problem{*p})
	}
	return nil
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("body", "is empty; a JSON object is required")
	case errors.As(err, &syntax):
		return badRequest("body", fmt.Sprintf("is not valid JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ) && typ.Field == "":
		// The body itself is not an object (found by FuzzDecodeStaffRequest).
		return badRequest("body", fmt.Sprintf("must be a JSON object, not a JSON %s", typ.Value))
	case errors.As(err, &typ):
		return badRequest(typ.Field, fmt.Sprintf("must be a %s, not a JSON %s", typ.Type, typ.Value))
	case errors.As(err, &tooBig):
		return fail(http.StatusRequestEntityTooLarge, fmt.Sprintf("body is larger than %d bytes", tooBig.Limit))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		if field == "" { // {"": ...} (found by FuzzDecodeHoldRequest)
			return badRequest("body", "has a field with an empty name")
		}
		return badRequest(field, "is not a field of this request")
	}
	// A field's own UnmarshalJSON (a date) failed: the decoder does not name
	// the field, so the message carries it.
	return badRequest("body", err.Error())
}
