package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/securebase/securebase/workflows"
)

// ComplianceScheduleID is the Schedule that reports on one authority.
func ComplianceScheduleID(authority string) string {
	return workflows.ComplianceReportWorkflow + ":" + authority
}

// complianceSchedule runs the report at 06:00 London on the 1st of each
// month; the workflow reports on the month just ended.
func complianceSchedule(authority string) (client.ScheduleSpec, *client.ScheduleWorkflowAction) {
	spec := client.ScheduleSpec{
		Calendars: []client.ScheduleCalendarSpec{{
			Second:     []client.ScheduleRange{{Start: 0}},
			Minute:     []client.ScheduleRange{{Start: 0}},
			Hour:       []client.ScheduleRange{{Start: 6}},
			DayOfMonth: []client.ScheduleRange{{Start: 1}},
			Month:      []client.ScheduleRange{{Start: 1, End: 12}},
			Comment:    "monthly compliance report for the month just ended",
		}},
		TimeZoneName: "Europe/London",
	}
	action := &client.ScheduleWorkflowAction{
		ID:        ComplianceScheduleID(authority), // the Schedule appends the run's time
		Workflow:  workflows.ComplianceReportWorkflow,
		Args:      []any{workflows.ComplianceReportInput{Authority: authority}},
		TaskQueue: workflows.TaskQueue,
	}
	action.StaticSummary, action.StaticDetails = workflows.Describe(workflows.ComplianceReportWorkflow, action.Args[0])
	return spec, action
}

// EnsureComplianceSchedules creates each authority's monthly report
// Schedule, or brings an existing one up to date: safe to call at every
// start, and by several processes at once.
func EnsureComplianceSchedules(ctx context.Context, c client.Client, authorities []string) error {
	sc := c.ScheduleClient()
	for _, a := range authorities {
		spec, action := complianceSchedule(a)
		_, err := sc.Create(ctx, client.ScheduleOptions{
			ID: ComplianceScheduleID(a), Spec: spec, Action: action,
			Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		})
		if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
			err = sc.GetHandle(ctx, ComplianceScheduleID(a)).Update(ctx, client.ScheduleUpdateOptions{
				DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
					s := in.Description.Schedule
					s.Spec, s.Action = &spec, action
					if s.Policy != nil {
						s.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
					}
					return &client.ScheduleUpdate{Schedule: &s}, nil
				},
			})
		}
		if err != nil {
			return fmt.Errorf("compliance report schedule for %s: %w", a, err)
		}
	}
	return nil
}

// AuditAnchorScheduleID is the Schedule that anchors the audit streams.
const AuditAnchorScheduleID = workflows.AuditAnchorWorkflow

// EnsureAuditAnchorSchedule creates the hourly audit anchor Schedule, or
// brings it up to date: safe at every start, by several processes at once.
func EnsureAuditAnchorSchedule(ctx context.Context, c client.Client) error {
	spec := client.ScheduleSpec{
		Intervals: []client.ScheduleIntervalSpec{{Every: time.Hour}},
	}
	action := &client.ScheduleWorkflowAction{
		ID: AuditAnchorScheduleID, Workflow: workflows.AuditAnchorWorkflow, TaskQueue: workflows.TaskQueue,
		Args:          []any{workflows.AuditAnchorInput{}},
		StaticSummary: "Audit trail anchor: hourly hash-chain heads of the decision trail",
	}
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{ID: AuditAnchorScheduleID, Spec: spec, Action: action, Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		err = sc.GetHandle(ctx, AuditAnchorScheduleID).Update(ctx, client.ScheduleUpdateOptions{
			DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
				s := in.Description.Schedule
				s.Spec, s.Action = &spec, action
				return &client.ScheduleUpdate{Schedule: &s}, nil
			},
		})
	}
	if err != nil {
		return fmt.Errorf("audit anchor schedule: %w", err)
	}
	return nil
}
