package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// A supervision record's sign-off through the API on PostgreSQL: an ASYE
// session makes the record (SignOff:nq-1.s1), the supervisor writes and
// signs it, the supervisee disputes, it is amended by agreement, both sign,
// the manager finalises it, and from then on every change is a 409 that
// writes nothing. The next record shows the previous one was amended.
func TestEndToEndRecordSignOff(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	west := sys.onboardManagers("cumberland", "west", today.AddDays(-900), today.AddDays(-800))
	west.onboard("nq-1", "nqsw", "tm-1", today.AddDays(-4))
	session := func(id string) {
		sys.as("tm-1").expect("POST", "/api/v1/staff/nq-1/sessions", map[string]any{
			"request_id": id, "held_on": today.String(), "duration_minutes": 90, "supervisor_id": "tm-1", "kind": "individual",
		}, 200, "")
	}
	session("s1")

	const rec = "/api/v1/records/nq-1.s1"
	var got map[string]any
	eventually(t, "the record of session s1", func() bool {
		code, out := sys.call("GET", rec, nil)
		got = out
		return code == 200
	})
	due := policy.Period{N: 5, Unit: policy.WorkingDays}.AddTo(today, policy.NewCalendar(nil))
	if got["status"] != "draft" || got["rule_id"] != "C-REC-1" || got["due_on"] != due.String() || got["staff_id"] != "nq-1" {
		t.Fatalf("new record %v, want a draft due %s under C-REC-1", got, due)
	}

	// Bad requests name the field and change nothing.
	sys.as("tm-1").expect("GET", "/api/v1/records/nq-1", nil, 400, "id")
	sys.as("tm-1").expect("POST", rec+"/text", map[string]any{"request_id": "t1", "text": "x", "colour": "red"}, 400, "colour")
	sys.as("tm-1").expect("POST", rec+"/text", map[string]any{"text": "x"}, 422, "request_id")
	sys.as("tm-1").expect("POST", rec+"/text", map[string]any{"request_id": "t0", "text": ""}, 422, "text")
	sys.as("nq-1").expect("POST", rec+"/text", map[string]any{"request_id": "t0", "text": "my version"}, 422, "actor")
	sys.as("tm-1").expect("POST", rec+"/signatures", map[string]any{"request_id": "s0"}, 422, "version")
	sys.as("tm-1").expect("POST", rec+"/signatures", map[string]any{"request_id": "s0", "version": 1}, 409, "version")
	sys.as("tm-1").expect("POST", "/api/v1/records/nq-1.nope/text", map[string]any{"request_id": "t0", "text": "x"}, 404, "")
	if n := count(t, db, &models.RecordVersion{}, "record_id = ?", "nq-1.s1"); n != 0 {
		t.Fatalf("bad requests wrote %d versions", n)
	}

	// Written, signed, disputed, amended, signed by both, finalised.
	text := map[string]any{"request_id": "t1", "text": "Discussed caseload; agreed to close case C1."}
	sys.as("tm-1").expect("POST", rec+"/text", text, 200, "")
	if again := sys.as("tm-1").expect("POST", rec+"/text", text, 200, ""); again["version"] != 1.0 {
		t.Fatalf("a retried write answered %v, want version 1 again", again)
	}
	sys.as("tm-1").expect("POST", rec+"/text", map[string]any{"request_id": "t1", "text": "something else"}, 409, "request_id")
	sys.as("tm-1").expect("POST", rec+"/signatures", map[string]any{"request_id": "sig-1", "version": 1}, 200, "")
	sys.as("nq-1").expect("POST", rec+"/disputes", map[string]any{"request_id": "d1", "version": 1, "view": "We agreed to keep C1 open for a month."}, 200, "")
	sys.as("nq-1").expect("POST", rec+"/amendments", map[string]any{"request_id": "a1", "text": "Discussed caseload; agreed to keep C1 open for a month, then review."}, 200, "")
	sys.as("tm-1").expect("POST", rec+"/signatures", map[string]any{"request_id": "sig-2", "version": 2}, 200, "")
	signed := sys.as("nq-1").expect("POST", rec+"/signatures", map[string]any{"request_id": "sig-3", "version": 2}, 200, "")
	if signed["status"] != "signed" || signed["outcome"] != "amended" {
		t.Fatalf("after both signed: %v", signed)
	}
	sys.as("nq-1").expect("POST", rec+"/finalise", map[string]any{"request_id": "f0"}, 422, "actor")
	sys.as("hos-1").expect("POST", rec+"/finalise", map[string]any{"request_id": "f1"}, 200, "")

	eventually(t, "the finalised record in the projection", func() bool {
		_, out := sys.call("GET", rec, nil)
		got = out
		return out["status"] == "finalised"
	})
	versions, _ := got["versions"].([]any)
	signatures, _ := got["signatures"].([]any)
	disputes, _ := got["disputes"].([]any)
	if len(versions) != 2 || len(signatures) != 3 || len(disputes) != 1 || got["finalised_by"] != "hos-1" || got["outcome"] != "amended" {
		t.Fatalf("finalised record %v", got)
	}
	if v := versions[0].(map[string]any); v["text"] != "Discussed caseload; agreed to close case C1." || v["kind"] != "draft" {
		t.Fatalf("the first version was not kept: %v", v)
	}

	// Finalised: every change is a 409 naming the status, and nothing is written.
	audit := count(t, db, &models.AuditEvent{}, "workflow_id = ?", "SignOff:nq-1.s1")
	for _, c := range []struct {
		actor, path string
		body        map[string]any
	}{
		{"tm-1", "/amendments", map[string]any{"request_id": "late-1", "text": "changed after finalising"}},
		{"tm-1", "/text", map[string]any{"request_id": "late-2", "text": "changed after finalising"}},
		{"nq-1", "/signatures", map[string]any{"request_id": "late-3", "version": 2}},
		{"nq-1", "/disputes", map[string]any{"request_id": "late-4", "version": 2, "view": "no"}},
		{"tm-1", "/both-views", map[string]any{"request_id": "late-5", "supervisor_view": "no"}},
		{"hos-1", "/finalise", map[string]any{"request_id": "late-6"}},
	} {
		sys.as(c.actor).expect("POST", rec+c.path, c.body, 409, "status")
	}
	// The finalisation retried (a lost response) gets its first answer back.
	if again := sys.as("hos-1").expect("POST", rec+"/finalise", map[string]any{"request_id": "f1"}, 200, ""); again["status"] != "finalised" {
		t.Fatalf("a retried finalisation answered %v", again)
	}
	time.Sleep(500 * time.Millisecond) // anything wrongly written would land by now
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ?", "SignOff:nq-1.s1"); n != audit {
		t.Fatalf("refused changes wrote %d audit events", n-audit)
	}
	if n := count(t, db, &models.RecordVersion{}, "record_id = ?", "nq-1.s1"); n != 2 {
		t.Fatalf("%d versions after refused changes, want 2", n)
	}
	if n := count(t, db, &models.DueItem{}, "workflow_id = ? AND status = ?", "SignOff:nq-1.s1", "met"); n != 2 {
		t.Fatalf("%d met items, want the sign-off and the finalisation", n)
	}

	// The next record shows how the previous one ended.
	session("s2")
	eventually(t, "the record of session s2", func() bool {
		code, out := sys.call("GET", "/api/v1/records/nq-1.s2", nil)
		got = out
		return code == 200
	})
	// Reading a personal record is itself audited, by whom, in the chain.
	if n := count(t, db, &models.AuditEvent{}, "action = ? AND staff_id = ? AND actor = ? AND hash <> ''", "record.read", "nq-1", "test-hr"); n == 0 {
		t.Fatal("reading nq-1's record left no audited read")
	}
	prev, _ := got["previous"].(map[string]any)
	if prev["id"] != "nq-1.s1" || prev["outcome"] != "amended" || prev["status"] != "finalised" || prev["found"] != true {
		t.Fatalf("the next record shows the previous as %v", got["previous"])
	}
	sched := sys.expect("GET", "/api/v1/staff/nq-1/schedule", nil, 200, "")
	toSign, _ := sched["records_to_sign"].([]any)
	if len(toSign) != 1 || toSign[0].(map[string]any)["workflow_id"] != "SignOff:nq-1.s2" || toSign[0].(map[string]any)["rule_id"] != "C-REC-1" {
		t.Fatalf("records to sign %v, want only nq-1.s2's", toSign)
	}
}
