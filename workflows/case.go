package workflows

import "go.temporal.io/sdk/workflow"

// CaseInput starts (or continues) a child's case lifecycle.
type CaseInput struct {
	CaseID string `json:"case_id"`
}

// CaseResult is how a case lifecycle ended.
type CaseResult struct{}

// Case: to be written.
func Case(ctx workflow.Context, in CaseInput) (CaseResult, error) { return CaseResult{}, nil }
