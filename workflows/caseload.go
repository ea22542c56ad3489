package workflows

import "go.temporal.io/sdk/workflow"

// CaseloadInput starts (or continues) a case-holding worker's caseload lifecycle.
type CaseloadInput struct {
	StaffID string `json:"staff_id"`
}

// CaseloadResult is how a caseload lifecycle ended.
type CaseloadResult struct{}

// Caseload: to be written.
func Caseload(ctx workflow.Context, in CaseloadInput) (CaseloadResult, error) {
	return CaseloadResult{}, nil
}
