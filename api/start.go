package api

import (
	"context"
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/workflows"
)

// runOnce starts the business-keyed workflow id unless it runs or ran
// already, and waits for its result: a retried request, or fifty at once,
// find the one run and never start a second.
func (s *Server) runOnce(ctx context.Context, id, workflowType string, attrs temporal.SearchAttributes, in, out any) error {
	run, err := s.startOnce(ctx, id, workflowType, attrs, in)
	if err != nil {
		return err
	}
	return run.Get(ctx, out)
}

// startOnce is runOnce without the wait, for a workflow that may run for
// months (a leave dated ahead).
func (s *Server) startOnce(ctx context.Context, id, workflowType string, attrs temporal.SearchAttributes, in any) (client.WorkflowRun, error) {
	summary, details := workflows.Describe(workflowType, in)
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       id,
		TaskQueue:                workflows.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    attrs,
		StaticSummary:            summary,
		StaticDetails:            details,
	}, workflowType, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		// It ran before and finished: its result is the answer.
		run, err = s.Temporal.GetWorkflow(ctx, id, ""), nil
	}
	return run, err
}

// startNew starts the business-keyed workflow id, or says it was started
// before (WorkflowExecutionAlreadyStarted, running or not) for an import to
// compare: without the flag the SDK answers a used id with that run's handle,
// and an import would count a row started before as new.
func (s *Server) startNew(ctx context.Context, id, workflowType string, attrs temporal.SearchAttributes, in any) (client.WorkflowRun, error) {
	summary, details := workflows.Describe(workflowType, in)
	return s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                                       id,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy:                 enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    attrs,
		StaticSummary:                            summary,
		StaticDetails:                            details,
	}, workflowType, in)
}
