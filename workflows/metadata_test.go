package workflows

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// Describe reads who and which pack from each kind of lifecycle input.
func TestDescribeNamesLifecycleWhoAndPack(t *testing.T) {
	pack := policy.PackRef{Authority: "cumberland", Version: "2026-01"}
	p := Person{StaffID: "sw-1", Name: "Ann Lee", Authority: "cumberland"}
	for _, c := range []struct {
		workflowType string
		in           any
		summary      string
		details      string
	}{
		{SupervisionWorkflow, SupervisionInput{Person: p, Pack: pack}, "Personal supervision for Ann Lee (sw-1)", "Authority: cumberland\nPolicy pack version: 2026-01"},
		{OnboardWorkflow, OnboardInput{Staff: activities.StaffRecord{ID: "sw-1", Name: "Ann Lee", Authority: "cumberland", PackVersion: "2026-01"}}, "Onboarding of a new starter for Ann Lee (sw-1)", "Authority: cumberland\nPolicy pack version: 2026-01"},
		{CaseWorkflow, CaseInput{CaseID: "c-9", WorkerID: "sw-1", Authority: "cumberland", Pack: pack}, "Case supervision for case c-9, sw-1", "Authority: cumberland\nPolicy pack version: 2026-01"},
		{ComplianceReportWorkflow, ComplianceReportInput{Authority: "bolton"}, "Monthly compliance report", "Authority: bolton"},
	} {
		s, d := Describe(c.workflowType, c.in)
		if s != c.summary || d != c.details {
			t.Errorf("%s: got %q / %q, want %q / %q", c.workflowType, s, d, c.summary, c.details)
		}
	}
}

// A summary is one line within Temporal's 200 bytes, cut on a character.
func TestEventSummaryIsOneShortLine(t *testing.T) {
	ev := activities.Event{Action: "supervision.overdue", RuleID: "C-PS-1", Reason: "supervision session 3 due 2027-03-15\nwas not done " + strings.Repeat("é", 150)}
	s := eventSummary(ev)
	if len(s) > 200 || !utf8.ValidString(s) || strings.Contains(s, "\n") || !strings.HasPrefix(s, "supervision.overdue: supervision session 3 due 2027-03-15 was not done") {
		t.Errorf("summary %q (%d bytes)", s, len(s))
	}
	short := eventSummary(activities.Event{Action: "supervision.overdue", RuleID: "C-PS-1", Reason: "supervision session 3 due 2027-03-15 was not done"})
	if want := "supervision.overdue: supervision session 3 due 2027-03-15 was not done (C-PS-1)"; short != want {
		t.Errorf("got %q, want %q", short, want)
	}
}
