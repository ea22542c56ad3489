package main

import (
	"testing"
	"time"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// The supervision agreement through the API on PostgreSQL: onboarding
// starts it under the pack's limit, the supervisor proposes terms, both
// sign (others are refused), a change of circumstances and a change of
// supervisor re-open it, an unsigned one is overdue (never escalated on a
// default), and a
// leaver's closes.
func TestEndToEndAgreement(t *testing.T) {
	sys, db := startOnPostgres(t)
	today := policy.DateOf(time.Now())
	west := sys.onboardManagers("bracknell-forest", "west", today.AddDays(-900), today.AddDays(-800))
	west.onboard("tm-2", "team_manager", "hos-1", today.AddDays(-800))
	start := today.AddDays(-10)
	west.onboard("sw-1", "social_worker", "tm-1", start)
	// Joined 60 days ago and never signed: past Bracknell Forest's 4 weeks
	// and the 5 working days a default escalation would wait.
	west.onboard("sw-2", "social_worker", "tm-1", today.AddDays(-60))

	const path = "/api/v1/staff/sw-1/agreement"
	a := sys.expect("GET", path, nil, 200, "")
	if a["status"] != "open" || a["version"] != 1.0 || a["due"] != start.AddDays(28).String() || a["rule"] != "BF-AG-1" {
		t.Fatalf("agreement at joining: %v", a)
	}
	sys.expect("GET", "/api/v1/staff/hos-1/agreement", nil, 409, "")
	sys.expect("GET", "/api/v1/staff/nobody/agreement", nil, 404, "")

	// Terms: proposed by the supervisor, complete, well formed.
	terms := map[string]any{"request_id": "terms-1", "frequency": "1mo", "purpose_and_aims": "Case and reflective supervision.", "disagreements": "Raised with the head of service."}
	sys.as("tm-1").expect("POST", path+"/terms", withField(terms, "request_id", ""), 422, "request_id")
	sys.as("tm-1").expect("POST", path+"/terms", withField(terms, "frequency", "sometimes"), 422, "frequency")
	sys.as("tm-1").expect("POST", path+"/terms", withField(terms, "disagreements", ""), 422, "disagreements")
	sys.as("tm-1").expect("POST", path+"/terms", withField(terms, "signed_by", "sw-1"), 400, "signed_by")
	sign := map[string]any{"request_id": "sign-1", "signed_on": today.String()}
	sys.as("sw-1").expect("POST", path+"/signatures", sign, 409, "terms")
	sys.as("sw-1").expect("POST", path+"/terms", terms, 422, "actor")
	sys.as("tm-1").expect("POST", path+"/terms", terms, 200, "")

	// Signatures: only the two parties, once each, dated sensibly.
	sys.as("sw-1").expect("POST", path+"/signatures", withField(sign, "signed_on", "yesterday"), 422, "signed_on")
	sys.as("sw-1").expect("POST", path+"/signatures", withField(sign, "signed_on", today.AddDays(1).String()), 422, "signed_on")
	sys.as("hos-1").expect("POST", path+"/signatures", sign, 422, "actor")
	if out := sys.as("sw-1").expect("POST", path+"/signatures", sign, 200, ""); out["status"] != "open" {
		t.Fatalf("after the supervisee signed: %v", out)
	}
	sys.as("sw-1").expect("POST", path+"/signatures", sign, 200, "")                                          // a retry answers the same
	sys.as("tm-1").expect("POST", path+"/signatures", sign, 409, "request_id")                                // the id, reused for another signature
	sys.as("sw-1").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-1b"), 409, "actor") // twice
	if out := sys.as("tm-1").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-2"), 200, ""); out["status"] != "agreed" || out["agreed_on"] != today.String() {
		t.Fatalf("after both signed: %v", out)
	}
	a = sys.expect("GET", path, nil, 200, "")
	if tm, _ := a["terms"].(map[string]any); a["status"] != "agreed" || tm["frequency"] != "1mo" || tm["proposed_by"] != "tm-1" || len(a["signatures"].([]any)) != 2 {
		t.Fatalf("agreed agreement: %v", a)
	}
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Agreement:sw-1", "agreement.signed"); n != 1 {
		t.Fatalf("%d single signatures recorded, want 1 (the retry wrote nothing)", n)
	}

	// A change of circumstances re-opens it under Bracknell Forest (BF-AG-2).
	change := map[string]any{"request_id": "change-1", "event": "circumstances_change", "on": today.String(), "reason": "Moved to part-time hours."}
	sys.as("sw-1").expect("POST", path+"/changes", withField(change, "event", "supervisor_change"), 422, "event")
	sys.as("sw-1").expect("POST", path+"/changes", withField(change, "reason", ""), 422, "reason")
	sys.as("hos-1").expect("POST", path+"/changes", change, 422, "actor")
	if out := sys.as("sw-1").expect("POST", path+"/changes", change, 200, ""); out["reopened"] != true || out["version"] != 2.0 || out["rule"] != "BF-AG-2" || out["due"] != today.AddDays(28).String() {
		t.Fatalf("change of circumstances: %v", out)
	}

	// A new supervisor re-opens it again: the old one can no longer sign.
	sup := map[string]any{"request_id": "sup-1", "supervisor_id": "tm-2", "from": today.String()}
	out := sys.expect("POST", "/api/v1/staff/sw-1/supervisor", sup, 200, "")
	reached := false
	for _, l := range out["lifecycles"].([]any) {
		m := l.(map[string]any)
		reached = reached || (m["workflow_id"] == "Agreement:sw-1" && m["status"] == "changed")
	}
	if !reached {
		t.Fatalf("the supervisor change did not reach the agreement: %v", out)
	}
	a = sys.expect("GET", path, nil, 200, "")
	if a["version"] != 3.0 || a["opened_for"] != "supervisor_change" || a["status"] != "open" || a["schedule"].(map[string]any)["supervisor_id"] != "tm-2" {
		t.Fatalf("after the supervisor change: %v", a)
	}
	sys.as("tm-1").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-3"), 422, "actor")
	sys.as("tm-2").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-4"), 200, "")

	// The projection: each version's item, with its rule.
	eventually(t, "the agreement's items in the projection", func() bool {
		var items []models.DueItem
		if err := db.Where("workflow_id = ?", "Agreement:sw-1").Order("key").Find(&items).Error; err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, it := range items {
			got[it.Key] = it.Status + " " + it.RuleID
		}
		return len(items) == 3 && got["signature:1"] == "met BF-AG-1" && got["signature:2"] == "closed BF-AG-2" && got["signature:3"] == "due BF-AG-2"
	})

	// Never signed: overdue (the supervisor told). Bracknell Forest's seed
	// gives no escalation (BF-ESC-1 is a securebase default), so it is never
	// escalated to the manager (issue 12 item 5).
	eventually(t, "sw-2's agreement overdue", func() bool {
		return count(t, db, &models.DueItem{}, "workflow_id = ? AND key = ? AND status = ? AND rule_id = ?", "Agreement:sw-2", "signature:1", "overdue", "BF-AG-1") == 1 &&
			count(t, db, &models.Notification{}, "workflow_id = ? AND kind = ? AND recipient = ?", "Agreement:sw-2", "overdue", "tm-1") == 1
	})
	items := sys.expect("GET", "/api/v1/staff/sw-2/agreement", nil, 200, "")["schedule"].(map[string]any)["items"].([]any)
	if it := items[0].(map[string]any); it["status"] != "overdue" || it["escalated"] != false {
		t.Fatalf("sw-2's agreement on the schedule: %v", it)
	}
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ?", "Agreement:sw-2", "agreement.escalated"); n != 0 {
		t.Fatalf("%d escalations of a default", n)
	}

	// A leaver: the agreement closes, saying why, and takes no more updates.
	sys.expect("POST", "/api/v1/staff/sw-1/leave", map[string]any{"request_id": "leave-1", "on": today.String(), "reason": "moved away"}, 200, "")
	eventually(t, "sw-1's agreement to close", func() bool {
		_, a := sys.call("GET", path, nil)
		return a["status"] == "left" && a["left_because"] == "moved away"
	})
	// The reason is personal text: beside the records, the audit row refers to it (issue 11 finding 5).
	if n := count(t, db, &models.AuditEvent{}, "workflow_id = ? AND action = ? AND reason = ?", "Agreement:sw-1", "agreement.closed", models.PersonalTextRef); n != 1 {
		t.Fatalf("%d closing events", n)
	}
	if n := count(t, db, &models.PersonalText{}, "workflow_id = ? AND text = ?", "Agreement:sw-1", "left the service: moved away"); n != 1 {
		t.Fatalf("%d closing reasons kept with the records", n)
	}
	sys.as("tm-1").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-5"), 409, "")
	// The leaver's own token no longer works (issue 11 finding 2).
	sys.as("sw-1").expect("POST", path+"/signatures", withField(sign, "request_id", "sign-6"), 403, "authorization")
}
