package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"gorm.io/gorm"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// quiet drops the SDK's and the workflows' log lines: a year of thousands
// of lifecycles would otherwise print millions.
var quiet = sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))

const deadlockTimeout = 30 * time.Second

// runStats is what running one lifecycle did.
type runStats struct {
	Updates, Signals, SignOffs int
}

// runPlan runs one lifecycle's year in its own time-skipping environment,
// with the real RecordEvent activity writing to db. The database's clock
// is the environment's, so each row is stamped with the simulated moment
// it was written, as production stamps it with the moment it happened
// (prepared statements only spare SQLite re-parsing the same SQL).
// Every update must be accepted and, where the simulator reckoned the next
// due day, answer with it.
func runPlan(db *gorm.DB, pl *plan, last policy.Date) (runStats, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quiet)
	env := suite.NewTestWorkflowEnvironment()
	// The deadlock detector's 1s is wall time: on a loaded machine running
	// many environments at once a workflow task can take that long.
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: deadlockTimeout})
	start := at(pl.Start, 9)
	env.SetStartTime(start)
	// A lifecycle that continues as new (the agreement at each renewal, a
	// team duty after many meetings) runs as the child of a stand-in
	// parent: the test environment carries a child over into its new run,
	// a workflow it started itself not.
	root, workflowName := pl.ID, pl.Workflow
	if pl.Workflow == workflows.AgreementWorkflow || pl.Workflow == workflows.TeamDutyWorkflow {
		root, workflowName = pl.ID+"/simulated", "SimulatedParent"
		env.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
			ctx = workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: pl.ID, TaskQueue: workflows.TaskQueue})
			return workflow.ExecuteChildWorkflow(ctx, pl.Workflow, pl.Input).Get(ctx, nil)
		}, workflow.RegisterOptions{Name: workflowName})
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: root, TaskQueue: workflows.TaskQueue})
	acts := activities.Activities{DB: db.Session(&gorm.Session{NowFunc: func() time.Time { return env.Now().UTC() }})}
	env.RegisterActivityWithOptions(acts.RecordEvent, activity.RegisterOptions{Name: activities.RecordEventName})
	// No Packs: the simulated year runs each lifecycle under the version it started with.
	env.RegisterActivityWithOptions(acts.NextPack, activity.RegisterOptions{Name: activities.NextPackName})
	switch pl.Workflow {
	case workflows.SupervisionWorkflow:
		env.RegisterWorkflowWithOptions(workflows.Supervision, workflow.RegisterOptions{Name: pl.Workflow})
	case workflows.ASYEWorkflow:
		env.RegisterWorkflowWithOptions(workflows.ASYE, workflow.RegisterOptions{Name: pl.Workflow})
	case workflows.CaseWorkflow:
		env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: pl.Workflow})
	case workflows.AgreementWorkflow:
		env.RegisterWorkflowWithOptions(workflows.Agreement, workflow.RegisterOptions{Name: pl.Workflow})
	case workflows.TeamDutyWorkflow:
		env.RegisterWorkflowWithOptions(workflows.TeamDuty, workflow.RegisterOptions{Name: pl.Workflow})
	}
	// Each session starts its record's sign-off: the real lifecycle where
	// the simulator signs records, else a stub.
	var st runStats
	if pl.SignOffs {
		env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.SignOffInput) (workflows.SignOffResult, error) {
			st.SignOffs++
			return workflows.SignOff(ctx, in)
		}, workflow.RegisterOptions{Name: workflows.SignOffWorkflow})
	} else {
		env.RegisterWorkflowWithOptions(func(workflow.Context, workflows.SignOffInput) error {
			st.SignOffs++
			return nil
		}, workflow.RegisterOptions{Name: workflows.SignOffWorkflow})
	}

	var mu sync.Mutex
	var problems []error
	fail := func(err error) {
		mu.Lock()
		problems = append(problems, err)
		mu.Unlock()
	}
	for i, a := range pl.Actions {
		target := a.Target
		if target == "" {
			target = pl.ID
		}
		what := fmt.Sprintf("%s %s on %s", target, a.Update, a.Day)
		env.RegisterDelayedCallback(func() {
			if a.Update == "" {
				st.Signals++
				if err := env.SignalWorkflowByID(target, workflows.SignalLeave, a.Arg); err != nil {
					fail(fmt.Errorf("%s: leave: %w", target, err))
				}
				return
			}
			st.Updates++
			// Update IDs must differ: the environment answers a repeated one
			// with the first one's result.
			err := env.UpdateWorkflowByID(target, a.Update, fmt.Sprint("sim-", i), &testsuite.TestUpdateCallback{
				OnAccept: func() {},
				OnReject: func(err error) { fail(fmt.Errorf("%s: refused: %w", what, err)) },
				OnComplete: func(res any, err error) {
					if err != nil {
						fail(fmt.Errorf("%s: %w", what, err))
						return
					}
					if a.Expect == nil {
						return
					}
					raw, err := json.Marshal(res)
					if err == nil {
						err = a.Expect(raw)
					}
					if err != nil {
						fail(fmt.Errorf("%s: %w", what, err))
					}
				},
			}, a.Arg)
			if err != nil {
				fail(fmt.Errorf("%s: %w", what, err))
			}
		}, at(a.Day, a.Hour).Sub(start))
	}
	// The run ends on the evening of its last day: the records' sign-offs
	// first (the test environment cannot cancel a parent whose children
	// still run), then the lifecycle. Cancelling a record already closed
	// goes to the environment's mock, which answers that it is done.
	env.OnRequestCancelExternalWorkflow(mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	// A case tells its workers' caseload lifecycles of a transfer or a
	// closure; the caseloads are not simulated, so the signal goes nowhere.
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.RegisterDelayedCallback(func() {
		for _, id := range pl.records {
			env.CancelWorkflowByID(id, "")
		}
	}, at(last, 19).Sub(start))
	env.RegisterDelayedCallback(env.CancelWorkflow, at(last, 20).Sub(start))
	if workflowName == pl.Workflow {
		env.ExecuteWorkflow(pl.Workflow, pl.Input)
	} else {
		env.ExecuteWorkflow(workflowName)
	}
	if err := env.GetWorkflowError(); err != nil {
		var canceled *temporal.CanceledError
		if !errors.As(err, &canceled) {
			fail(fmt.Errorf("%s: %w", pl.ID, err))
		}
	}
	return st, errors.Join(problems...)
}

// at is hour o'clock London on d.
func at(d policy.Date, hour int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, policy.London)
}

// runReport runs the ComplianceReport workflow (what the monthly Schedule
// starts) at 06:00 London on day, with the real activity, and returns its result.
func runReport(db *gorm.DB, authority string, day policy.Date) (workflows.ComplianceReportResult, error) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quiet)
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(at(day, 6))
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.ID("ComplianceReport", authority), TaskQueue: workflows.TaskQueue})
	acts := activities.Activities{DB: db}
	env.RegisterActivityWithOptions(acts.StoreComplianceReport, activity.RegisterOptions{Name: activities.StoreComplianceReportName})
	env.RegisterWorkflowWithOptions(workflows.ComplianceReport, workflow.RegisterOptions{Name: workflows.ComplianceReportWorkflow})
	env.ExecuteWorkflow(workflows.ComplianceReportWorkflow, workflows.ComplianceReportInput{Authority: authority})
	var res workflows.ComplianceReportResult
	if err := env.GetWorkflowError(); err != nil {
		return res, err
	}
	return res, env.GetWorkflowResult(&res)
}

// runAll runs every plan, at most parallel at once, and sums what they did.
func runAll(ctx context.Context, db *gorm.DB, plans []*plan, last policy.Date, parallel int, progress func(done int)) (runStats, []error) {
	var (
		mu    sync.Mutex
		total runStats
		errs  []error
		done  int
		wg    sync.WaitGroup
	)
	next := make(chan *plan)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for pl := range next {
				st, err := runPlan(db, pl, last)
				mu.Lock()
				total.Updates += st.Updates
				total.Signals += st.Signals
				total.SignOffs += st.SignOffs
				if err != nil {
					errs = append(errs, err)
				}
				done++
				if progress != nil {
					progress(done)
				}
				mu.Unlock()
			}
		}()
	}
	for _, pl := range plans {
		if ctx.Err() != nil {
			break
		}
		next <- pl
	}
	close(next)
	wg.Wait()
	return total, errs
}
