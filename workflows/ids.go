// Package workflows holds the lifecycles: deterministic code, no I/O. Every
// write goes through an activity; every rule comes from the pack in the input.
//
// A change to code a running history has seen is patched with
// workflow.GetVersion under a change id of its own, "<lifecycle>-<what>-v1",
// and its release's histories are recorded beside the old ones in testdata
// (README "Changing workflow code"; worker/replay_test.go, upgrade_test.go).
package workflows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/workflow"
)

// Registered names. Renaming a Go function must never change these: running
// histories refer to them.
const (
	OnboardWorkflow     = "Onboard"
	ASYEWorkflow        = "ASYE"
	AgreementWorkflow   = "Agreement"
	SupervisionWorkflow = "Supervision"
	SignOffWorkflow     = "SignOff"
	LeaveWorkflow       = "Leave"
	CaseWorkflow        = "Case"
	CaseloadWorkflow    = "Caseload"

	// Updates on ASYE.
	UpdateRecordSession    = "RecordSession"
	UpdateRecordReview     = "RecordReview"
	UpdatePause            = "Pause"
	UpdateResume           = "Resume"
	UpdateExtend           = "Extend"
	UpdateRecordOutcome    = "RecordOutcome"
	UpdateChangeSupervisor = "ChangeSupervisor"

	// QuerySchedule returns a lifecycle's due, overdue and met items.
	QuerySchedule = "schedule"

	// TaskQueue is where every securebase workflow and activity runs.
	TaskQueue = "securebase"
)

// Workflow kinds: the prefix of a workflow ID.
const (
	KindOnboard     = "Onboard"
	KindASYE        = "ASYE"
	KindAgreement   = "Agreement"
	KindSupervision = "Supervision"
	KindSignOff     = "SignOff"
	KindLeave       = "Leave"
	KindCase        = "Case"
	KindCaseload    = "Caseload"
)

// ID builds a business-keyed workflow ID: "ASYE:emp-123".
func ID(kind, businessID string) string { return kind + ":" + businessID }

// ParseID splits a workflow ID into its kind and business ID.
func ParseID(id string) (kind, businessID string, err error) {
	kind, businessID, ok := strings.Cut(id, ":")
	if !ok || kind == "" || businessID == "" {
		return "", "", fmt.Errorf("workflow id %q is not Kind:businessID", id)
	}
	return kind, businessID, nil
}

// personKinds are the lifecycles a person has once per period of employment.
var personKinds = []string{KindOnboard, KindASYE, KindAgreement, KindSupervision, KindLeave, KindRetention}

// PeriodKey is the business id of a person's lifecycles (Onboard, ASYE,
// Agreement, Supervision, Leave, Retention) in their nth period of
// employment: the staff id itself in the first, so the ids of everyone
// onboarded before rehiring existed stay as they were, and "<staff id>.p<n>"
// after a rehire. '.' is outside the staff id grammar: no staff id is ever
// a later period's key.
func PeriodKey(staffID string, period int) string {
	if period <= 1 {
		return staffID
	}
	return staffID + ".p" + strconv.Itoa(period)
}

// PeriodOf is the period of employment a person's lifecycle id belongs to
// (1 without a period key), and 0 for any other workflow id (a case, a
// sign-off: its record id has a '.' of its own).
func PeriodOf(workflowID string) int {
	kind, key, err := ParseID(workflowID)
	if err != nil || !slices.Contains(personKinds, kind) {
		return 0
	}
	i := strings.LastIndex(key, ".p")
	if i < 0 {
		return 1
	}
	n, err := strconv.Atoi(key[i+2:])
	if err != nil || n < 2 || key[i+2] == '0' {
		return 1
	}
	return n
}

// periodKeyOf is the business id in a lifecycle's own workflow id: its
// person's period key ("sw-1", "sw-1.p2"), or staffID when the id is not
// Kind:businessID (a test's).
func periodKeyOf(ctx workflow.Context, staffID string) string {
	if _, key, err := ParseID(workflow.GetInfo(ctx).WorkflowExecution.ID); err == nil {
		return key
	}
	return staffID
}
