package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/converter"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// The decision trail: everything decided or done about a person or a case,
// across all their lifecycles and every run of each, for an inspection.
//
// The audit events in the database are the trail's backbone: they outlive
// the Temporal namespace's history retention. Where a workflow's history is
// still there, it is joined in: each decision gains the history event that
// carried the request (the update or signal) and the event that scheduled
// its write, and what only the history knows (runs starting, continuing as
// new and ending; timers firing; a refused update) is added, marked as
// history. When the history has gone, the database rows alone are the trail.

// trailRoutes adds the trail endpoints. Reading a trail is itself audited.
func (s *Server) trailRoutes(g *gin.RouterGroup) {
	g.GET("/trail/staff/:id", s.auditedRead("trail.read", staffReadSubject), s.trailHandler(trailStaff))
	g.GET("/trail/cases/:id", s.auditedRead("trail.read", caseReadSubject), s.trailHandler(trailCase))
}

// Trail subjects.
const (
	trailStaff = "staff"
	trailCase  = "case"
)

// Where a trail entry comes from.
const (
	SourceAudit   = "audit"   // an audit event in the database (joined with history where it still exists)
	SourceHistory = "history" // only in the workflow's history
)

// Run history availability.
const (
	HistoryJoined = "joined" // read from Temporal and joined in
	HistoryGone   = "gone"   // no longer in Temporal (retention): database rows only
)

// TrailEntry is one line of the trail.
type TrailEntry struct {
	At          time.Time `json:"at"`
	Source      string    `json:"source"` // "audit" or "history"
	Actor       string    `json:"actor"`
	Action      string    `json:"action"`
	Reason      string    `json:"reason,omitempty"`
	StaffID     string    `json:"staff_id,omitempty"`
	CaseID      string    `json:"case_id,omitempty"`
	Authority   string    `json:"authority,omitempty"`
	PackVersion string    `json:"pack_version,omitempty"`
	RuleID      string    `json:"rule_id,omitempty"`
	WorkflowID  string    `json:"workflow_id,omitempty"`
	RunID       string    `json:"run_id,omitempty"`
	// EventID is the audit row's event id (the decision's idempotency key),
	// AuditID its row id and Hash its link in the audit hash chain.
	EventID string `json:"event_id,omitempty"`
	AuditID int64  `json:"audit_id,omitempty"`
	Hash    string `json:"hash,omitempty"`
	// HistoryEventID and HistoryEventType are the Temporal history event:
	// for a decision, the update or signal that asked for it; for a
	// history-only entry, the event itself.
	HistoryEventID   int64  `json:"history_event_id,omitempty"`
	HistoryEventType string `json:"history_event_type,omitempty"`
	// Request is the update's or signal's name, UpdateID the update's id
	// ("<request id>:<digest>").
	Request  string `json:"request,omitempty"`
	UpdateID string `json:"update_id,omitempty"`
	// WrittenByEventID is the ActivityTaskScheduled event of the
	// RecordEvent activity that wrote the audit row.
	WrittenByEventID int64 `json:"written_by_event_id,omitempty"`
	// Period is, in a staff trail, the period of employment the entry
	// belongs to: its lifecycle's (workflows.PeriodOf), else the latest
	// period begun before it.
	Period int `json:"period,omitempty"`
}

// TrailRun is one run of a workflow and whether its history was joined.
type TrailRun struct {
	RunID   string `json:"run_id"`
	History string `json:"history"` // "joined" or "gone"
}

// TrailWorkflow is one workflow the trail draws on, its runs in order.
type TrailWorkflow struct {
	WorkflowID string     `json:"workflow_id"`
	Runs       []TrailRun `json:"runs"`
}

// TrailResponse is a trail: who it is about, the entries in time order, and
// the workflows and runs they came from.
type TrailResponse struct {
	Subject   string          `json:"subject"` // "staff" or "case"
	ID        string          `json:"id"`
	Entries   []TrailEntry    `json:"entries"`
	Workflows []TrailWorkflow `json:"workflows"`
	// Periods are, in a staff trail, the person's periods of employment
	// (a leaver rehired has more than one), first first.
	Periods []models.StaffPeriod `json:"periods,omitempty"`
}

// trailIDPattern bounds a staff or case id in a trail path (the same shape
// every business id has).
var trailIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// readSubject says whose personal records a request reads.
type readSubject func(c *gin.Context) (models.Read, error)

func staffReadSubject(c *gin.Context) (models.Read, error) {
	id := c.Param("id")
	if !trailIDPattern.MatchString(id) {
		return models.Read{}, badRequest("id", "is not a staff id")
	}
	return models.Read{StaffID: id}, nil
}

func caseReadSubject(c *gin.Context) (models.Read, error) {
	id := c.Param("id")
	if !trailIDPattern.MatchString(id) {
		return models.Read{}, badRequest("id", "is not a case id")
	}
	return models.Read{CaseID: id}, nil
}

// RecordReadSubject is the subject of GET /records/:id: the supervisee, the
// part of the record id before the first dot ("<staff id>.<request id>").
// For recordRoutes: g.GET("/records/:id", s.auditedRead("record.read", RecordReadSubject), ...).
func RecordReadSubject(c *gin.Context) (models.Read, error) {
	staff, _, ok := strings.Cut(c.Param("id"), ".")
	if !ok || !trailIDPattern.MatchString(staff) {
		return models.Read{}, badRequest("id", "is not a record id")
	}
	return models.Read{StaffID: staff}, nil
}

// auditedRead is middleware that writes a "read" audit event (into the
// audit hash chain) before a read of personal records is served. A read
// that cannot be audited is not served.
func (s *Server) auditedRead(action string, subject readSubject) gin.HandlerFunc {
	return func(c *gin.Context) {
		r, err := subject(c)
		if err == nil {
			r.Actor, r.Action, r.Path = actor(c), action, c.Request.URL.RequestURI()
			if err = models.RecordRead(c.Request.Context(), s.DB, r); err != nil {
				if s.Log != nil {
					s.Log.Error("read not audited", "route", c.FullPath(), "error", err)
				}
				err = fail(http.StatusServiceUnavailable, "the read could not be audited, so it is not served; try again")
			}
		}
		if err != nil {
			he := toHTTP(err)
			c.AbortWithStatusJSON(he.status, he.body)
			return
		}
		c.Next()
	}
}

// trailHandler serves a trail as JSON (default) or, with ?format=csv, as a
// CSV attachment.
func (s *Server) trailHandler(subject string) gin.HandlerFunc {
	return func(c *gin.Context) {
		format := c.DefaultQuery("format", "json")
		var t *TrailResponse
		var err error
		if format == "json" || format == "csv" {
			t, err = s.trail(c.Request.Context(), subject, c.Param("id"))
			if err == nil {
				s.redactTrail(c, t) // redact.go
			}
		} else {
			err = badRequest("format", "must be json or csv")
		}
		if err != nil {
			s.handle(func(*gin.Context) (int, any, error) { return 0, nil, err })(c)
			return
		}
		if format == "json" {
			c.JSON(http.StatusOK, t)
			return
		}
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="trail-%s-%s.csv"`, subject, t.ID))
		c.Status(http.StatusOK)
		if err := writeTrailCSV(c.Writer, t.Entries); err != nil && s.Log != nil {
			s.Log.Error("trail csv", "error", err) // the status is sent; the client sees a short body
		}
	}
}

// trail builds the trail about a member of staff or a case.
func (s *Server) trail(ctx context.Context, subject, id string) (*TrailResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Wait)
	defer cancel()
	var rows []models.AuditEvent
	var err error
	if subject == trailStaff {
		rows, err = models.ListAudit(ctx, s.DB, id)
	} else {
		rows, err = models.ListAuditForCase(ctx, s.DB, id)
	}
	if err != nil {
		return nil, err
	}
	decisions := 0
	for _, r := range rows {
		if r.WorkflowID != "" {
			decisions++
		}
	}
	if decisions == 0 { // reads alone (this one, at least) are no trail
		return nil, notFound(fmt.Sprintf("trail of %s %q", subject, id))
	}
	histories, err := fetchHistories(ctx, s.trailHistory, rows)
	if err != nil {
		return nil, err
	}
	if err := models.ResolvePersonalTexts(ctx, s.DB, rows); err != nil {
		return nil, err
	}
	t := &TrailResponse{Subject: subject, ID: id, Entries: joinTrail(rows, histories), Workflows: trailWorkflows(histories)}
	if subject == trailStaff {
		if t.Periods, err = models.ListStaffPeriods(ctx, s.DB, id); err != nil {
			return nil, err
		}
		periodise(t.Entries)
	}
	return t, nil
}

// periodise gives each entry of a staff trail (in time order) its period
// of employment: its lifecycle's, or for an entry of no person's lifecycle
// (a sign-off, a read, a hold) the latest period begun before it.
func periodise(entries []TrailEntry) {
	current := 1
	for i := range entries {
		if p := workflows.PeriodOf(entries[i].WorkflowID); p > 0 {
			entries[i].Period = p
			current = max(current, p)
			continue
		}
		entries[i].Period = current
	}
}

// history reads one run's history from Temporal.
func (s *Server) trailHistory(ctx context.Context, workflowID, runID string) ([]*historypb.HistoryEvent, error) {
	it := s.Temporal.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var events []*historypb.HistoryEvent
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// historyFetcher reads one run's history; a *serviceerror.NotFound means it
// has gone.
type historyFetcher func(ctx context.Context, workflowID, runID string) ([]*historypb.HistoryEvent, error)

// runHistory is one run and its events (none when gone).
type runHistory struct {
	RunID  string
	Gone   bool
	Events []*historypb.HistoryEvent
}

// workflowHistory is one workflow's runs, in the order found: each
// continue-as-new chain from its first run forward.
type workflowHistory struct {
	WorkflowID string
	Runs       []runHistory
}

// fetchHistories reads the history of every run of every workflow the rows
// name, in the order the rows first name them.
func fetchHistories(ctx context.Context, fetch historyFetcher, rows []models.AuditEvent) ([]workflowHistory, error) {
	var order []string
	runs := map[string][]string{}
	for _, r := range rows {
		if r.WorkflowID == "" { // a read: no workflow
			continue
		}
		if _, ok := runs[r.WorkflowID]; !ok {
			order = append(order, r.WorkflowID)
			runs[r.WorkflowID] = nil
		}
		if r.RunID != "" && !trailHas(runs[r.WorkflowID], r.RunID) {
			runs[r.WorkflowID] = append(runs[r.WorkflowID], r.RunID)
		}
	}
	out := make([]workflowHistory, 0, len(order))
	for _, wid := range order {
		h, err := runChain(ctx, fetch, wid, runs[wid])
		if err != nil {
			return nil, fmt.Errorf("history of %s: %w", wid, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// runChain reads every run of a workflow reachable from the runs the audit
// rows name: back to the first run of each continue-as-new chain (the
// started event names it) and forward along each continue-as-new, so runs
// that wrote no audit row are included too.
func runChain(ctx context.Context, fetch historyFetcher, workflowID string, known []string) (workflowHistory, error) {
	h := workflowHistory{WorkflowID: workflowID}
	visited := map[string]bool{}
	fetched := map[string][]*historypb.HistoryEvent{}
	gone := map[string]bool{}
	get := func(runID string) ([]*historypb.HistoryEvent, bool, error) {
		if evs, ok := fetched[runID]; ok {
			return evs, true, nil
		}
		if gone[runID] {
			return nil, false, nil
		}
		evs, err := fetch(ctx, workflowID, runID)
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			gone[runID] = true
			return nil, false, nil
		}
		if err != nil {
			return nil, false, err
		}
		fetched[runID] = evs
		return evs, true, nil
	}
	walk := func(runID string) error {
		for runID != "" && !visited[runID] {
			visited[runID] = true
			evs, ok, err := get(runID)
			if err != nil {
				return err
			}
			if !ok {
				h.Runs = append(h.Runs, runHistory{RunID: runID, Gone: true})
				return nil // a later run, if any, is reached from the rows naming it
			}
			h.Runs = append(h.Runs, runHistory{RunID: runID, Events: evs})
			runID = continuedAs(evs)
		}
		return nil
	}
	for _, runID := range known {
		if visited[runID] {
			continue
		}
		evs, ok, err := get(runID)
		if err != nil {
			return h, err
		}
		if first := firstRun(evs); ok && first != "" && !visited[first] {
			if err := walk(first); err != nil {
				return h, err
			}
		}
		if err := walk(runID); err != nil {
			return h, err
		}
	}
	return h, nil
}

// firstRun is the first run of the chain a run belongs to.
func firstRun(evs []*historypb.HistoryEvent) string {
	if len(evs) == 0 {
		return ""
	}
	return evs[0].GetWorkflowExecutionStartedEventAttributes().GetFirstExecutionRunId()
}

// continuedAs is the run a run continued as, "" if it did not.
func continuedAs(evs []*historypb.HistoryEvent) string {
	if len(evs) == 0 {
		return ""
	}
	return evs[len(evs)-1].GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()
}

// joinTrail makes the entries: one per audit row, joined with the histories
// where they match, plus history-only entries; stably sorted by time (audit
// rows come in (occurred_at, id) order and keep it among equal times).
func joinTrail(rows []models.AuditEvent, histories []workflowHistory) []TrailEntry {
	entries := make([]TrailEntry, 0, len(rows))
	byEvent := map[[2]string]int{} // (workflow id, event id) → entry
	for _, r := range rows {
		byEvent[[2]string{r.WorkflowID, r.EventID}] = len(entries)
		entries = append(entries, TrailEntry{
			At: r.OccurredAt.UTC(), Source: SourceAudit, Actor: r.Actor, Action: r.Action, Reason: r.Reason,
			StaffID: r.StaffID, CaseID: r.CaseID, Authority: r.Authority, PackVersion: r.PackVersion, RuleID: r.RuleID,
			WorkflowID: r.WorkflowID, RunID: r.RunID, EventID: r.EventID, AuditID: r.ID, Hash: r.Hash,
		})
	}
	var extra []TrailEntry
	for _, wh := range histories {
		for _, run := range wh.Runs {
			extra = append(extra, joinRun(wh.WorkflowID, run, entries, byEvent)...)
		}
	}
	// History-only entries carry the pack in force: that of the workflow's
	// latest decision at or before them (or its first).
	for i := range extra {
		inheritPack(&extra[i], entries)
	}
	all := append(entries, extra...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].At.Before(all[j].At) })
	return all
}

// trailWrite is a RecordEvent activity in a history: which event it wrote
// and which workflow task scheduled it.
type trailWrite struct {
	scheduledID, taskID int64
	eventID             string
	claimed             bool
}

// joinRun attaches one run's history to the entries and returns the
// history-only entries it adds.
func joinRun(workflowID string, run runHistory, entries []TrailEntry, byEvent map[[2]string]int) []TrailEntry {
	var extra []TrailEntry
	entryFor := func(eventID string) *TrailEntry {
		if i, ok := byEvent[[2]string{workflowID, eventID}]; ok {
			return &entries[i]
		}
		return nil
	}
	// The RecordEvent activities, by the audit event id they carry.
	var writes []*trailWrite
	for _, e := range run.Events {
		a := e.GetActivityTaskScheduledEventAttributes()
		if a == nil || a.GetActivityType().GetName() != activities.RecordEventName {
			continue
		}
		var ev activities.Event
		if err := converter.GetDefaultDataConverter().FromPayloads(a.GetInput(), &ev); err != nil {
			continue // not an Event we can read: nothing to attach
		}
		w := &trailWrite{scheduledID: e.GetEventId(), taskID: a.GetWorkflowTaskCompletedEventId(), eventID: ev.EventID}
		writes = append(writes, w)
		if en := entryFor(ev.EventID); en != nil {
			en.WrittenByEventID = w.scheduledID
		}
	}
	// byTask finds the first write a workflow task scheduled that no
	// request has claimed: what a handler recorded in the task that ran it.
	byTask := func(taskID int64) *TrailEntry {
		for _, w := range writes {
			if w.taskID == taskID && !w.claimed {
				if en := entryFor(w.eventID); en != nil && en.HistoryEventID == 0 {
					w.claimed = true
					return en
				}
			}
		}
		return nil
	}
	// byRequest finds the decision whose event id ends in the request id
	// ("session:<request id>"), in this run if it can.
	byRequest := func(requestID string) *TrailEntry {
		var found *TrailEntry
		for i := range entries {
			en := &entries[i]
			if en.WorkflowID != workflowID || en.HistoryEventID != 0 || !strings.HasSuffix(en.EventID, ":"+requestID) {
				continue
			}
			if en.RunID == run.RunID {
				return en
			}
			if found == nil {
				found = en
			}
		}
		return found
	}
	history := func(e *historypb.HistoryEvent, actor, action, reason string) TrailEntry {
		return TrailEntry{
			At: e.GetEventTime().AsTime().UTC(), Source: SourceHistory, Actor: actor, Action: action, Reason: reason,
			WorkflowID: workflowID, RunID: run.RunID, HistoryEventID: e.GetEventId(), HistoryEventType: e.GetEventType().String(),
		}
	}
	type accepted struct {
		name   string
		taskID int64 // the workflow task that accepted (and ran) the update
	}
	updates := map[string]accepted{}
	var lastTask int64
	for i, e := range run.Events {
		switch e.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			lastTask = e.GetEventId()
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
			a := e.GetWorkflowExecutionStartedEventAttributes()
			reason := a.GetWorkflowType().GetName() + " started"
			if prev := a.GetContinuedExecutionRunId(); prev != "" {
				reason += ", continuing run " + prev
			}
			extra = append(extra, history(e, trailActor(a.GetIdentity()), "workflow.started", reason))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
			extra = append(extra, history(e, "system", "workflow.continued_as_new",
				"continued as new run "+e.GetWorkflowExecutionContinuedAsNewEventAttributes().GetNewExecutionRunId()))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
			extra = append(extra, history(e, "system", "workflow.completed", ""))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			extra = append(extra, history(e, "system", "workflow.failed", e.GetWorkflowExecutionFailedEventAttributes().GetFailure().GetMessage()))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
			a := e.GetWorkflowExecutionTerminatedEventAttributes()
			extra = append(extra, history(e, trailActor(a.GetIdentity()), "workflow.terminated", a.GetReason()))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
			extra = append(extra, history(e, "system", "workflow.canceled", ""))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
			extra = append(extra, history(e, "system", "workflow.timed_out", ""))
		case enumspb.EVENT_TYPE_TIMER_FIRED:
			extra = append(extra, history(e, "system", "timer.fired", "timer "+e.GetTimerFiredEventAttributes().GetTimerId()))
		case enumspb.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED:
			a := e.GetChildWorkflowExecutionStartedEventAttributes()
			extra = append(extra, history(e, "system", "workflow.child_started",
				a.GetWorkflowType().GetName()+" "+a.GetWorkflowExecution().GetWorkflowId()))
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			a := e.GetWorkflowExecutionUpdateAcceptedEventAttributes()
			req := a.GetAcceptedRequest()
			updates[req.GetMeta().GetUpdateId()] = accepted{name: req.GetInput().GetName(), taskID: lastTask}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			a := e.GetWorkflowExecutionUpdateCompletedEventAttributes()
			updateID := a.GetMeta().GetUpdateId()
			acc := updates[updateID]
			en := byRequest(requestIDOf(updateID))
			if en == nil && acc.taskID != 0 {
				en = byTask(acc.taskID)
			}
			if en == nil {
				// Asked for but recorded nothing: a refusal after acceptance
				// is a decision too.
				action, reason := "update.completed", ""
				if f := a.GetOutcome().GetFailure(); f != nil {
					action, reason = "update.failed", f.GetMessage()
				}
				x := history(e, "", action, reason)
				x.Request, x.UpdateID = acc.name, updateID
				extra = append(extra, x)
				continue
			}
			en.HistoryEventID, en.HistoryEventType = e.GetEventId(), e.GetEventType().String()
			en.Request, en.UpdateID = acc.name, updateID
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
			a := e.GetWorkflowExecutionSignaledEventAttributes()
			// A signal is handled by the next workflow task.
			var en *TrailEntry
			if task := nextWorkflowTask(run.Events[i+1:]); task != 0 {
				en = byTask(task)
			}
			if en == nil {
				x := history(e, trailActor(a.GetIdentity()), "signal.received", "")
				x.Request = a.GetSignalName()
				extra = append(extra, x)
				continue
			}
			en.HistoryEventID, en.HistoryEventType, en.Request = e.GetEventId(), e.GetEventType().String(), a.GetSignalName()
		}
	}
	return extra
}

// requestIDOf is the request id in an update id the API built as
// "<request id>:<16 hex digits>" (api/update.go); other ids are returned whole.
func requestIDOf(updateID string) string {
	i := strings.LastIndexByte(updateID, ':')
	if i < 0 || len(updateID)-i-1 != 16 {
		return updateID
	}
	if _, err := strconv.ParseUint(updateID[i+1:], 16, 64); err != nil {
		return updateID
	}
	return updateID[:i]
}

func nextWorkflowTask(evs []*historypb.HistoryEvent) int64 {
	for _, e := range evs {
		if e.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED {
			return e.GetEventId()
		}
	}
	return 0
}

func inheritPack(x *TrailEntry, entries []TrailEntry) {
	var before, first *TrailEntry // latest at or before x; earliest of all
	for i := range entries {
		en := &entries[i]
		if en.WorkflowID != x.WorkflowID || en.PackVersion == "" {
			continue
		}
		if first == nil || en.At.Before(first.At) {
			first = en
		}
		if !en.At.After(x.At) && (before == nil || !en.At.Before(before.At)) {
			before = en
		}
	}
	pick := before
	if pick == nil {
		pick = first
	}
	if pick != nil {
		x.Authority, x.PackVersion, x.StaffID, x.CaseID = pick.Authority, pick.PackVersion, pick.StaffID, pick.CaseID
	}
}

func trailActor(identity string) string {
	if identity == "" {
		return "system"
	}
	return identity
}

func trailHas(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func trailWorkflows(hs []workflowHistory) []TrailWorkflow {
	out := make([]TrailWorkflow, 0, len(hs))
	for _, h := range hs {
		w := TrailWorkflow{WorkflowID: h.WorkflowID, Runs: []TrailRun{}}
		for _, r := range h.Runs {
			state := HistoryJoined
			if r.Gone {
				state = HistoryGone
			}
			w.Runs = append(w.Runs, TrailRun{RunID: r.RunID, History: state})
		}
		out = append(out, w)
	}
	return out
}

// trailCSVHeader names the CSV columns.
var trailCSVHeader = []string{
	"at", "source", "actor", "action", "reason", "staff_id", "case_id", "authority", "pack_version", "rule_id",
	"workflow_id", "run_id", "event_id", "audit_id", "hash", "history_event_id", "history_event_type",
	"request", "update_id", "written_by_event_id", "period",
}

// writeTrailCSV writes the entries as RFC 4180 CSV with a header row. Cell
// text is as recorded (it is evidence), except that a cell a spreadsheet
// would run as a formula is written with a leading apostrophe (csvCells).
func writeTrailCSV(w interface{ Write([]byte) (int, error) }, entries []TrailEntry) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(trailCSVHeader); err != nil {
		return err
	}
	num := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	for _, e := range entries {
		err := cw.Write(csvCells(
			e.At.UTC().Format(time.RFC3339Nano), e.Source, e.Actor, e.Action, e.Reason, e.StaffID, e.CaseID,
			e.Authority, e.PackVersion, e.RuleID, e.WorkflowID, e.RunID, e.EventID, num(e.AuditID), e.Hash,
			num(e.HistoryEventID), e.HistoryEventType, e.Request, e.UpdateID, num(e.WrittenByEventID), num(int64(e.Period)),
		))
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvCells is a CSV row safe to open in a spreadsheet: a cell beginning
// with '=', '+', '-', '@', a tab or a carriage return would be run as a
// formula (CSV injection), so it gets a leading apostrophe, which
// spreadsheets show as text and do not display.
func csvCells(cells ...string) []string {
	for i, v := range cells {
		if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
			cells[i] = "'" + v
		}
	}
	return cells
}
