package workflows

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// agreementInput is what onboarding starts a social worker's agreement with.
func agreementInput(t *testing.T, authority string, start policy.Date) AgreementInput {
	t.Helper()
	pack, err := registry.Pack(authority, start)
	if err != nil {
		t.Fatal(err)
	}
	p := Person{StaffID: "sw-1", Name: "Sam Walker", Authority: authority, Team: "north", Role: "social_worker",
		SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	return NewAgreementInput(p, pack, "hr-1")
}

// newAgreementHarness runs an agreement starting at 09:00 London on day.
func newAgreementHarness(t *testing.T, day policy.Date) *harness {
	h := newHarness(t, day)
	h.env.RegisterWorkflowWithOptions(Agreement, workflow.RegisterOptions{Name: AgreementWorkflow})
	return h
}

func (h *harness) agreement() AgreementView {
	v, err := h.env.QueryWorkflow(QueryAgreement)
	if err != nil {
		h.t.Fatal(err)
	}
	var a AgreementView
	if err := v.Get(&a); err != nil {
		h.t.Fatal(err)
	}
	return a
}

func terms(id, actor string) AgreementTermsInput {
	return AgreementTermsInput{
		RequestID: id, Frequency: "4w", Actor: actor,
		PurposeAndAims: "Reflective and case supervision; support through the first year.",
		Disagreements:  "Raised with the team manager's manager, then the principal social worker.",
	}
}

func signed(id, actor string, on policy.Date) AgreementSignInput {
	return AgreementSignInput{RequestID: id, SignedOn: on, Actor: actor}
}

func (h *harness) leaveOn(d policy.Date) {
	h.atHour(d, 17, func() {
		h.env.SignalWorkflow(SignalLeave, LeaveSignal{RequestID: "leave", On: d, Reason: "resigned", Actor: "hr-1"})
	})
}

// item finds a due item of an event by key.
func item(ev activities.Event, key string) (activities.DueItemRecord, bool) {
	for _, d := range ev.Due {
		if d.Key == key {
			return d, true
		}
	}
	return activities.DueItemRecord{}, false
}

// The same joiner under each pack: the agreement is due signed by the
// pack's limit (Bracknell Forest 4 weeks; the others' silences filled in
// their packs), both sign, and the yearly renewal is set only where the
// pack renews.
func TestAgreementSignedWithinEachPacksLimit(t *testing.T) {
	start := date(t, "2026-01-05")
	cases := []struct {
		authority, due, rule, renewal, renewalRule string
	}{
		{"bracknell-forest", "2026-02-02", "BF-AG-1", "", ""}, // BF-AG-3: no yearly renewal
		{"cumberland", "2026-01-19", "C-AG-2", "2027-01-08", "C-AG-1"},
		{"surrey", "2026-02-05", "S-AG-3", "2027-01-08", "S-AG-1"}, // S-AG-2: the agreed frequency is among the terms signed
		{"plymouth", "2026-02-05", "P-AG-2", "2027-01-08", "P-AG-1"},
		{"bolton", "2026-02-05", "B-AG-2", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.authority, func(t *testing.T) {
			in := agreementInput(t, tc.authority, start)
			h := newAgreementHarness(t, start)
			h.at(start, func() {
				a := h.agreement()
				if a.Status != AgreementOpen || a.Version != 1 || a.OpenedFor != OpenedJoining || a.Due.String() != tc.due || a.Rule != tc.rule {
					t.Errorf("at joining: %+v, want open v1 due %s under %s", a, tc.due, tc.rule)
				}
				s := a.Schedule
				if s.Lifecycle != KindAgreement || len(s.Items) != 1 || s.Items[0].Kind != KindAgreementSignature || s.Items[0].Status != "due" || s.Items[0].Rule != tc.rule {
					t.Errorf("schedule at joining: %+v", s)
				}
			})
			h.at(start.AddDays(1), func() { h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms")) })
			h.at(start.AddDays(2), func() {
				h.update(UpdateSignAgreement, signed("s1", "sw-1", start.AddDays(2)), h.ok("supervisee signs"))
			})
			h.atHour(start.AddDays(2), 13, func() {
				if a := h.agreement(); a.Status != AgreementOpen || len(a.Signatures) != 1 || a.Signatures[0].Party != PartySupervisee {
					t.Errorf("after one signature: %+v", a)
				}
			})
			h.at(start.AddDays(3), func() {
				h.update(UpdateSignAgreement, signed("s2", "tm-1", start.AddDays(3)), h.ok("supervisor signs"))
			})
			h.atHour(start.AddDays(3), 13, func() {
				a := h.agreement()
				if a.Status != AgreementAgreed || !a.AgreedOn.Equal(start.AddDays(3)) || a.Terms == nil || a.Terms.Frequency != "4w" {
					t.Errorf("after both signed: %+v", a)
				}
				if a.NextRenewal.String() != tc.renewal && !(tc.renewal == "" && a.NextRenewal.IsZero()) {
					t.Errorf("next renewal %s, want %q", a.NextRenewal, tc.renewal)
				}
				var kinds []string
				for _, it := range a.Schedule.Items {
					kinds = append(kinds, it.Kind+":"+it.Status+":"+it.Rule)
				}
				want := []string{KindAgreementSignature + ":met:" + tc.rule}
				if tc.renewal != "" {
					want = append(want, KindAgreementRenewal+":due:"+tc.renewalRule)
				}
				if !slices.Equal(kinds, want) {
					t.Errorf("schedule items %v, want %v", kinds, want)
				}
			})
			h.leaveOn(start.AddDays(5))
			h.env.ExecuteWorkflow(AgreementWorkflow, in)
			var res AgreementResult
			if err := h.env.GetWorkflowResult(&res); err != nil || res.Status != StatusLeft || res.Reason != "resigned" || !res.AgreedOn.Equal(start.AddDays(3)) {
				t.Fatalf("result %+v, %v", res, err)
			}
			started := h.actions("agreement.started")
			if len(started) != 1 || started[0].RuleID != tc.rule || len(started[0].Due) != 1 || started[0].Due[0].DueOn != tc.due {
				t.Fatalf("started %+v", started)
			}
			agreed := h.actions("agreement.agreed")
			if len(agreed) != 1 {
				t.Fatalf("%d agreed events", len(agreed))
			}
			if it, ok := item(agreed[0], "signature:1"); !ok || it.Status != "met" || it.MetOn != start.AddDays(3).String() {
				t.Errorf("agreed event's signature item %+v", agreed[0].Due)
			}
			closed := h.actions("agreement.closed")
			if len(closed) != 1 || closed[0].Reason != "left the service: resigned" {
				t.Fatalf("closed %+v", closed)
			}
			// A leaver's renewal is closed with the agreement.
			if _, ok := item(closed[0], "renewal:2"); ok != (tc.renewal != "") {
				t.Errorf("leaving closed %+v", closed[0].Due)
			}
		})
	}
}

// Nobody signs: the day after the limit the agreement is overdue and the
// supervisor is told; after the pack's escalation delay the supervisor's
// manager is, but only when the council set that escalation in its own pack
// version (issue 12 item 5, B-ESC-1): no seed gives one, and a securebase
// default (set_by: default) leaves the agreement overdue, never escalated.
// Cumberland's, Bracknell Forest's and Bolton's limits differ.
func TestAgreementOverdueEscalates(t *testing.T) {
	start := date(t, "2026-03-02")
	for _, tc := range []struct {
		authority, due string
		council        bool // the council set the escalation in its own pack version
	}{
		{"cumberland", "2026-03-16", true}, {"bracknell-forest", "2026-03-30", true},
		{"bolton", "2026-04-02", false}, {"bolton", "2026-04-02", true},
	} {
		t.Run(fmt.Sprintf("%s/council=%v", tc.authority, tc.council), func(t *testing.T) {
			in := agreementInput(t, tc.authority, start)
			if in.Escalation.Escalates() {
				t.Fatalf("%s's escalation %+v escalates although no seed gives it", tc.authority, in.Escalation)
			}
			if tc.council {
				in.Escalation.SetBy = policy.SetByCouncil
			}
			due := date(t, tc.due)
			cal := policy.NewCalendar(in.ClosureDays)
			escalateOn := in.Escalation.After.AddTo(due, cal)
			h := newAgreementHarness(t, start)
			h.at(due, func() {
				if n := len(h.actions("agreement.overdue")); n != 0 {
					t.Errorf("overdue on the due day: %d", n)
				}
			})
			h.at(due.AddDays(1), func() {
				od := h.actions("agreement.overdue")
				if len(od) != 1 || od[0].Notifications[0].Recipient != "tm-1" || od[0].RuleID != in.Rules.SignWithin.Rule {
					t.Errorf("overdue %+v", od)
				}
				if it := h.schedule().Items[0]; it.Status != "overdue" || it.Due.String() != tc.due {
					t.Errorf("schedule %+v", it)
				}
				if len(h.actions("agreement.escalated")) != 0 {
					t.Error("escalated too soon")
				}
			})
			h.at(escalateOn.AddDays(1), func() {
				esc := h.actions("agreement.escalated")
				if !tc.council {
					if len(esc) != 0 || h.schedule().Items[0].Escalated || h.schedule().Items[0].Status != "overdue" {
						t.Fatalf("a default escalation escalated: %+v, schedule %+v", esc, h.schedule().Items[0])
					}
				} else if len(esc) != 1 || esc[0].Notifications[0].Recipient != "hos-1" || esc[0].RuleID != in.Escalation.Rule || esc[0].RuleID == "" {
					t.Fatalf("escalation %+v", esc)
				} else if !h.schedule().Items[0].Escalated {
					t.Error("schedule does not show the escalation")
				}
				// Signing late meets the overdue item.
				h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
				h.update(UpdateSignAgreement, signed("s1", "tm-1", escalateOn.AddDays(1)), h.ok("supervisor"))
				h.update(UpdateSignAgreement, signed("s2", "sw-1", escalateOn.AddDays(1)), h.ok("supervisee"))
			})
			h.leaveOn(escalateOn.AddDays(2))
			h.env.ExecuteWorkflow(AgreementWorkflow, in)
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			agreed := h.actions("agreement.agreed")
			if len(agreed) != 1 {
				t.Fatalf("agreed %+v", agreed)
			}
			if it, ok := item(agreed[0], "signature:1"); !ok || it.Status != "met" || it.DueOn != tc.due || it.MetOn <= it.DueOn {
				t.Errorf("late signature item %+v", it)
			}
		})
	}
}

// Who may do what, and when: every refusal names its field and changes nothing.
func TestAgreementRefusals(t *testing.T) {
	start := date(t, "2026-01-05")
	in := agreementInput(t, "surrey", start)
	h := newAgreementHarness(t, start)
	d1 := start.AddDays(1)
	h.at(d1, func() {
		h.update(UpdateSignAgreement, signed("x0", "sw-1", d1), h.refused("signing before terms", ErrConflict, "terms"))
		h.update(UpdateProposeAgreementTerms, terms("x1", "sw-1"), h.refused("supervisee proposing", ErrInvalid, "actor"))
		bad := terms("x2", "tm-1")
		bad.Frequency = ""
		h.update(UpdateProposeAgreementTerms, bad, h.refused("no frequency", ErrInvalid, "frequency"))
		bad.Frequency = "5wd"
		h.update(UpdateProposeAgreementTerms, bad, h.refused("working-day frequency", ErrInvalid, "frequency"))
		bad = terms("x3", "tm-1")
		bad.Disagreements = ""
		h.update(UpdateProposeAgreementTerms, bad, h.refused("no disagreements clause", ErrInvalid, "disagreements"))
		bad = terms("x4", "tm-1")
		bad.PurposeAndAims = ""
		h.update(UpdateProposeAgreementTerms, bad, h.refused("no purpose", ErrInvalid, "purpose_and_aims"))
		h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
	})
	d2 := start.AddDays(2)
	h.at(d2, func() {
		h.update(UpdateSignAgreement, signed("x5", "tm-9", d2), h.refused("stranger signing", ErrInvalid, "actor"))
		h.update(UpdateSignAgreement, signed("x6", "sw-1", d2.AddDays(1)), h.refused("signing tomorrow", ErrInvalid, "signed_on"))
		h.update(UpdateSignAgreement, signed("x7", "sw-1", start.AddDays(-1)), h.refused("signing before joining", ErrInvalid, "signed_on"))
		h.update(UpdateSignAgreement, signed("x8", "sw-1", start), h.refused("signing before the terms", ErrInvalid, "signed_on"))
		h.update(UpdateSignAgreement, signed("s1", "sw-1", d2), h.ok("supervisee"))
		h.update(UpdateSignAgreement, signed("s2", "sw-1", d2), h.refused("signing twice", ErrConflict, "actor"))
		h.update(UpdateSignAgreement, signed("s1", "tm-1", d2), h.refused("reused request id", ErrConflict, "request_id"))
		h.update(UpdateRecordAgreementChange, AgreementChangeInput{RequestID: "c1", Event: "supervisor_change", On: d2, Reason: "x", Actor: "tm-1"}, h.refused("supervisor change as a change", ErrInvalid, "event"))
		h.update(UpdateRecordAgreementChange, AgreementChangeInput{RequestID: "c2", Event: "circumstances_change", On: d2, Reason: "x", Actor: "hr-9"}, h.refused("outsider's change", ErrInvalid, "actor"))
		h.update(UpdateRecordAgreementChange, AgreementChangeInput{RequestID: "c3", Event: "circumstances_change", On: d2, Actor: "sw-1"}, h.refused("change without reason", ErrInvalid, "reason"))
		h.update(UpdateChangeSupervisor, SupervisorInput{RequestID: "c4", SupervisorID: "tm-1", From: d2}, h.refused("same supervisor", ErrConflict, "supervisor_id"))
		h.update(UpdateSignAgreement, signed("s3", "tm-1", d2), h.ok("supervisor"))
		h.update(UpdateSignAgreement, signed("s4", "sw-1", d2), h.refused("signing an agreed version", ErrConflict, "status"))
	})
	h.atHour(d2, 13, func() {
		a := h.agreement()
		if a.Status != AgreementAgreed || a.Version != 1 || len(a.Signatures) != 2 {
			t.Errorf("after the refusals: %+v", a)
		}
	})
	h.leaveOn(d2)
	h.env.ExecuteWorkflow(AgreementWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n := len(h.actions("agreement.signed")) + len(h.actions("agreement.agreed")); n != 2 {
		t.Errorf("%d signatures recorded, want 2", n)
	}
	if n := len(h.actions("agreement.terms_proposed")); n != 1 {
		t.Errorf("%d terms recorded, want 1", n)
	}
}

// The refusal of a stranger's signature cites the pack rule behind the signing.
func TestAgreementRefusedSignerCitesRule(t *testing.T) {
	start := date(t, "2026-01-05")
	in := agreementInput(t, "bracknell-forest", start)
	h := newAgreementHarness(t, start)
	h.at(start, func() {
		h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
		h.update(UpdateSignAgreement, signed("s1", "hos-1", start), func(err error) {
			var fp FieldProblem
			if typ, field := fieldOf(err); typ != ErrInvalid || field != "actor" {
				t.Errorf("refused as %s on %s: %v", typ, field, err)
			}
			var app *temporal.ApplicationError
			if !errors.As(err, &app) || app.Details(&fp) != nil || fp.Rule != "BF-AG-1" {
				t.Errorf("refusal cites %q, want BF-AG-1", fp.Rule)
			}
		})
	})
	h.leaveOn(start)
	h.env.ExecuteWorkflow(AgreementWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}

// A new supervisor re-opens an agreed agreement: signatures needed again,
// from the new supervisor (the old one may no longer sign), due within the
// pack's limit of the change. Cumberland and Bracknell Forest differ.
func TestAgreementReopensOnSupervisorChange(t *testing.T) {
	start := date(t, "2026-01-05")
	change := date(t, "2026-02-16")
	for _, tc := range []struct{ authority, due, rule string }{
		{"cumberland", "2026-03-02", "C-AG-1"},
		{"bracknell-forest", "2026-03-16", "BF-AG-2"},
	} {
		t.Run(tc.authority, func(t *testing.T) {
			in := agreementInput(t, tc.authority, start)
			h := newAgreementHarness(t, start)
			h.at(start, func() {
				h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
				h.update(UpdateSignAgreement, signed("s1", "tm-1", start), h.ok("supervisor"))
				h.update(UpdateSignAgreement, signed("s2", "sw-1", start), h.ok("supervisee"))
			})
			h.at(change, func() {
				h.update(UpdateChangeSupervisor, SupervisorInput{RequestID: "sup-1", SupervisorID: "tm-2", ManagerID: "hos-2", From: change, Actor: "hr-1"}, h.ok("change"))
			})
			h.atHour(change, 13, func() {
				a := h.agreement()
				if a.Status != AgreementOpen || a.Version != 2 || a.OpenedFor != "supervisor_change" || a.Due.String() != tc.due || a.Rule != tc.rule || len(a.Signatures) != 0 || a.Terms == nil {
					t.Errorf("after the change: %+v", a)
				}
				if a.Schedule.SupervisorID != "tm-2" || a.Schedule.Items[0].Key != "signature:2" {
					t.Errorf("schedule %+v", a.Schedule)
				}
				h.update(UpdateSignAgreement, signed("s3", "tm-1", change), h.refused("old supervisor signing", ErrInvalid, "actor"))
				h.update(UpdateSignAgreement, signed("s4", "sw-1", change.AddDays(-1)), h.refused("signing before the version opened", ErrInvalid, "signed_on"))
				h.update(UpdateSignAgreement, signed("s5", "tm-2", change), h.ok("new supervisor"))
				h.update(UpdateSignAgreement, signed("s6", "sw-1", change), h.ok("supervisee again"))
			})
			h.atHour(change, 14, func() {
				if a := h.agreement(); a.Status != AgreementAgreed || a.Version != 2 || !a.AgreedOn.Equal(change) {
					t.Errorf("re-agreed: %+v", a)
				}
			})
			h.leaveOn(change)
			h.env.ExecuteWorkflow(AgreementWorkflow, in)
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			re := h.actions("agreement.reopened")
			if len(re) != 1 || re[0].RuleID != tc.rule {
				t.Fatalf("reopened %+v", re)
			}
			if it, ok := item(re[0], "signature:2"); !ok || it.Status != "due" || it.DueOn != tc.due {
				t.Errorf("re-opened item %+v", re[0].Due)
			}
			// Cumberland renews yearly: the renewal the first agreement set is superseded.
			if r, ok := item(re[0], "renewal:2"); ok != (tc.authority == "cumberland") || (ok && r.Status != "closed") {
				t.Errorf("renewal item on re-opening: %+v", re[0].Due)
			}
		})
	}
}

// A change of circumstances re-opens the agreement only where the pack
// lists it: Bracknell Forest does; Cumberland records it and carries on;
// Bolton re-opens for a change of arrangements only.
func TestAgreementChangeOfCircumstancesByPack(t *testing.T) {
	start := date(t, "2026-01-05")
	on := start.AddDays(20)
	for _, tc := range []struct {
		authority, event string
		reopens          bool
		rule             string
	}{
		{"bracknell-forest", "circumstances_change", true, "BF-AG-2"},
		{"bracknell-forest", "not_working", true, "BF-AG-2"},
		{"cumberland", "circumstances_change", false, "C-AG-1"},
		{"bolton", "circumstances_change", false, "B-AG-1"},
		{"bolton", "arrangements_change", true, "B-AG-1"},
	} {
		t.Run(tc.authority+"/"+tc.event, func(t *testing.T) {
			in := agreementInput(t, tc.authority, start)
			h := newAgreementHarness(t, start)
			h.at(start, func() {
				h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
				h.update(UpdateSignAgreement, signed("s1", "tm-1", start), h.ok("supervisor"))
				h.update(UpdateSignAgreement, signed("s2", "sw-1", start), h.ok("supervisee"))
			})
			h.at(on, func() {
				h.update(UpdateRecordAgreementChange, AgreementChangeInput{RequestID: "c1", Event: tc.event, On: on, Reason: "moved to part-time", Actor: "sw-1"}, h.ok("change"))
			})
			h.atHour(on, 13, func() {
				a := h.agreement()
				if tc.reopens && (a.Status != AgreementOpen || a.Version != 2 || a.OpenedFor != tc.event || !a.OpenedOn.Equal(on)) {
					t.Errorf("want re-opened: %+v", a)
				}
				if !tc.reopens && (a.Status != AgreementAgreed || a.Version != 1) {
					t.Errorf("want still agreed: %+v", a)
				}
			})
			h.leaveOn(on)
			h.env.ExecuteWorkflow(AgreementWorkflow, in)
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			action := "agreement.change_recorded"
			if tc.reopens {
				action = "agreement.reopened"
			}
			ev := h.actions(action)
			if len(ev) != 1 || ev[0].RuleID != tc.rule || ev[0].Reason != "moved to part-time" {
				t.Fatalf("%s events %+v", action, ev)
			}
		})
	}
}

// A year after agreeing, the renewal opens and the lifecycle continues as
// new carrying its state; the next run takes the new signatures and sets
// the following renewal. Request ids stay used across the runs.
func TestAgreementRenewalContinuesAsNew(t *testing.T) {
	start := date(t, "2026-01-05")
	agreedOn := date(t, "2026-01-07")
	renewal := date(t, "2027-01-07")
	in := agreementInput(t, "cumberland", start)
	h := newAgreementHarness(t, start)
	h.at(agreedOn, func() {
		h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
		h.update(UpdateSignAgreement, signed("s1", "tm-1", agreedOn), h.ok("supervisor"))
		h.update(UpdateSignAgreement, signed("s2", "sw-1", agreedOn), h.ok("supervisee"))
	})
	h.atHour(renewal.AddDays(-1), 23, func() {
		if a := h.agreement(); a.Status != AgreementAgreed || !a.NextRenewal.Equal(renewal) {
			t.Errorf("the night before the renewal: %+v", a)
		}
	})
	h.env.ExecuteWorkflow(AgreementWorkflow, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new at the renewal, got %v", err)
	}
	if can.WorkflowType.Name != AgreementWorkflow {
		t.Errorf("continued as %q", can.WorkflowType.Name)
	}
	var next AgreementInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	st := next.State
	if st == nil || st.Version != 2 || st.Status != AgreementOpen || st.OpenedFor != OpenedRenewal || !st.OpenedOn.Equal(renewal) {
		t.Fatalf("carried state %+v", st)
	}
	if st.Signing.Due.String() != "2027-01-21" || st.Signing.Rule != "C-AG-1" || len(st.Signatures) != 0 || st.Terms == nil || st.Terms.Frequency != "4w" {
		t.Errorf("renewal signing %+v, terms %+v", st.Signing, st.Terms)
	}
	if st.Requests["s1"] != UpdateSignAgreement || !reflect.DeepEqual(next.Rules, in.Rules) || next.Escalation != in.Escalation {
		t.Errorf("carried requests %v / rules %+v", st.Requests, next.Rules)
	}
	opened := h.actions("agreement.renewal_opened")
	if len(opened) != 1 || opened[0].RuleID != "C-AG-1" {
		t.Fatalf("renewal events %+v", opened)
	}
	if r, ok := item(opened[0], "renewal:2"); !ok || r.Status != "met" || r.DueOn != renewal.String() {
		t.Errorf("renewal item %+v", opened[0].Due)
	}
	if s, ok := item(opened[0], "signature:2"); !ok || s.Status != "due" || s.DueOn != "2027-01-21" {
		t.Errorf("renewed signature item %+v", opened[0].Due)
	}

	// The next run: the state as carried, nothing recorded again at start.
	h2 := newAgreementHarness(t, renewal)
	signDay := renewal.AddDays(3)
	h2.at(signDay, func() {
		h2.update(UpdateSignAgreement, signed("s1", "sw-1", signDay), h2.refused("a request id from last year", ErrConflict, "request_id"))
		h2.update(UpdateSignAgreement, signed("r1", "sw-1", signDay), h2.ok("supervisee renews"))
		h2.update(UpdateSignAgreement, signed("r2", "tm-1", signDay), h2.ok("supervisor renews"))
	})
	h2.atHour(signDay, 13, func() {
		a := h2.agreement()
		if a.Status != AgreementAgreed || a.Version != 2 || a.NextRenewal.String() != "2028-01-10" {
			t.Errorf("renewed: %+v", a)
		}
	})
	h2.leaveOn(signDay)
	h2.env.ExecuteWorkflow(AgreementWorkflow, next)
	if err := h2.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if n := len(h2.actions("agreement.started")); n != 0 {
		t.Errorf("the continued run recorded a start again (%d)", n)
	}
	if n := len(h2.actions("agreement.agreed")); n != 1 {
		t.Errorf("%d agreed events in the renewed run", n)
	}
}

// When Temporal suggests continuing as new (a long history), the lifecycle
// does so with its state, whatever it is doing.
func TestAgreementContinuesAsNewWhenSuggested(t *testing.T) {
	start := date(t, "2026-01-05")
	in := agreementInput(t, "surrey", start)
	h := newAgreementHarness(t, start)
	h.at(start, func() {
		h.env.SetContinueAsNewSuggested(true)
		h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
	})
	h.env.ExecuteWorkflow(AgreementWorkflow, in)
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next AgreementInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if st := next.State; st == nil || st.Version != 1 || st.Status != AgreementOpen || st.Terms == nil || st.Requests["t1"] == "" || st.Signing.Due.String() != "2026-02-05" {
		t.Fatalf("carried %+v", next.State)
	}
}

// The supervisor may propose revised terms to an agreed agreement: a new
// version opens, due within the limit, and both sign again.
func TestAgreementRevisedTermsOpenAReview(t *testing.T) {
	start := date(t, "2026-01-05")
	in := agreementInput(t, "bolton", start)
	h := newAgreementHarness(t, start)
	h.at(start, func() {
		h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms"))
		h.update(UpdateSignAgreement, signed("s1", "tm-1", start), h.ok("supervisor"))
	})
	h.at(start.AddDays(1), func() {
		// New terms after one signature: that signature no longer stands.
		revised := terms("t2", "tm-1")
		revised.Frequency = "2w"
		h.update(UpdateProposeAgreementTerms, revised, h.ok("revised before agreeing"))
	})
	h.atHour(start.AddDays(1), 13, func() {
		if a := h.agreement(); a.Version != 1 || len(a.Signatures) != 0 || a.Terms.Frequency != "2w" {
			t.Errorf("after revising: %+v", a)
		}
		h.update(UpdateSignAgreement, signed("s2", "tm-1", start.AddDays(1)), h.ok("supervisor"))
		h.update(UpdateSignAgreement, signed("s3", "sw-1", start.AddDays(1)), h.ok("supervisee"))
	})
	review := start.AddDays(60)
	h.at(review, func() { h.update(UpdateProposeAgreementTerms, terms("t3", "tm-1"), h.ok("review")) })
	h.atHour(review, 13, func() {
		a := h.agreement()
		if a.Version != 2 || a.Status != AgreementOpen || a.OpenedFor != OpenedReview || a.Due.String() != "2026-04-06" || a.Rule != "B-AG-2" {
			t.Errorf("review: %+v", a)
		}
	})
	h.leaveOn(review)
	h.env.ExecuteWorkflow(AgreementWorkflow, in)
	if err := h.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
}

// councilSet is an escalation as a council's own pack version sets it
// (set_by: council): the tests of the escalation machinery use it, since
// every built-in escalation is a securebase default that never escalates.
func councilSet(e policy.Escalation) policy.Escalation {
	e.SetBy = policy.SetByCouncil
	return e
}
