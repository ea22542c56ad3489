package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Temporal's user metadata (static summary and details on a lifecycle, a
// summary on each activity and timer, current details) lets an auditor who
// opens the Temporal UI or `temporal workflow show` read the history as a
// decision trail. Metadata is not checked on replay, so none of it needs a
// GetVersion guard.

// lifecycleWords names each workflow type in plain words.
var lifecycleWords = map[string]string{
	OnboardWorkflow:          "Onboarding of a new starter",
	ASYEWorkflow:             "ASYE (assessed and supported year in employment)",
	AgreementWorkflow:        "Supervision agreement",
	SupervisionWorkflow:      "Personal supervision",
	SignOffWorkflow:          "Sign-off of a supervision record",
	LeaveWorkflow:            "Leaving",
	CaseWorkflow:             "Case supervision",
	CaseloadWorkflow:         "Caseload",
	RetentionWorkflow:        "Retention of supervision records",
	ComplianceReportWorkflow: "Monthly compliance report",
	AuditAnchorWorkflow:      "Audit trail anchor",
	DeliveryWorkflow:         "Notification delivery",
	TeamDutyWorkflow:         "Team duty",
	ConcernWorkflow:          "Concern about supervision",
}

// Describe is a lifecycle's static summary (which lifecycle, about whom) and
// details (authority and pack version), read from its input's common fields.
func Describe(workflowType string, input any) (summary, details string) {
	var in struct {
		StaffID     string          `json:"staff_id"`
		CaseID      string          `json:"case_id"`
		WorkerID    string          `json:"worker_id"`
		RecordID    string          `json:"record_id"`
		Name        string          `json:"name"`
		Authority   string          `json:"authority"`
		PackVersion string          `json:"pack_version"`
		Pack        *policy.PackRef `json:"pack"`
		Person      *Person         `json:"person"`
		Team        string          `json:"team"`
		Duty        struct {
			Duty string `json:"duty"`
		} `json:"duty"`
		Staff *struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			Authority   string `json:"authority"`
			PackVersion string `json:"pack_version"`
		} `json:"staff"`
	}
	if b, err := json.Marshal(input); err == nil {
		_ = json.Unmarshal(b, &in)
	}
	if p := in.Person; p != nil {
		in.StaffID, in.Name, in.Authority = first(in.StaffID, p.StaffID), first(in.Name, p.Name), first(in.Authority, p.Authority)
	}
	if s := in.Staff; s != nil {
		in.StaffID, in.Name, in.Authority, in.PackVersion = first(in.StaffID, s.ID), first(in.Name, s.Name), first(in.Authority, s.Authority), first(in.PackVersion, s.PackVersion)
	}
	if p := in.Pack; p != nil {
		in.Authority, in.PackVersion = first(in.Authority, p.Authority), first(in.PackVersion, p.Version)
	}
	summary = first(lifecycleWords[workflowType], workflowType)
	var who []string
	if in.CaseID != "" {
		who = append(who, "case "+in.CaseID)
	}
	if in.StaffID = first(in.StaffID, in.WorkerID); in.StaffID != "" {
		person := in.StaffID
		if in.Name != "" {
			person = in.Name + " (" + in.StaffID + ")"
		}
		who = append(who, person)
	}
	if in.RecordID != "" {
		who = append(who, "record "+in.RecordID)
	}
	if workflowType == TeamDutyWorkflow {
		summary += " (" + strings.ReplaceAll(in.Duty.Duty, "_", " ") + ")"
		who = append(who, "team "+in.Team)
	}
	if len(who) > 0 {
		summary += " for " + strings.Join(who, ", ")
	}
	var d []string
	if in.Authority != "" {
		d = append(d, "Authority: "+in.Authority)
	}
	if in.PackVersion != "" {
		d = append(d, "Policy pack version: "+in.PackVersion)
	}
	return oneLine(summary), strings.Join(d, "\n")
}

// eventSummary is the one-line summary of a decision's write: what it
// records, the duty and date it is about, and the rule.
func eventSummary(ev decision.Event) string {
	s := ev.Action
	if ev.Reason != "" {
		s += ": " + ev.Reason
	} else if len(ev.Due) > 0 {
		d := ev.Due[0]
		s += fmt.Sprintf(": %s due %s — %s", d.Kind, d.DueOn, d.Status)
	} else if st := ev.Staff; st != nil {
		s += fmt.Sprintf(": %s (%s)", st.Name, st.ID)
	}
	if rule := first(ev.RuleID, dueRule(ev.Due)); rule != "" {
		s += " (" + rule + ")"
	}
	return oneLine(s)
}

func dueRule(due []decision.DueItemRecord) string {
	if len(due) > 0 {
		return due[0].RuleID
	}
	return ""
}

// deadlineSummary names a lifecycle's next deadline: the end of a London
// day (policy.Date.EndInstant), so it is named by that day.
func (l *lifecycle) deadlineSummary(at time.Time) string {
	day := at.Add(-time.Nanosecond).In(policy.London).Format("Monday 2 January 2006")
	return fmt.Sprintf("Next deadline for the %s of %s (%s): end of %s", l.label, first(l.name, l.staffID), l.staffID, day)
}

func first(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// oneLine keeps a summary to one line within Temporal's 200 bytes.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= 200 {
		return s
	}
	cut := 197 // room for the ellipsis's three bytes
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// awaitSummarised is workflow.AwaitWithTimeout with a summary on its timer:
// the same timer command, so histories replay unchanged.
func awaitSummarised(ctx workflow.Context, wait time.Duration, summary string, condition func() bool) (bool, error) {
	return workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{Timeout: wait, TimerOptions: workflow.TimerOptions{Summary: oneLine(summary)}}, condition)
}

// sleepSummarised is workflow.Sleep with a summary on its timer (the same
// timer command).
func sleepSummarised(ctx workflow.Context, d time.Duration, summary string) error {
	return workflow.NewTimerWithOptions(ctx, d, workflow.TimerOptions{Summary: oneLine(summary)}).Get(ctx, nil)
}
