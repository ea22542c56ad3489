package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/policy"
)

// The supervisee's sickness since the last session is a gap in supervision,
// and it shows on the next record.
func TestEndToEndAbsenceShowsOnTheNextRecord(t *testing.T) {
	sys, _ := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	east := sys.onboardManagers("surrey", "east", today.AddDays(-400), today.AddDays(-300))
	east.onboard("sw-g", "social_worker", "tm-1", today.AddDays(-20))
	base := "/api/v1/staff/sw-g/supervision"
	sys.expect("POST", base+"/absences", map[string]any{
		"request_id": "sick", "who": "supervisee", "kind": "sickness",
		"from": today.AddDays(-9).String(), "to": today.AddDays(-6).String(), "reason": "flu",
	}, 200, "")
	sys.expect("POST", base+"/sessions", map[string]any{"request_id": "s1", "held_on": today.AddDays(-1).String(), "duration_minutes": 60, "supervisor_id": "tm-1"}, 200, "")
	var rec map[string]any
	eventually(t, "the session's record", func() bool {
		code, out := sys.call("GET", "/api/v1/records/sw-g.s1", nil)
		rec = out
		return code == 200
	})
	gaps, _ := rec["gaps"].([]any)
	if len(gaps) != 1 {
		t.Fatalf("record gaps %v, want the sickness", rec["gaps"])
	}
	g := gaps[0].(map[string]any)
	if g["kind"] != "sickness" || g["from"] != today.AddDays(-9).String() || g["to"] != today.AddDays(-6).String() {
		t.Fatalf("gap on the record %v", g)
	}
}
