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
	"strings"
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
