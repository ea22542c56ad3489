package api

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	updatepb "go.temporal.io/api/update/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
)

var t0 = time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC)

// hist builds a run's history; ids are assigned in order from 1.
type hist struct {
	t      *testing.T
	events []*historypb.HistoryEvent
}

func (h *hist) add(at time.Time, typ enumspb.EventType, set func(e *historypb.HistoryEvent)) int64 {
	e := &historypb.HistoryEvent{EventId: int64(len(h.events) + 1), EventTime: timestamppb.New(at), EventType: typ}
	if set != nil {
		set(e)
	}
	h.events = append(h.events, e)
	return e.EventId
}

func (h *hist) started(at time.Time, first, continued string) {
	h.add(at, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionStartedEventAttributes{WorkflowExecutionStartedEventAttributes: &historypb.WorkflowExecutionStartedEventAttributes{
			WorkflowType: &commonpb.WorkflowType{Name: "Supervision"}, FirstExecutionRunId: first, ContinuedExecutionRunId: continued, Identity: "api@host",
		}}
	})
}

func (h *hist) task(at time.Time) int64 {
	return h.add(at, enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, nil)
}

func (h *hist) write(at time.Time, task int64, eventID string) int64 {
	in, err := converter.GetDefaultDataConverter().ToPayloads(activities.Event{EventID: eventID})
	if err != nil {
		h.t.Fatal(err)
	}
	return h.add(at, enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_ActivityTaskScheduledEventAttributes{ActivityTaskScheduledEventAttributes: &historypb.ActivityTaskScheduledEventAttributes{
			ActivityType: &commonpb.ActivityType{Name: activities.RecordEventName}, Input: in, WorkflowTaskCompletedEventId: task,
		}}
	})
}

func (h *hist) accepted(at time.Time, updateID, name string) int64 {
	return h.add(at, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateAcceptedEventAttributes{WorkflowExecutionUpdateAcceptedEventAttributes: &historypb.WorkflowExecutionUpdateAcceptedEventAttributes{
			AcceptedRequest: &updatepb.Request{Meta: &updatepb.Meta{UpdateId: updateID}, Input: &updatepb.Input{Name: name}},
		}}
	})
}

func (h *hist) completed(at time.Time, updateID string, failure string) int64 {
	out := &updatepb.Outcome{Value: &updatepb.Outcome_Success{Success: &commonpb.Payloads{}}}
	if failure != "" {
		out = &updatepb.Outcome{Value: &updatepb.Outcome_Failure{Failure: &failurepb.Failure{Message: failure}}}
	}
	return h.add(at, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionUpdateCompletedEventAttributes{WorkflowExecutionUpdateCompletedEventAttributes: &historypb.WorkflowExecutionUpdateCompletedEventAttributes{
			Meta: &updatepb.Meta{UpdateId: updateID}, Outcome: out,
		}}
	})
}

// A Supervision lifecycle that continued as new once, and an Agreement
// whose history has gone.
func trailFixture(t *testing.T) (rows []models.AuditEvent, fetch historyFetcher, fetched map[string]int) {
	h := func(d time.Duration) time.Time { return t0.Add(d) }
	r1 := &hist{t: t}
	r1.started(h(0), "r1", "")
	wt := r1.task(h(time.Second))
	r1.write(h(time.Second), wt, "started")
	// A session: matched by the request id in the update id.
	wt = r1.task(h(time.Hour))
	r1.accepted(h(time.Hour), "s-1:0123456789abcdef", "RecordSession")
	r1.write(h(time.Hour), wt, "session:s-1")
	r1.completed(h(time.Hour+time.Second), "s-1:0123456789abcdef", "")
	// A pause: its event id carries no request id, so it is matched by the
	// workflow task that ran the update.
	wt = r1.task(h(2 * time.Hour))
	r1.accepted(h(2*time.Hour), "p-1:fedcba9876543210", "Pause")
	r1.write(h(2*time.Hour), wt, "pause:1")
	r1.completed(h(2*time.Hour+time.Second), "p-1:fedcba9876543210", "")
	r1.add(h(24*time.Hour), enumspb.EVENT_TYPE_TIMER_FIRED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_TimerFiredEventAttributes{TimerFiredEventAttributes: &historypb.TimerFiredEventAttributes{TimerId: "7"}}
	})
	// An update the handler refused after accepting it: history only.
	r1.task(h(30 * time.Hour))
	r1.accepted(h(30*time.Hour), "x-1:00000000000000ff", "Resume")
	r1.completed(h(30*time.Hour+time.Second), "x-1:00000000000000ff", "not paused")
	r1.add(h(48*time.Hour), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionContinuedAsNewEventAttributes{WorkflowExecutionContinuedAsNewEventAttributes: &historypb.WorkflowExecutionContinuedAsNewEventAttributes{NewExecutionRunId: "r2"}}
	})

	r2 := &hist{t: t}
	r2.started(h(48*time.Hour), "r1", "r1")
	r2.task(h(48*time.Hour + time.Second))
	r2.add(h(72*time.Hour), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, func(e *historypb.HistoryEvent) {
		e.Attributes = &historypb.HistoryEvent_WorkflowExecutionSignaledEventAttributes{WorkflowExecutionSignaledEventAttributes: &historypb.WorkflowExecutionSignaledEventAttributes{SignalName: "leave"}}
	})
	wt = r2.task(h(72*time.Hour + time.Second))
	r2.write(h(72*time.Hour+time.Second), wt, "left")
	r2.add(h(72*time.Hour+2*time.Second), enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, nil)

	histories := map[string][]*historypb.HistoryEvent{"Supervision:sw-1/r1": r1.events, "Supervision:sw-1/r2": r2.events}
	fetched = map[string]int{}
	fetch = func(_ context.Context, wid, rid string) ([]*historypb.HistoryEvent, error) {
		fetched[wid+"/"+rid]++
		if evs, ok := histories[wid+"/"+rid]; ok {
			return evs, nil
		}
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}

	row := func(id int64, wid, run, event, action string, at time.Time) models.AuditEvent {
		return models.AuditEvent{ID: id, WorkflowID: wid, RunID: run, EventID: event, StaffID: "sw-1", Actor: "tm-1", Action: action,
			Authority: "cumberland", PackVersion: "2025.1", RuleID: "rule." + action, OccurredAt: at, Hash: "h"}
	}
	rows = []models.AuditEvent{
		row(1, "Supervision:sw-1", "r1", "started", "supervision.started", h(time.Second)),
		row(2, "Agreement:sw-1", "a1", "started", "agreement.started", h(30*time.Minute)),
		row(3, "Supervision:sw-1", "r1", "session:s-1", "supervision.session_recorded", h(time.Hour)),
		row(4, "Supervision:sw-1", "r1", "pause:1", "supervision.paused", h(2*time.Hour)),
		row(5, "Supervision:sw-1", "r1", "overdue:session:2", "supervision.overdue", h(25*time.Hour)),
		row(6, "Supervision:sw-1", "r2", "left", "supervision.closed", h(72*time.Hour+time.Second)),
		row(7, "", "", "read:abc", "trail.read", h(96*time.Hour)),
	}
	rows[5].PackVersion = "2025.2" // the pack changed in the second run
	return rows, fetch, fetched
}

func TestTrailJoinsAuditAndHistoryAcrossRuns(t *testing.T) {
	rows, fetch, fetched := trailFixture(t)
	hs, err := fetchHistories(context.Background(), fetch, rows)
	if err != nil {
		t.Fatal(err)
	}
	entries := joinTrail(rows, hs)

	var got []string
	for _, e := range entries {
		got = append(got, e.Source+" "+e.Action)
	}
	want := []string{
		"history workflow.started",
		"audit supervision.started",
		"audit agreement.started",
		"audit supervision.session_recorded",
		"audit supervision.paused",
		"history timer.fired",
		"audit supervision.overdue",
		"history update.failed",
		"history workflow.continued_as_new",
		"history workflow.started",
		"audit supervision.closed",
		"history workflow.completed",
		"audit trail.read",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("trail order:\n got %q\nwant %q", got, want)
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].At.Before(entries[i-1].At) {
			t.Fatalf("entry %d (%s) is before entry %d", i, entries[i].Action, i-1)
		}
	}
	by := func(action string) TrailEntry {
		for _, e := range entries {
			if e.Action == action {
				return e
			}
		}
		t.Fatalf("no %s entry", action)
		return TrailEntry{}
	}

	s := by("supervision.session_recorded")
	if s.HistoryEventID != 7 || s.HistoryEventType != "WorkflowExecutionUpdateCompleted" || s.Request != "RecordSession" ||
		s.UpdateID != "s-1:0123456789abcdef" || s.WrittenByEventID != 6 || s.RunID != "r1" || s.RuleID != "rule.supervision.session_recorded" || s.Actor != "tm-1" {
		t.Errorf("session entry %+v", s)
	}
	if p := by("supervision.paused"); p.HistoryEventID != 11 || p.Request != "Pause" || p.WrittenByEventID != 10 {
		t.Errorf("pause entry (matched by workflow task) %+v", p)
	}
	if l := by("supervision.closed"); l.HistoryEventID != 3 || l.HistoryEventType != "WorkflowExecutionSignaled" || l.Request != "leave" || l.RunID != "r2" || l.WrittenByEventID != 5 {
		t.Errorf("leave entry %+v", l)
	}
	if f := by("update.failed"); f.Request != "Resume" || f.Reason != "not paused" || f.HistoryEventID != 15 || f.PackVersion != "2025.1" {
		t.Errorf("refused update %+v", f)
	}
	if o := by("supervision.overdue"); o.HistoryEventID != 0 || o.WrittenByEventID != 0 {
		t.Errorf("overdue has no history of its own here, got %+v", o)
	}
	if a := by("agreement.started"); a.HistoryEventID != 0 || a.WorkflowID != "Agreement:sw-1" {
		t.Errorf("agreement entry (history gone) %+v", a)
	}
	if c := by("workflow.completed"); c.RunID != "r2" || c.PackVersion != "2025.2" || c.StaffID != "sw-1" {
		t.Errorf("history-only entries carry the pack in force: %+v", c)
	}

	wfs := trailWorkflows(hs)
	if len(wfs) != 2 || wfs[0].WorkflowID != "Supervision:sw-1" || len(wfs[0].Runs) != 2 ||
		wfs[0].Runs[0] != (TrailRun{"r1", HistoryJoined}) || wfs[0].Runs[1] != (TrailRun{"r2", HistoryJoined}) ||
		len(wfs[1].Runs) != 1 || wfs[1].Runs[0] != (TrailRun{"a1", HistoryGone}) {
		t.Errorf("workflows %+v", wfs)
	}
	for k, n := range fetched {
		if n != 1 {
			t.Errorf("%s fetched %d times", k, n)
		}
	}
}

// Rows that name only the last run still bring in the first: the chain is
// walked back through the started event and forward through continue-as-new.
func TestTrailFollowsContinueAsNewChain(t *testing.T) {
	rows, fetch, _ := trailFixture(t)
	only := []models.AuditEvent{rows[5]}
	hs, err := fetchHistories(context.Background(), fetch, only)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || len(hs[0].Runs) != 2 || hs[0].Runs[0].RunID != "r1" || hs[0].Runs[1].RunID != "r2" {
		t.Fatalf("runs %+v", hs)
	}
	entries := joinTrail(only, hs)
	if entries[0].Action != "workflow.started" || entries[0].RunID != "r1" {
		t.Fatalf("the trail does not start with the first run: %+v", entries[0])
	}
	// Without its audit rows, the first run's session shows as its update.
	var sawSession bool
	for _, e := range entries {
		if e.Request == "RecordSession" && e.Source == SourceHistory && e.RunID == "r1" {
			sawSession = true
		}
	}
	if !sawSession {
		t.Fatal("the first run's session update is missing from the history-only entries")
	}
}

// When every run's history has gone, the database rows alone are the trail.
func TestTrailWithoutHistory(t *testing.T) {
	rows, _, _ := trailFixture(t)
	gone := func(context.Context, string, string) ([]*historypb.HistoryEvent, error) {
		return nil, serviceerror.NewNotFound("gone")
	}
	hs, err := fetchHistories(context.Background(), gone, rows)
	if err != nil {
		t.Fatal(err)
	}
	entries := joinTrail(rows, hs)
	if len(entries) != len(rows) {
		t.Fatalf("%d entries from %d rows and no history", len(entries), len(rows))
	}
	for i, e := range entries {
		if e.AuditID != rows[i].ID || e.Source != SourceAudit {
			t.Fatalf("entry %d is %+v, want audit row %d", i, e, rows[i].ID)
		}
	}
	// Another failure is not "gone": the trail says so rather than hiding it.
	down := func(context.Context, string, string) ([]*historypb.HistoryEvent, error) {
		return nil, serviceerror.NewUnavailable("down")
	}
	if _, err := fetchHistories(context.Background(), down, rows); err == nil {
		t.Fatal("an unavailable Temporal was taken for expired history")
	}
}

func TestTrailCSV(t *testing.T) {
	entries := []TrailEntry{
		{At: t0, Source: SourceAudit, Actor: "tm-1", Action: "supervision.session_recorded", Reason: `held, "late"` + "\nsecond line", AuditID: 3, HistoryEventID: 9},
		{At: t0.Add(time.Hour), Source: SourceHistory, Action: "timer.fired"},
	}
	var buf bytes.Buffer
	if err := writeTrailCSV(&buf, entries); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || !slices.Equal(recs[0], trailCSVHeader) {
		t.Fatalf("csv %q", recs)
	}
	col := func(name string) int { return slices.Index(trailCSVHeader, name) }
	if r := recs[1]; r[col("reason")] != entries[0].Reason || r[col("history_event_id")] != "9" || r[col("at")] != "2025-01-06T09:00:00Z" {
		t.Fatalf("row %q", r)
	}
	if recs[2][col("audit_id")] != "" {
		t.Fatalf("a history entry has an audit id: %q", recs[2])
	}
}

func TestRequestIDOf(t *testing.T) {
	for in, want := range map[string]string{
		"s-1:0123456789abcdef":        "s-1",
		"sw-1.a:b:0123456789abcdef":   "sw-1.a:b", // record request ids may hold colons
		"s-1":                         "s-1",
		"s-1:0123456789abcdeg":        "s-1:0123456789abcdeg",
		"s-1:0123456789abcdef0":       "s-1:0123456789abcdef0",
		"6b1c5f4e-temporal-generated": "6b1c5f4e-temporal-generated",
	} {
		if got := requestIDOf(in); got != want {
			t.Errorf("requestIDOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// Issue 11 finding 6: a reason (or a worker's id, an item) beginning with
// '=', '+', '-', '@', a tab or a carriage return was written raw, and a
// spreadsheet opening the CSV ran it as a formula. Before the fix:
//
//	--- FAIL: TestCSVCellsAreNotFormulas
//	    trail_test.go:359: trail reason cell "=HYPERLINK(\"http://evil.example\",\"click\")" would run as a formula
func TestCSVCellsAreNotFormulas(t *testing.T) {
	formulas := []string{`=HYPERLINK("http://evil.example","click")`, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"}
	formula := func(cell string) bool { return cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) }

	var entries []TrailEntry
	for _, f := range formulas {
		entries = append(entries, TrailEntry{At: t0, Source: SourceAudit, Actor: "tm-1", Action: "hold.placed", Reason: f})
	}
	var buf bytes.Buffer
	if err := writeTrailCSV(&buf, entries); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(trailCSVHeader, "reason")
	for i, r := range recs[1:] {
		if formula(r[col]) {
			t.Errorf("trail reason cell %q would run as a formula", r[col])
		}
		if r[col] != "'"+strings.ReplaceAll(formulas[i], "\r", "") { // a lone CR does not survive CSV reading
			t.Errorf("trail reason cell %q, want %q with a leading apostrophe", r[col], formulas[i])
		}
	}

	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	report := &ComplianceResponse{Authority: "bolton", Team: "north", Month: "2026-11", AsAt: "2026-11-30", Source: ReportStored,
		Duties: []models.DutyCompliance{{Duty: "personal_supervision", ByWorker: []models.GroupCounts{{ID: "-sw"}},
			Total: models.ComplianceCounts{MissedItems: []string{"=cmd|' /C calc'!A0"}}}}}
	writeComplianceCSV(c, report)
	recs, err = csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		for i, cell := range r {
			if formula(cell) {
				t.Errorf("compliance %s cell %q would run as a formula", complianceCSVHeader[i], cell)
			}
		}
	}
}

// A rehired person's trail (issue 13): each entry is in its lifecycle's
// period; one of no person's lifecycle (a sign-off, a read) in the latest
// period begun before it, so a late write of the first period's retention
// stays in the first.
func TestPeriodiseStaffTrail(t *testing.T) {
	entries := []TrailEntry{
		{WorkflowID: "Onboard:sw-1"}, {WorkflowID: "SignOff:sw-1.r1"}, {}, {WorkflowID: "Leave:sw-1"},
		{WorkflowID: "Onboard:sw-1.p2"}, {WorkflowID: "Retention:sw-1"}, {WorkflowID: "SignOff:sw-1.r2"}, {},
		{WorkflowID: "Supervision:sw-1.p2"},
	}
	periodise(entries)
	var got []int
	for _, e := range entries {
		got = append(got, e.Period)
	}
	if want := []int{1, 1, 1, 1, 2, 1, 2, 2, 2}; !slices.Equal(got, want) {
		t.Fatalf("periods %v, want %v", got, want)
	}
}
