package api

import (
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/securebase/securebase/workflows"
)

// The identifier grammar (idPattern): letters, digits, '_' and '-', 1 to 64.
func TestIdentifierGrammar(t *testing.T) {
	for _, ok := range []string{"sw-1", "a", "A_b-9", strings.Repeat("x", 64), "web-0123456789abcdef"} {
		if !idPattern.MatchString(ok) {
			t.Errorf("%q refused", ok)
		}
	}
	for _, bad := range []string{"", "a.b", "a:b", "a b", "a/b", "a\x00", "é", "-\n", strings.Repeat("x", 65)} {
		if idPattern.MatchString(bad) {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Derived ids never meet: for any identifiers the grammar admits, a record
// id, a workflow id and an update id give back the parts they were built
// from, and no request's audit event id is one the system makes for a
// lift or a revocation.
func TestDerivedIDsNeverMeet(t *testing.T) {
	// Why the grammar has no '.': these two people's records would share an id.
	if workflows.RecordID("a.b", "c") != workflows.RecordID("a", "b.c") || idPattern.MatchString("a.b") || idPattern.MatchString("b.c") {
		t.Fatal("the grammar admits a dot, which record ids are joined with")
	}
	r := rand.New(rand.NewPCG(11, 3))
	const alphabet = "ab-_09"
	id := func() string {
		b := make([]byte, 1+r.IntN(4))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	records := map[string][2]string{}
	for range 5000 {
		staff, request := id(), id()
		if !idPattern.MatchString(staff) || !idPattern.MatchString(request) {
			t.Fatalf("generated %q %q outside the grammar", staff, request)
		}
		rec := workflows.RecordID(staff, request)
		if prev, ok := records[rec]; ok && prev != [2]string{staff, request} {
			t.Fatalf("record id %s is both %v and %v", rec, prev, [2]string{staff, request})
		}
		records[rec] = [2]string{staff, request}
		if kind, business, err := workflows.ParseID(workflows.ID(workflows.KindSignOff, rec)); err != nil || kind != workflows.KindSignOff || business != rec {
			t.Fatalf("workflow id of %s parses as %q %q %v", rec, kind, business, err)
		}
		// A request's own event ids ("hold:<id>", "delegation:<id>") never
		// equal the system's for another request's lift or revocation.
		other := id()
		if "hold:"+request == "hold:"+other+":lifted" || "delegation:"+request == "delegation:"+other+":revoked" {
			t.Fatalf("request %q claims %q's lift or revocation", request, other)
		}
	}
}

// Dates outside [1970-01-01, 2099-12-31] are refused; 0001-01-01 is the
// zero date, which the handlers took for "not given".
func TestDatesWithinBounds(t *testing.T) {
	for _, ok := range []string{"1970-01-01", "2026-12-03", "2099-12-31"} {
		if _, err := parseDate(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"0001-01-01", "1969-12-31", "2100-01-01", "9999-12-31", "2026-13-01"} {
		if _, err := parseDate(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// A control character anywhere in a body, nested fields included, is a
// 422 naming the field; tabs and newlines are text.
func TestControlCharactersRefused(t *testing.T) {
	for body, field := range map[string]string{
		`{"request_id":"r1","decisions":"a\u0000b"}`:                  "decisions",
		`{"request_id":"r1","plan":"\u001b[31m"}`:                     "plan",
		`{"request_id":"r1","actions":[{"what":"x","who":"\u0007"}]}`: "actions.who",
		`{"request_id":"r1","plan":"line one\n\tline two\r\n"}`:       "",
	} {
		var req CaseSupervisionRequest
		err := decodeBody([]byte(body), &req)
		if field == "" {
			if err != nil {
				t.Errorf("%s: %v", body, err)
			}
			continue
		}
		he := toHTTP(err)
		if err == nil || he.status != http.StatusUnprocessableEntity || len(he.body.Problems) != 1 || he.body.Problems[0].Field != field {
			t.Errorf("%s: %v, want 422 naming %s", body, err, field)
		}
	}
}
