package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/policy"
)

// The request decoders under fuzzing: whatever the body, decode and the
// field checks never panic; a body decode refuses is a 4xx naming a field
// (or, too large, saying so of the body); a body it accepts survives a
// round trip through JSON unchanged, and its field problems, if any, are a
// 422 naming each field. The committed corpus (testdata/fuzz/<name>/) runs
// in every plain `go test`; `go test -fuzz FuzzDecodeStaffRequest ./api`
// explores further.

// decodeBody runs the API's decode on a body as a handler would.
func decodeBody(body []byte, into any) error {
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
	return decode(c, into)
}

// fuzzDecode checks one body against a request type T and its field checks.
func fuzzDecode[T any](t *testing.T, body []byte, fieldChecks func(T) []Problem) {
	var req T
	if err := decodeBody(body, &req); err != nil {
		he := toHTTP(err)
		if he.status < 400 || he.status >= 500 {
			t.Fatalf("refused %q with %d: %v", body, he.status, err)
		}
		if he.status == http.StatusRequestEntityTooLarge {
			if !strings.HasPrefix(he.body.Error, "body ") {
				t.Fatalf("too large, but the error does not name the body: %q", he.body.Error)
			}
			return
		}
		if len(he.body.Problems) == 0 || he.body.Problems[0].Field == "" {
			t.Fatalf("refused %q with %d naming no field: %+v", body, he.status, he.body)
		}
		return
	}
	raw, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("accepted %q but cannot write it back: %v", body, err)
	}
	var again T
	if err := decodeBody(raw, &again); err != nil {
		t.Fatalf("accepted %q, refused its round trip %s: %v", body, raw, err)
	}
	if !reflect.DeepEqual(req, again) {
		t.Fatalf("round trip changed %+v into %+v", req, again)
	}
	probs := fieldChecks(req)
	for _, p := range probs {
		if p.Field == "" || p.Problem == "" {
			t.Fatalf("a field problem of %q names no field or problem: %+v", body, p)
		}
	}
	if len(probs) > 0 {
		if he := toHTTP(unprocessable(probs)); he.status != http.StatusUnprocessableEntity || len(he.body.Problems) != len(probs) {
			t.Fatalf("field problems %+v answered %d %+v", probs, he.status, he.body)
		}
	}
}

var fuzzPacks = func() *policy.Registry {
	r, err := policy.Load()
	if err != nil {
		panic(err)
	}
	return r
}()

func FuzzDecodeStaffRequest(f *testing.F) {
	f.Add([]byte(`{"id":"nq-1","name":"Nia Quinn","authority":"cumberland","team":"north","role":"nqsw","supervisor_id":"tm-1","start_date":"2026-01-05"}`))
	s := &Server{Packs: fuzzPacks}
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDecode(t, body, func(req StaffRequest) []Problem {
			_, probs := s.validateStaff(req)
			return probs
		})
	})
}

func FuzzDecodeSessionRequest(f *testing.F) {
	f.Add([]byte(`{"request_id":"s1","held_on":"2026-01-12","duration_minutes":90,"supervisor_id":"tm-1","kind":"individual"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDecode(t, body, func(req SessionRequest) []Problem {
			// recordSession's own checks; the ASYE lifecycle checks the rest.
			k := requestChecks(req.RequestID)
			k.date("held_on", req.HeldOn)
			return k.probs
		})
	})
}

func FuzzDecodeHoldRequest(f *testing.F) {
	f.Add([]byte(`{"request_id":"h1","staff_id":"sw-1","reason":"employment tribunal claim"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		fuzzDecode(t, body, func(req HoldRequest) []Problem { return checkHold(req).probs })
	})
}
