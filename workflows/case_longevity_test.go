package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// The Temporal server (v1.32 defaults) suggests continuing as new once a
// run's history reaches either of these (limit.historyCount.suggestContinueAsNew,
// limit.historySize.suggestContinueAsNew).
const (
	suggestEvents = 4 * 1024
	suggestBytes  = 4 << 20
	// eventOverhead is what an event costs beyond its payloads (ids, times,
	// task queue, identity, attributes): a bound checked against a committed
	// history by TestHistoryMeterBoundsARecordedHistory.
	eventOverhead = 200
)

// historyMeter estimates, from the test environment's hooks, the events and
// bytes the server would write for one run, and raises the server's
// continue-as-new suggestion when it would. The estimate is an upper bound:
// it counts a workflow task (3 events) for every event that wakes the
// workflow, where the server batches what arrives together. It sees
// activities, timers, child workflows, and (through meteredRun) updates and
// signals received and sent: all the case and supervision lifecycles do
// (neither records markers nor upserts search attributes; count them here
// if one ever does).
type historyMeter struct {
	env           *testsuite.TestWorkflowEnvironment
	events, bytes int
	suggested     bool
}

const workflowTask = 3 // scheduled, started, completed

func newHistoryMeter(env *testsuite.TestWorkflowEnvironment) *historyMeter {
	m := &historyMeter{env: env}
	env.SetOnActivityStartedListener(func(_ *activity.Info, _ context.Context, args converter.EncodedValues) {
		var raw json.RawMessage
		_ = args.Get(&raw)
		m.add(3+workflowTask, len(raw)) // scheduled (with the input), started, completed; its completion wakes the workflow
	})
	env.SetOnActivityCompletedListener(func(_ *activity.Info, result converter.EncodedValue, _ error) {
		var raw json.RawMessage
		if result != nil && result.HasValue() {
			_ = result.Get(&raw)
		}
		m.add(0, len(raw))
	})
	// A local activity (the pack lookup, packmove.go) is one marker event,
	// written with the workflow task that ran it.
	env.SetOnLocalActivityCompletedListener(func(_ *activity.Info, result converter.EncodedValue, _ error) {
		var raw json.RawMessage
		if result != nil && result.HasValue() {
			_ = result.Get(&raw)
		}
		m.add(1, len(raw))
	})
	env.SetOnTimerScheduledListener(func(string, time.Duration) { m.add(1, 0) })
	env.SetOnTimerFiredListener(func(string) { m.add(1+workflowTask, 0) })
	env.SetOnTimerCanceledListener(func(string) { m.add(1, 0) })
	env.SetOnChildWorkflowStartedListener(func(_ *workflow.Info, _ workflow.Context, args converter.EncodedValues) {
		var raw json.RawMessage
		_ = args.Get(&raw)
		m.add(2+workflowTask, len(raw)) // initiated (with the input), started
	})
	env.SetOnChildWorkflowCompletedListener(func(*workflow.Info, converter.EncodedValue, error) {
		m.add(1+workflowTask, 0) // the child's completion reaches the parent, abandoned or not
	})
	return m
}

// add counts events and their payload bytes, and suggests continuing as new
// as the server would, from the next workflow task on.
func (m *historyMeter) add(events, payload int) {
	m.events += events
	m.bytes += payload + events*eventOverhead
	if !m.suggested && (m.events >= suggestEvents || m.bytes >= suggestBytes) {
		m.suggested = true
		m.env.SetContinueAsNewSuggested(true)
	}
}

func payloadSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// meteredRun is one run of a lifecycle in the test environment, metered.
type meteredRun struct {
	t      *testing.T
	env    *testsuite.TestWorkflowEnvironment
	meter  *historyMeter
	events []activities.Event
	open   int // updates sent and not yet finished
}

func newMeteredRun(t *testing.T, start time.Time) *meteredRun {
	var suite testsuite.WorkflowTestSuite
	r := &meteredRun{t: t, env: suite.NewTestWorkflowEnvironment()}
	r.env.SetStartTime(start)
	r.env.SetWorkflowRunTimeout(0) // none, as the API starts them (the test default is ten years)
	r.env.RegisterActivityWithOptions(func(ev activities.Event) (activities.RecordResult, error) {
		r.events = append(r.events, ev)
		return activities.RecordResult{Applied: true}, nil
	}, activity.RegisterOptions{Name: activities.RecordEventName})
	servePacks(r.env, nil)
	r.meter = newHistoryMeter(r.env)
	return r
}

// newCaseRun is a metered run of the case lifecycle, its caseload signals accepted.
func newCaseRun(t *testing.T, start time.Time) *meteredRun {
	r := newMeteredRun(t, start)
	r.env.RegisterWorkflowWithOptions(Case, workflow.RegisterOptions{Name: CaseWorkflow})
	r.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, SignalCaseloadChange, mock.Anything).Return(
		func(_, _, _, _ string, arg any) error {
			r.meter.add(2+workflowTask, payloadSize(arg)) // initiated, signaled
			return nil
		})
	return r
}

// update sends an update that must succeed, metering what it writes:
// accepted (with its input), completed (with its result).
func (r *meteredRun) update(name string, arg any) {
	r.open++
	done := func(res any, err error) {
		r.open--
		if err != nil {
			r.t.Errorf("%s %+v: %v", name, arg, err)
		}
		r.meter.add(2+workflowTask, payloadSize(arg)+payloadSize(res))
	}
	r.env.UpdateWorkflow(name, "", &testsuite.TestUpdateCallback{
		OnAccept:   func() {},
		OnReject:   func(err error) { done(nil, err) },
		OnComplete: done,
	}, arg)
}

func (r *meteredRun) signal(name string, arg any) {
	r.meter.add(1+workflowTask, payloadSize(arg))
	r.env.SignalWorkflow(name, arg)
}

func (r *meteredRun) caseSchedule() CaseSchedule {
	v, err := r.env.QueryWorkflow(QuerySchedule)
	if err != nil {
		r.t.Fatal(err)
	}
	var s CaseSchedule
	if err := v.Get(&s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// execute runs the workflow to its end; when it continued as new, it says
// so and decodes the next run's input into next.
func (r *meteredRun) execute(workflowType string, in, next any) bool {
	r.meter.add(1+workflowTask, payloadSize(in)) // started (with the input), the first task
	r.env.ExecuteWorkflow(workflowType, in)
	if r.open != 0 {
		r.t.Fatalf("%d updates never finished", r.open)
	}
	var can *workflow.ContinueAsNewError
	err := r.env.GetWorkflowError()
	if errors.As(err, &can) {
		if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, next); err != nil {
			r.t.Fatal(err)
		}
		r.meter.add(1, payloadSize(next)) // continued as new (with the next input)
		return true
	}
	if err != nil {
		r.t.Fatal(err)
	}
	r.meter.add(1, 0) // completed
	return false
}

// runScript is a scenario's one next step, carried from run to run.
type runScript struct {
	run     *meteredRun
	pending *scriptStep
}

type scriptStep struct {
	at time.Time
	fn func()
}

// next schedules the script's one next step in the current run.
func (c *runScript) next(at time.Time, fn func()) {
	s := &scriptStep{at: at, fn: fn}
	c.pending = s
	c.arm()
}

// arm registers the pending step in the current run (again, in a new run).
func (c *runScript) arm() {
	s, run := c.pending, c.run
	run.env.RegisterDelayedCallback(func() {
		if c.pending == s && c.run == run {
			c.pending = nil
			s.fn()
		}
	}, max(0, s.at.Sub(run.env.Now())))
}

func londonAt(d policy.Date, hour int) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, policy.London)
}

// caseDecade drives a Cumberland case through ten years as a team would:
// case supervision at the category's cadence (one a year held late, so it
// goes overdue and escalates), each with its record filed and its actions
// reviewed and new ones set; a category change and an oversight decision
// every year, a transfer every second year, and closure at the end. It
// follows each continue-as-new into a fresh run, carrying the step it was
// about to take.
type caseDecade struct {
	runScript
	t      *testing.T
	end    policy.Date
	months int // supervisions held
	years  int // years begun
	closed bool
}

var categoryCycle = []string{"child_in_need", "cared_for_before_permanence", "cared_for_after_permanence", "child_protection"}

// supervise holds the case supervision due on day (late when late), then
// the day's other business, then schedules the next.
func (c *caseDecade) supervise(day policy.Date) {
	r := c.run
	s := r.caseSchedule()
	c.months++
	id := fmt.Sprintf("m%d", c.months)
	var reviewed []ActionReview
	for _, a := range s.Actions {
		if a.Status != "done" {
			reviewed = append(reviewed, ActionReview{Key: a.Key, Progress: "done"})
		}
	}
	r.update(UpdateCaseSupervision, CaseSupervisionInput{
		RequestID: id, Kind: "case", HeldOn: day, SupervisorID: s.SupervisorID, Decisions: "plan reviewed; visits continue",
		Reviewed: reviewed, Actions: []SmartAction{{What: "visit and see the child alone", Who: s.WorkerID, ByWhen: day.AddDays(14)}},
		Actor: s.SupervisorID,
	})
	c.next(londonAt(day, 13), func() {
		for _, it := range c.run.caseSchedule().Items {
			if it.Kind == "case_record" {
				c.run.update(UpdateCaseFiled, FiledInput{RequestID: "f" + id + ":" + it.Key, Key: it.Key, FiledOn: day, Actor: s.WorkerID})
			}
		}
		c.next(londonAt(day, 14), func() { c.business(day) })
	})
}

// business is a year's other events, by the month of the case's life.
func (c *caseDecade) business(day policy.Date) {
	r := c.run
	s := r.caseSchedule()
	if day.After(c.end) {
		r.update(UpdateCaseDecision, DecisionInput{RequestID: "d-close", Kind: "closure", DecidedOn: day, Why: "plan complete: needs met", Actor: s.SupervisorID})
		r.update(UpdateCaseClose, CloseInput{RequestID: "close", On: day, Reason: "needs met", Actor: s.SupervisorID})
		c.closed = true
		return
	}
	year := c.years
	if y := day.Year() - s.AllocatedOn.Year(); y > year && day.Month() >= s.AllocatedOn.Month() {
		c.years = y
		r.update(UpdateCaseDecision, DecisionInput{RequestID: fmt.Sprintf("d-y%d", y), Kind: "new_information", DecidedOn: day, Why: "annual review of the plan", Actor: s.SupervisorID})
		r.update(UpdateCaseCategory, CategoryInput{RequestID: fmt.Sprintf("cat-y%d", y), Category: categoryCycle[y%len(categoryCycle)], From: day, Reason: "plan reviewed", Actor: s.SupervisorID})
		if y%2 == 0 {
			c.next(londonAt(day, 15), func() { c.transfer(day, y, c.run.caseSchedule()) })
			return
		}
	}
	c.next(londonAt(day, 16), c.scheduleNext)
}

// transfer agrees a transfer a week ahead, and the outgoing manager holds
// the transfer supervision the next day: the case moves.
func (c *caseDecade) transfer(day policy.Date, y int, s CaseSchedule) {
	to := fmt.Sprintf("sw-%d", y)
	c.run.update(UpdateCaseDecision, DecisionInput{RequestID: fmt.Sprintf("d-t%d", y), Kind: "transfer", DecidedOn: day, Why: "team change", Actor: s.SupervisorID})
	held := day.AddDays(1)
	c.next(londonAt(day, 16), func() {
		c.run.update(UpdateCaseTransfer, TransferInput{RequestID: fmt.Sprintf("t%d", y), ToWorkerID: to, ToTeam: fmt.Sprintf("team-%d", y), ToSupervisorID: fmt.Sprintf("tm-%d", y), ToManagerID: "hos-1", On: day.AddDays(7), Actor: s.SupervisorID})
		c.next(londonAt(held, 12), func() {
			c.run.update(UpdateCaseSupervision, CaseSupervisionInput{RequestID: fmt.Sprintf("ts%d", y), Kind: "transfer", HeldOn: held, SupervisorID: s.SupervisorID, Actor: s.SupervisorID})
			c.next(londonAt(held, 13), c.scheduleNext)
		})
	})
}

// scheduleNext goes to the next case supervision: on its day, or (one a
// year) ten days late, after it went overdue and escalated.
func (c *caseDecade) scheduleNext() {
	sup := itemOf(c.run.caseSchedule(), "case_supervision")
	if sup == nil {
		c.t.Fatal("no case supervision due")
	}
	day := sup.Due
	if c.months%12 == 6 {
		day = day.AddDays(10)
	}
	c.next(londonAt(day, 12), func() { c.supervise(day) })
}

// runRecord is what one run wrote, by the meter.
type runRecord struct {
	From, To       policy.Date
	Events, Bytes  int
	Suggested      bool
	CarriedBytes   int // the state handed to the next run
	Supervisions   int
	Actions        int
	Decisions      int
	RecordedEvents int
}

// liveTenYears runs the case for ten years, run after run.
func liveTenYears(t *testing.T) ([]runRecord, *CaseInput) {
	on := date(t, "2025-03-03")
	in := caseInput(t, "cumberland", "child_protection", on)
	c := &caseDecade{t: t, end: on.AddMonths(120)}
	start := londonAt(on, 9)
	var runs []runRecord
	for first := true; ; first = false {
		c.run = newCaseRun(t, start)
		if first {
			c.next(londonAt(on, 12), func() {
				c.run.update(UpdateCaseSupervision, CaseSupervisionInput{RequestID: "alloc", Kind: "allocation", HeldOn: on, SupervisorID: "tm-1", Plan: "allocation plan",
					Actions: []SmartAction{{What: "visit", Who: "sw-1", ByWhen: on.AddDays(7)}}, Actor: "tm-1"})
				c.next(londonAt(on, 13), c.scheduleNext)
			})
		} else {
			// The new run picks up the duties as the last one left them.
			want := in.State.Supervision.Due
			c.run.env.RegisterDelayedCallback(func() {
				if sup := itemOf(c.run.caseSchedule(), "case_supervision"); sup == nil || sup.Due != want {
					t.Errorf("run %d starts with supervision %+v, the run before left it due %s", len(runs)+1, sup, want)
				}
			}, time.Second)
			c.arm()
		}
		var next CaseInput
		continued := c.run.execute(CaseWorkflow, in, &next)
		rec := runRecord{From: policy.DateOf(start), To: policy.DateOf(c.run.env.Now()), Events: c.run.meter.events, Bytes: c.run.meter.bytes, Suggested: c.run.meter.suggested, RecordedEvents: len(c.run.events)}
		if !continued {
			runs = append(runs, rec)
			if !c.closed {
				t.Fatal("the case ended without being closed")
			}
			t.Logf("%d case supervisions held, %d years of business", c.months, c.years)
			return runs, &in
		}
		rec.CarriedBytes = payloadSize(next)
		rec.Supervisions, rec.Actions, rec.Decisions = next.State.Supervisions, len(next.State.Actions), len(next.State.Decisions)
		runs = append(runs, rec)
		if len(runs) > 100 {
			t.Fatal("more than 100 runs")
		}
		in, start = next, c.run.env.Now()
	}
}

// A case that lives ten years: every run's history stays within what the
// server suggests continuing as new at (the workflow acts on the suggestion
// at its next wake), and each run carries the case's duties, actions and
// decisions into the next.
func TestCaseTenYearHistoryStaysBounded(t *testing.T) {
	runs, last := liveTenYears(t)
	total := 0
	for i, r := range runs {
		total += r.Events
		t.Logf("run %d: %s to %s, %d events, %d KiB, carried %d B (supervisions %d, actions %d, decisions %d)",
			i+1, r.From, r.To, r.Events, r.Bytes>>10, r.CarriedBytes, r.Supervisions, r.Actions, r.Decisions)
		// After the suggestion, one more wake's worth of events at most.
		if r.Events > suggestEvents+256 || r.Bytes > suggestBytes+256<<10 {
			t.Errorf("run %d wrote %d events, %d bytes: past the suggestion (%d events, %d bytes) by more than a wake", i+1, r.Events, r.Bytes, suggestEvents, suggestBytes)
		}
		if i < len(runs)-1 && !r.Suggested {
			t.Errorf("run %d continued as new without the suggestion", i+1)
		}
	}
	if len(runs) < 2 {
		t.Fatalf("ten years in %d run: no continue-as-new to follow", len(runs))
	}
	// The last run starts from what the one before carried: nothing lost.
	st := last.State
	prev := runs[len(runs)-2]
	if st == nil || st.Supervisions != prev.Supervisions || len(st.Actions) != prev.Actions || len(st.Decisions) != prev.Decisions {
		t.Fatalf("the last run started from %+v, the run before carried %+v", st, prev)
	}
	if st.Supervisions < 100 || len(st.Actions) < 100 || len(st.Decisions) < 10 || st.Supervision == nil {
		t.Errorf("after %d runs: %d supervisions, %d actions, %d decisions, next due %+v", len(runs), st.Supervisions, len(st.Actions), len(st.Decisions), st.Supervision)
	}
	t.Logf("%d runs over ten years, %d events in all", len(runs), total)
}

// The meter is an upper bound: the committed history of a case (recorded on
// the embedded server by worker.TestRecordCaseHistories) run again in the
// test environment, same updates from the same instant, meters at least as
// many events and bytes as the server wrote.
func TestHistoryMeterBoundsARecordedHistory(t *testing.T) {
	f, err := os.Open("../testdata/case-cumberland-closed.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hist, err := client.HistoryFromJSON(f, client.HistoryJSONOptions{})
	if err != nil {
		t.Fatal(err)
	}
	events := hist.GetEvents()
	size := 0
	for _, e := range events {
		size += proto.Size(e)
	}
	var in CaseInput
	if err := converter.GetDefaultDataConverter().FromPayloads(events[0].GetWorkflowExecutionStartedEventAttributes().GetInput(), &in); err != nil {
		t.Fatal(err)
	}
	d := func(s string) policy.Date { return date(t, s) }
	r := newCaseRun(t, events[0].GetEventTime().AsTime())
	// As in TestRecordCaseHistories, one after another.
	for i, u := range []struct {
		name string
		arg  any
	}{
		{UpdateCaseSupervision, CaseSupervisionInput{RequestID: "s1", Kind: "allocation", HeldOn: d("2026-01-05"), SupervisorID: "tm-1", Plan: "weekly visits",
			Actions: []SmartAction{{What: "visit", Who: "sw-h", ByWhen: d("2026-01-12")}}, Actor: "tm-1"}},
		{UpdateCaseFiled, FiledInput{RequestID: "f1", Key: "record:4", FiledOn: d("2026-01-07"), Actor: "sw-h"}},
		{UpdateCaseSupervision, CaseSupervisionInput{RequestID: "s2", Kind: "case", HeldOn: d("2026-02-02"), SupervisorID: "tm-1", Significant: true, Actor: "tm-1"}},
		{UpdateCaseCategory, CategoryInput{RequestID: "cat", Category: "cared_for_after_permanence", From: d("2026-02-10"), Reason: "permanence achieved", Actor: "tm-1"}},
		{UpdateCaseDecision, DecisionInput{RequestID: "d1", Kind: "transfer", DecidedOn: d("2026-03-02"), Why: "team change", Actor: "hos-1"}},
		{UpdateCaseTransfer, TransferInput{RequestID: "t1", ToWorkerID: "sw-i", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-1", On: d("2026-03-09"), Actor: "tm-1"}},
		{UpdateCaseSupervision, CaseSupervisionInput{RequestID: "ts", Kind: "transfer", HeldOn: d("2026-03-06"), SupervisorID: "tm-1", Actor: "tm-1"}},
		{UpdateCaseDecision, DecisionInput{RequestID: "d2", Kind: "closure", DecidedOn: d("2026-06-01"), Why: "plan complete", Actor: "tm-2"}},
		{UpdateCaseClose, CloseInput{RequestID: "close", On: d("2026-06-01"), Reason: "needs met", Actor: "tm-2"}},
	} {
		r.env.RegisterDelayedCallback(func() { r.update(u.name, u.arg) }, time.Duration(i)*time.Second)
	}
	if r.execute(CaseWorkflow, in, new(CaseInput)) {
		t.Fatal("the recorded case continued as new")
	}
	t.Logf("recorded history: %d events, %d bytes; metered: %d events, %d bytes", len(events), size, r.meter.events, r.meter.bytes)
	if r.meter.events < len(events) || r.meter.bytes < size {
		t.Errorf("metered %d events, %d bytes: below the %d events, %d bytes the server wrote", r.meter.events, r.meter.bytes, len(events), size)
	}
}

// newSupervisionRun is a metered run of personal supervision; a stub stands
// in for each record's sign-off and ends at once.
func newSupervisionRun(t *testing.T, start time.Time) *meteredRun {
	r := newMeteredRun(t, start)
	r.env.RegisterWorkflowWithOptions(Supervision, workflow.RegisterOptions{Name: SupervisionWorkflow})
	r.env.RegisterWorkflowWithOptions(func(workflow.Context, SignOffInput) error { return nil }, workflow.RegisterOptions{Name: SignOffWorkflow})
	return r
}

func (r *meteredRun) schedule() Schedule {
	v, err := r.env.QueryWorkflow(QuerySchedule)
	if err != nil {
		r.t.Fatal(err)
	}
	var s Schedule
	if err := v.Get(&s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// supervisionDecade drives a Cumberland social worker's personal supervision
// through ten years of employment: every duty met when due (one session a
// year ten days late, so it goes overdue and escalates), annual leave twice
// a year, a new supervisor every third year, then the leaver's signal.
type supervisionDecade struct {
	runScript
	t      *testing.T
	end    policy.Date
	seq    int
	sups   int // supervisor changes
	left   bool
	kinds  map[string]int
	absent policy.Date // the last annual leave began
}

// attend meets what is due by day, then goes to the next due day.
func (c *supervisionDecade) attend(day policy.Date) {
	r := c.run
	s := r.schedule()
	if day.After(c.end) {
		r.signal(SignalLeave, LeaveSignal{RequestID: "leave", On: day, Reason: "retired", Actor: "hr-1"})
		c.left = true
		return
	}
	id := func(k string) string { c.seq++; return fmt.Sprintf("%s-%d", k, c.seq) }
	for _, it := range s.Items {
		if it.Status != "due" && it.Status != "overdue" || it.Due.After(day) {
			continue
		}
		c.kinds[it.Kind]++
		switch it.Kind {
		case ItemSession:
			r.update(UpdateRecordSupervision, SupervisionSessionInput{RequestID: id("s"), HeldOn: day, DurationMinutes: 90, SupervisorID: s.SupervisorID, Notes: "workload, wellbeing, development", Actor: s.SupervisorID})
		case ItemObservation:
			r.update(UpdateRecordObservation, ObservationInput{RequestID: id("o"), HeldOn: day, ObserverID: s.SupervisorID, Actor: s.SupervisorID})
		case ItemAppraisal:
			r.update(UpdateRecordAppraisal, AppraisalInput{RequestID: id("a"), Kind: "annual", HeldOn: day, Actor: s.SupervisorID})
		case ItemMidTerm:
			r.update(UpdateRecordAppraisal, AppraisalInput{RequestID: id("m"), Kind: "mid_term", HeldOn: day, Actor: s.SupervisorID})
		}
	}
	c.next(londonAt(day, 14), func() { c.business(day) })
}

func (c *supervisionDecade) business(day policy.Date) {
	r := c.run
	if !day.Before(c.absent.AddMonths(6)) {
		c.absent = day
		r.update(UpdateRecordAbsence, AbsenceInput{RequestID: fmt.Sprintf("al-%s", day), Who: "supervisee", Kind: "annual_leave", From: day.AddDays(1), To: day.AddDays(10), Actor: "sw-1"})
	}
	if years := day.Year() - c.end.Year() + 10; years/3 > c.sups {
		c.sups = years / 3
		r.update(UpdateChangeSupervisor, SupervisorInput{RequestID: fmt.Sprintf("sup-%d", c.sups), SupervisorID: fmt.Sprintf("tm-%d", c.sups+1), ManagerID: "hos-1", From: day, Actor: "hr-1"})
	}
	c.next(londonAt(day, 15), func() {
		var next policy.Date
		for _, it := range c.run.schedule().Items {
			if it.Status == "due" && it.Due.After(day) && (next.IsZero() || it.Due.Before(next)) {
				switch it.Kind {
				case ItemSession, ItemObservation, ItemAppraisal, ItemMidTerm:
					next = it.Due
				}
			}
		}
		if next.IsZero() {
			c.t.Fatalf("nothing due after %s", day)
		}
		if c.seq%12 == 6 {
			next = next.AddDays(10)
		}
		c.next(londonAt(next, 12), func() { c.attend(next) })
	})
}

// A worker employed ten years: every run of personal supervision stays
// within the server's suggestion, and each carries the state on.
func TestSupervisionTenYearHistoryStaysBounded(t *testing.T) {
	start := date(t, "2025-03-03")
	in := supervisionInput(t, "cumberland", "social_worker", start)
	c := &supervisionDecade{t: t, end: start.AddMonths(120), kinds: map[string]int{}}
	at := londonAt(start, 9)
	var runs []runRecord
	for first := true; ; first = false {
		c.run = newSupervisionRun(t, at)
		if first {
			c.next(londonAt(start, 12), func() { c.business(start) })
		} else {
			c.arm()
		}
		var next SupervisionInput
		continued := c.run.execute(SupervisionWorkflow, in, &next)
		rec := runRecord{From: policy.DateOf(at), To: policy.DateOf(c.run.env.Now()), Events: c.run.meter.events, Bytes: c.run.meter.bytes, Suggested: c.run.meter.suggested}
		if continued {
			rec.CarriedBytes, rec.Supervisions = payloadSize(next), next.State.Sessions
		}
		runs = append(runs, rec)
		t.Logf("run %d: %s to %s, %d events, %d KiB, carried %d B (sessions %d)", len(runs), rec.From, rec.To, rec.Events, rec.Bytes>>10, rec.CarriedBytes, rec.Supervisions)
		if rec.Events > suggestEvents+256 || rec.Bytes > suggestBytes+256<<10 {
			t.Errorf("run %d wrote %d events, %d bytes: past the suggestion by more than a wake", len(runs), rec.Events, rec.Bytes)
		}
		if !continued {
			break
		}
		if !rec.Suggested || len(runs) > 100 {
			t.Fatalf("run %d continued as new unasked, or too many runs", len(runs))
		}
		if next.State.Sessions < rec.Supervisions || next.State.SupervisorID == "" {
			t.Fatalf("carried %+v", next.State)
		}
		in, at = next, c.run.env.Now()
	}
	if !c.left || c.kinds[ItemSession] < 100 {
		t.Errorf("left %v after %v", c.left, c.kinds)
	}
	t.Logf("duties met over ten years: %v", c.kinds)
}
