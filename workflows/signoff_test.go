package workflows

import (
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// signOffInput is the record of a session held on held, under authority's
// pack; nextDue is the next session's due date (Bolton's limit).
func signOffInput(t *testing.T, authority string, held, nextDue policy.Date) SignOffInput {
	t.Helper()
	pack, err := registry.Pack(authority, held)
	if err != nil {
		t.Fatal(err)
	}
	if pack.SignOff == nil {
		t.Fatalf("%s's pack has no sign_off block", authority)
	}
	return SignOffInput{
		RecordID:          RecordID("sw-1", "s-"+held.String()),
		Person:            Person{StaffID: "sw-1", Name: "Sam Wood", Authority: authority, Team: "north", Role: "social_worker", SupervisorID: "tm-1", ManagerID: "hos-1", Start: held.AddDays(-400)},
		SessionWorkflowID: "Supervision:sw-1", SessionKind: "personal", HeldOn: held, NextSessionDue: nextDue,
		PreviousRecordID: "sw-1.s-prev",
		Pack:             pack.Ref(), Rules: *pack.SignOff, Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: "tm-1",
	}
}

// signOffHarness runs one record's sign-off from 09:00 on the session day.
func signOffHarness(t *testing.T, held policy.Date) *harness {
	h := newHarness(t, held)
	h.env.RegisterWorkflowWithOptions(SignOff, workflow.RegisterOptions{Name: SignOffWorkflow})
	return h
}

func (h *harness) record() RecordState {
	v, err := h.env.QueryWorkflow(QueryRecord)
	if err != nil {
		h.t.Fatal(err)
	}
	var r RecordState
	if err := v.Get(&r); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *harness) leave(on policy.Date) {
	h.env.SignalWorkflow(SignalLeave, LeaveSignal{RequestID: "leave", On: on, Reason: "resigned", Actor: "hr-1"})
}

func (h *harness) signOffResult() SignOffResult {
	h.t.Helper()
	if err := h.env.GetWorkflowError(); err != nil {
		h.t.Fatal(err)
	}
	var res SignOffResult
	if err := h.env.GetWorkflowResult(&res); err != nil {
		h.t.Fatal(err)
	}
	return res
}

// The same session under each pack: Cumberland's 5 working days and
// Surrey's 2 run from the session; Bolton's limit is the next session. An
// unsigned record goes overdue the day after, and escalates to the
// supervisor's manager after the pack's escalation delay.
func TestSignOffDeadlinesByAuthority(t *testing.T) {
	held := date(t, "2026-03-04") // a Wednesday
	next := date(t, "2026-04-01")
	for _, tc := range []struct {
		authority, due, rule, escalatedOn string
	}{
		{"cumberland", "2026-03-11", "C-REC-1", "2026-03-19"}, // due + 5wd (C-ESC-1), then the next midnight
		{"surrey", "2026-03-06", "S-REC-1", "2026-03-14"},     // Friday; 5wd later is Friday 13th
		{"bolton", "2026-04-01", "B-REC-1", "2026-04-11"},     // the next session; escalation skips Good Friday and Easter Monday
	} {
		t.Run(tc.authority, func(t *testing.T) {
			in := signOffInput(t, tc.authority, held, next)
			in.Escalation = councilSet(in.Escalation)
			h := signOffHarness(t, held)
			h.at(held, func() {
				s := h.schedule()
				if s.Lifecycle != KindSignOff || len(s.Items) != 1 {
					t.Fatalf("schedule %+v", s)
				}
				it := s.Items[0]
				if it.Kind != "record_signoff" || it.Due.String() != tc.due || it.Rule != tc.rule || it.Status != "due" {
					t.Errorf("item %+v, want record_signoff due %s under %s", it, tc.due, tc.rule)
				}
			})
			h.at(date(t, tc.escalatedOn).AddDays(1), func() {
				if it := h.schedule().Items[0]; it.Status != "overdue" || !it.Escalated {
					t.Errorf("after the escalation day: %+v", it)
				}
				h.leave(date(t, tc.escalatedOn).AddDays(1))
			})
			h.env.ExecuteWorkflow(SignOffWorkflow, in)
			if res := h.signOffResult(); res.Status != models.RecordClosed {
				t.Fatalf("result %+v", res)
			}
			overdue := h.actions("signoff.overdue")
			if len(overdue) != 1 || overdue[0].RuleID != tc.rule || policy.DateOf(overdue[0].At).String() != date(t, tc.due).AddDays(1).String() {
				t.Fatalf("overdue events %+v, want one the day after %s", overdue, tc.due)
			}
			if n := overdue[0].Notifications; len(n) != 1 || n[0].Recipient != "tm-1" || !strings.Contains(n[0].Subject, "writing and signing") {
				t.Errorf("overdue notice %+v, want the supervisor told the record is not written", n)
			}
			esc := h.actions("signoff.escalated")
			if len(esc) != 1 || policy.DateOf(esc[0].At).String() != tc.escalatedOn || esc[0].Notifications[0].Recipient != "hos-1" {
				t.Fatalf("escalations %+v, want one to hos-1 at the start of %s", esc, tc.escalatedOn)
			}
		})
	}
}

// A session on 23 December 2026 under Cumberland: the 5 working days skip
// Christmas Day, Boxing Day's substitute (Monday 28th) and New Year's Day,
// so the record is due signed on Monday 4 January 2027. Signed that day,
// nothing goes overdue.
func TestSignOffAcrossChristmasAndNewYear(t *testing.T) {
	held := date(t, "2026-12-23")
	in := signOffInput(t, "cumberland", held, policy.Date{})
	h := signOffHarness(t, held)
	due := date(t, "2027-01-04")
	h.at(held, func() {
		if got := h.schedule().Items[0].Due; !got.Equal(due) {
			t.Errorf("due %s, want %s", got, due)
		}
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "Discussed caseload and training.", Actor: "tm-1"}, h.ok("text"))
	})
	h.at(date(t, "2026-12-31"), func() {
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "sig-tm", Version: 1, Actor: "tm-1"}, h.ok("supervisor signs"))
	})
	h.atHour(due, 16, func() {
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "sig-sw", Version: 1, Actor: "sw-1"}, h.ok("supervisee signs"))
	})
	h.at(due.AddDays(10), func() {
		s := h.schedule()
		// The deadline is the supervisor's (C-REC-1): met when they signed on 31 December.
		if len(s.Items) != 2 || s.Items[0].Status != "met" || !s.Items[0].HeldOn.Equal(date(t, "2026-12-31")) || s.Items[1].Kind != "record_finalise" {
			t.Errorf("schedule after signing %+v", s.Items)
		}
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "fin", Actor: "tm-1"}, h.ok("finalise"))
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	if res := h.signOffResult(); res.Status != models.RecordFinalised || res.Outcome != models.OutcomeApproved {
		t.Fatalf("result %+v", res)
	}
	if n := len(h.actions("signoff.overdue")); n != 0 {
		t.Fatalf("%d overdue events for a record signed on its due day", n)
	}
}

// Surrey: the supervisee disputes, the record is amended by agreement (a new
// version, every version kept), both sign again and the manager finalises;
// the record shows it was amended. A change in the same moment as the
// finalisation is refused: a finalised record is never amended.
func TestSignOffDisputeAmendFinalise(t *testing.T) {
	held := date(t, "2026-03-04")
	in := signOffInput(t, "surrey", held, policy.Date{})
	h := signOffHarness(t, held)
	h.at(held, func() {
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "Agreed to close case C1.", Actor: "tm-1"}, h.ok("text"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1", Version: 1, Actor: "tm-1"}, h.ok("supervisor signs v1"))
	})
	h.atHour(held.AddDays(1), 10, func() {
		h.update(UpdateDisputeRecord, RecordDisputeInput{RequestID: "d1", Version: 1, View: "We agreed to keep C1 open for a month.", Actor: "sw-1"}, h.ok("dispute"))
	})
	h.atHour(held.AddDays(1), 11, func() {
		if r := h.record(); r.Status != models.RecordDisputed || r.DisputeView == "" {
			t.Errorf("after dispute %+v", r)
		}
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-early", Version: 1, Actor: "sw-1"}, h.refused("supervisee signs a disputed version", ErrConflict, "status"))
		h.update(UpdateAmendRecord, RecordAmendInput{RequestID: "a1", Text: "Agreed to keep case C1 open for a month, then review.", Actor: "sw-1"}, h.ok("amend"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-stale", Version: 1, Actor: "tm-1"}, h.refused("sign the old version", ErrConflict, "version"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s2", Version: 2, Actor: "tm-1"}, h.ok("supervisor signs v2"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s3", Version: 2, Actor: "sw-1"}, h.ok("supervisee signs v2"))
	})
	h.at(held.AddDays(5), func() {
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "f1", Actor: "hos-1"}, h.ok("the supervisor's manager finalises"))
		h.update(UpdateAmendRecord, RecordAmendInput{RequestID: "late", Text: "changed", Actor: "tm-1"}, h.refused("amend after finalising", ErrConflict, "status"))
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	res := h.signOffResult()
	if res.Status != models.RecordFinalised || res.Outcome != models.OutcomeAmended || res.Version != 2 {
		t.Fatalf("result %+v", res)
	}
	var versions []*activities.RecordVersionWrite
	var signatures []string
	for _, e := range h.events {
		if e.Record == nil {
			continue
		}
		if e.Record.Version != nil {
			versions = append(versions, e.Record.Version)
		}
		if s := e.Record.Signature; s != nil {
			signatures = append(signatures, s.Role+":"+string(rune('0'+s.Version)))
		}
	}
	if len(versions) != 2 || versions[0].Kind != "draft" || versions[1].Kind != "amendment" || versions[1].AuthorID != "sw-1" {
		t.Fatalf("versions %+v", versions)
	}
	if strings.Join(signatures, ",") != "supervisor:1,supervisor:2,supervisee:2" {
		t.Fatalf("signatures %v", signatures)
	}
	if d := h.actions("signoff.disputed"); len(d) != 1 || d[0].Record.Dispute == nil || d[0].Record.Dispute.Version != 1 {
		t.Fatalf("dispute events %+v", d)
	} else if d[0].Reason == "" || strings.Contains(d[0].Reason, d[0].Record.Dispute.View) {
		t.Fatalf("the audit reason %q carries the supervisee's view: it belongs on the record only", d[0].Reason)
	}
	fin := h.actions("signoff.finalised")
	if len(fin) != 1 || fin[0].Record.Status != models.RecordFinalised || fin[0].Record.FinalisedBy != "hos-1" || fin[0].RuleID != "S-REC-1" {
		t.Fatalf("finalised events %+v", fin)
	}
	if len(h.actions("signoff.overdue")) != 0 {
		t.Fatal("a record signed within Surrey's 2 working days went overdue")
	}
}

// No agreement, so both views are noted on the record (a new version of the
// same text), which cannot be disputed again; both sign and the supervisor
// finalises. Bolton; and Surrey, whose S-REC-2 says so ("amend by agreement
// or note both views on the record, signed by both"), the event citing its
// sign-off rule.
func TestSignOffBothViews(t *testing.T) {
	for _, tc := range []struct{ authority, rule string }{{"bolton", "B-REC-1"}, {"surrey", "S-REC-1"}} {
		t.Run(tc.authority, func(t *testing.T) { signOffBothViews(t, tc.authority, tc.rule) })
	}
}

func signOffBothViews(t *testing.T, authority, rule string) {
	held := date(t, "2026-03-04")
	in := signOffInput(t, authority, held, date(t, "2026-04-01"))
	h := signOffHarness(t, held)
	h.at(held, func() {
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "Caseload is manageable.", Actor: "tm-1"}, h.ok("text"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1", Version: 1, Actor: "tm-1"}, h.ok("supervisor signs"))
		h.update(UpdateDisputeRecord, RecordDisputeInput{RequestID: "d1", Version: 1, View: "My caseload is above the maximum.", Actor: "sw-1"}, h.ok("dispute"))
		h.update(UpdateRecordBothViews, RecordBothViewsInput{RequestID: "bv", SupervisorView: "", Actor: "tm-1"}, h.refused("no supervisor view", ErrInvalid, "supervisor_view"))
		h.update(UpdateRecordBothViews, RecordBothViewsInput{RequestID: "bv-sw", SupervisorView: "x", Actor: "sw-1"}, h.refused("supervisee records both views", ErrInvalid, "actor"))
		h.update(UpdateRecordBothViews, RecordBothViewsInput{RequestID: "bv1", SupervisorView: "Caseload is 22, within the agreed 24.", Actor: "tm-1"}, h.ok("both views"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s2", Version: 2, Actor: "tm-1"}, h.ok("supervisor signs both views"))
		h.update(UpdateDisputeRecord, RecordDisputeInput{RequestID: "d2", Version: 2, View: "still no", Actor: "sw-1"}, h.refused("dispute both views", ErrConflict, "status"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s3", Version: 2, Actor: "sw-1"}, h.ok("supervisee signs both views"))
	})
	h.atHour(held, 15, func() {
		r := h.record()
		if r.Kind != models.VersionBothViews || r.Text != "Caseload is manageable." || r.SuperviseeView != "My caseload is above the maximum." || r.Outcome != models.OutcomeBothViews {
			t.Errorf("record %+v", r)
		}
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "f1", Actor: "tm-1"}, h.ok("finalise"))
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	if res := h.signOffResult(); res.Status != models.RecordFinalised || res.Outcome != models.OutcomeBothViews {
		t.Fatalf("result %+v", res)
	}
	bv := h.actions("signoff.both_views_recorded")
	if len(bv) != 1 || bv[0].Record.Version.SupervisorView == "" || bv[0].Record.Version.SuperviseeView != "My caseload is above the maximum." || bv[0].RuleID != rule {
		t.Fatalf("both-views events %+v", bv)
	}
}

// Who may do what, in which order; a request id is used once, so a retry
// with the same id writes nothing more.
func TestSignOffRefusals(t *testing.T) {
	held := date(t, "2026-03-04")
	in := signOffInput(t, "cumberland", held, policy.Date{})
	h := signOffHarness(t, held)
	h.at(held, func() {
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s0", Version: 0, Actor: "tm-1"}, h.refused("sign with no text", ErrConflict, "status"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t0", Text: "", Actor: "tm-1"}, h.refused("empty text", ErrInvalid, "text"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t-sw", Text: "mine", Actor: "sw-1"}, h.refused("the supervisee writes", ErrInvalid, "actor"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "", Text: "x", Actor: "tm-1"}, h.refused("no request id", ErrInvalid, "request_id"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "First draft.", Actor: "tm-1"}, h.ok("draft 1"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "First draft.", Actor: "tm-1"}, h.refused("the same request again", ErrConflict, "request_id"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t2", Text: "Second draft.", Actor: "tm-1"}, h.ok("draft 2"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-sw", Version: 2, Actor: "sw-1"}, h.refused("supervisee before supervisor", ErrConflict, "status"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-x", Version: 2, Actor: "someone"}, h.refused("a stranger signs", ErrInvalid, "actor"))
		h.update(UpdateDisputeRecord, RecordDisputeInput{RequestID: "d0", Version: 2, View: "no", Actor: "sw-1"}, h.refused("dispute an unsigned draft", ErrConflict, "status"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1", Version: 2, Actor: "tm-1"}, h.ok("supervisor signs"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1b", Version: 2, Actor: "tm-1"}, h.refused("supervisor signs twice", ErrConflict, "actor"))
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t3", Text: "Third.", Actor: "tm-1"}, h.refused("rewrite after signing", ErrConflict, "status"))
		h.update(UpdateAmendRecord, RecordAmendInput{RequestID: "a0", Text: "Third.", Actor: "tm-1"}, h.refused("amend without a dispute", ErrConflict, "status"))
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "f0", Actor: "tm-1"}, h.refused("finalise before the supervisee signs", ErrConflict, "status"))
		h.update(UpdateDisputeRecord, RecordDisputeInput{RequestID: "d1", Version: 2, View: "", Actor: "sw-1"}, h.refused("dispute without a view", ErrInvalid, "view"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s2", Version: 2, Actor: "sw-1"}, h.ok("supervisee signs"))
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "f-sw", Actor: "sw-1"}, h.refused("the supervisee finalises", ErrInvalid, "actor"))
	})
	h.at(held.AddDays(1), func() {
		if r := h.record(); r.Status != models.RecordSigned || r.Version != 2 || r.Outcome != models.OutcomeApproved || !r.SignedOn.Equal(held) {
			t.Errorf("record %+v", r)
		}
		h.leave(held.AddDays(1))
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	if res := h.signOffResult(); res.Status != models.RecordClosed {
		t.Fatalf("result %+v", res)
	}
	if n := len(h.actions("signoff.text_written")); n != 2 {
		t.Fatalf("%d texts written, want 2 (the retry wrote nothing)", n)
	}
	closed := h.actions("signoff.closed")
	if len(closed) != 1 || !strings.Contains(closed[0].Record.ClosedReason, "signed by both but not finalised") ||
		len(closed[0].Due) != 1 || closed[0].Due[0].Key != "finalise" || closed[0].Due[0].Status != "closed" {
		t.Fatalf("closing %+v", closed)
	}
}

// A leaver's unsigned record closes, recording why, and its deadline with it.
func TestSignOffLeaveClosesUnsigned(t *testing.T) {
	held := date(t, "2026-03-04")
	// Bolton: both owe the signatures (B-REC-1), so the open deadline closes.
	in := signOffInput(t, "bolton", held, date(t, "2026-04-01"))
	h := signOffHarness(t, held)
	h.at(held, func() {
		h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "Notes.", Actor: "tm-1"}, h.ok("text"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1", Version: 1, Actor: "tm-1"}, h.ok("sign"))
		h.leave(held)
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	if res := h.signOffResult(); res.Status != models.RecordClosed {
		t.Fatalf("result %+v", res)
	}
	closed := h.actions("signoff.closed")
	if len(closed) != 1 || closed[0].Record.Status != models.RecordClosed || !strings.Contains(closed[0].Reason, "unsigned by the supervisee") ||
		!strings.Contains(closed[0].Reason, "resigned") || closed[0].Due[0].Key != "signoff" || closed[0].Due[0].Status != "closed" {
		t.Fatalf("closing %+v", closed)
	}
	if len(h.actions("signoff.overdue")) != 0 {
		t.Fatal("a closed record went overdue")
	}
}

// The state carries across continue-as-new: a second run starts from it,
// writes no second "started", and keeps the versions and request ids.
func TestSignOffContinuesAsNewWithState(t *testing.T) {
	held := date(t, "2026-03-04")
	in := signOffInput(t, "cumberland", held, policy.Date{})
	in.State = &SignOffState{
		Status: models.RecordAwaitingSupervisee, Version: 3, Kind: models.VersionAmendment, Text: "Agreed text.",
		SupervisorSigned: true, Disputes: 1, Timed: true,
		Due:      DueState{Seq: 1, Due: date(t, "2026-03-11"), Rule: "C-REC-1"},
		Requests: map[string]string{"s-old": UpdateSignRecord},
	}
	h := signOffHarness(t, held)
	h.at(held, func() {
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-old", Version: 3, Actor: "sw-1"}, h.refused("a request of the last run", ErrConflict, "request_id"))
		h.update(UpdateSignRecord, RecordSignInput{RequestID: "s-new", Version: 3, Actor: "sw-1"}, h.ok("supervisee signs"))
		h.update(UpdateFinaliseRecord, RecordFinaliseInput{RequestID: "f", Actor: "tm-1"}, h.ok("finalise"))
	})
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	if res := h.signOffResult(); res.Status != models.RecordFinalised || res.Outcome != models.OutcomeAmended || res.Version != 3 {
		t.Fatalf("result %+v", res)
	}
	if n := len(h.actions("signoff.started")); n != 0 {
		t.Fatalf("%d started events in a continued run", n)
	}
}

// A record's events carry the row the projection needs from the start.
func TestSignOffStartedWritesTheRecord(t *testing.T) {
	held := date(t, "2026-03-04")
	in := signOffInput(t, "cumberland", held, policy.Date{})
	h := signOffHarness(t, held)
	h.at(held, func() { h.leave(held) })
	h.env.ExecuteWorkflow(SignOffWorkflow, in)
	h.signOffResult()
	started := h.actions("signoff.started")
	if len(started) != 1 {
		t.Fatalf("%d started events", len(started))
	}
	r := started[0].Record
	if r == nil || r.ID != "sw-1.s-2026-03-04" || r.Status != models.RecordDraft || r.DueOn != "2026-03-11" || r.PreviousRecordID != "sw-1.s-prev" ||
		r.SupervisorID != "tm-1" || started[0].Due[0].Kind != "record_signoff" || started[0].At.Before(time.Date(2026, 3, 4, 0, 0, 0, 0, policy.London)) {
		t.Fatalf("started %+v / %+v", started[0], r)
	}
}
