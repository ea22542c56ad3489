package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Updates and signals of the case and caseload lifecycles.
const (
	UpdateCaseSupervision  = "RecordCaseSupervision"
	UpdateCaseDecision     = "RecordDecision"
	UpdateCaseCategory     = "ChangeCategory"
	UpdateCaseTransfer     = "StartTransfer"
	UpdateCaseJoint        = "RecordJointWorking"
	UpdateCaseFiled        = "RecordFiled"
	UpdateCaseClose        = "CloseCase"
	UpdateCaseloadAnalysis = "RecordCaseloadAnalysis"
	// SignalCaseloadChange tells a worker's caseload a case came or went.
	SignalCaseloadChange = "CaseloadChange"
	// SignalCaseloadChanges tells it of many at once (an import's).
	SignalCaseloadChanges = "CaseloadChanges"
)

// CaseInput starts (or continues) a child's case lifecycle. The rules travel
// in the input so the history pins the pack it started under.
type CaseInput struct {
	CaseID       string      `json:"case_id"`
	RequestID    string      `json:"request_id"` // the allocation request: a retry finds the same case
	Authority    string      `json:"authority"`
	Team         string      `json:"team"`
	Category     string      `json:"category"`
	WorkerID     string      `json:"worker_id"`             // who holds the case
	InvolvedID   string      `json:"involved_id,omitempty"` // a student involved, the case held by their supervisor
	SupervisorID string      `json:"supervisor_id"`         // who supervises the case (the worker's supervisor)
	ManagerID    string      `json:"manager_id,omitempty"`  // the supervisor's manager: escalations go there
	AllocatedOn  policy.Date `json:"allocated_on"`
	// ChronicNeglect: the child is on a child protection plan for chronic neglect.
	ChronicNeglect bool `json:"chronic_neglect,omitempty"`
	// OverMax is set when the allocation took the worker above the maximum.
	OverMax     *OverMax                `json:"over_max,omitempty"`
	Pack        policy.PackRef          `json:"pack"`
	Rules       policy.CaseSupervision  `json:"rules"`
	Escalation  policy.Escalation       `json:"escalation"`
	ClosureDays []policy.Date           `json:"closure_days,omitempty"`
	Actor       string                  `json:"actor"`
	AllocRules  []policy.RoleAllocation `json:"alloc_rules,omitempty"` // the rules the allocation applied, for the trail
	// Set by an import: DutiesFrom when the allocation predates every pack
	// version (duties begin on the day of import), LastSupervised when the
	// case was last supervised before securebase (the next is due from it,
	// and the allocation's own supervision is past).
	DutiesFrom     policy.Date `json:"duties_from,omitzero"`
	LastSupervised policy.Date `json:"last_supervised,omitzero"`
	// Actions are an imported case's open SMART actions, set before securebase.
	Actions []SmartAction `json:"actions,omitempty"`
	// AttrsAtStart: the starter set every search attribute
	// (CaseStartAttributes), so the first task upserts none.
	AttrsAtStart bool       `json:"attrs_at_start,omitempty"`
	State        *CaseState `json:"state,omitempty"`
}

// OverMax is the recorded reason for allocating above the maximum.
type OverMax struct {
	Cases      int         `json:"cases"` // the caseload after allocation
	Limit      int         `json:"limit"`
	Reason     string      `json:"reason"`
	ReviewDate policy.Date `json:"review_date"`
	Rule       string      `json:"rule"`
}

// Case statuses.
const (
	CaseOpen   = "open"
	CaseClosed = "closed"
)

// CaseState is everything the case lifecycle knows; absolute dates only.
type CaseState struct {
	Status        string             `json:"status"`
	Category      string             `json:"category"`
	CategorySince policy.Date        `json:"category_since"`
	Cadence       policy.CaseCadence `json:"cadence"`
	WorkerID      string             `json:"worker_id"`
	InvolvedID    string             `json:"involved_id,omitempty"`
	Team          string             `json:"team"`
	SupervisorID  string             `json:"supervisor_id"`
	ManagerID     string             `json:"manager_id,omitempty"`
	Joint         *JointState        `json:"joint,omitempty"`
	// Allocation is the allocation supervision, until held (nil where the pack has none).
	Allocation *CaseDuty `json:"allocation,omitempty"`
	// OverMaxReview is the review an allocation above the maximum is limited
	// to, until a caseload_review decision records it (nil when within the maximum).
	OverMaxReview *CaseDuty `json:"over_max_review,omitempty"`
	// Supervision is the next case supervision (nil when as required).
	Supervision  *CaseDuty         `json:"supervision,omitempty"`
	Supervisions int               `json:"supervisions"`
	LastHeldOn   policy.Date       `json:"last_held_on"`
	LastGroupOn  policy.Date       `json:"last_group_on"`
	Records      []CaseDuty        `json:"records,omitempty"` // records due on the child's file
	Transfer     *Transfer         `json:"transfer,omitempty"`
	Decisions    []Decision        `json:"decisions,omitempty"`
	Actions      []Action          `json:"actions,omitempty"`
	PlanFlagOn   policy.Date       `json:"plan_flag_on"` // when the plan-length flag is raised (zero: none)
	PlanFlagged  bool              `json:"plan_flagged"`
	ClosedOn     policy.Date       `json:"closed_on"`
	Seq          int               `json:"seq"` // numbers due keys
	Requests     map[string]string `json:"requests"`
}

// CaseDuty is one case duty: its key in the projection, and its due state.
type CaseDuty struct {
	Key  string `json:"key"`
	Kind string `json:"kind"`
	DueState
}

// JointState is a joint working arrangement agreed at a planning meeting.
type JointState struct {
	LeadWorkerID  string      `json:"lead_worker_id"`
	OtherWorkerID string      `json:"other_worker_id"`
	MeetingOn     policy.Date `json:"meeting_on"`
	Rule          string      `json:"rule,omitempty"`
}

// Transfer is a transfer agreed and waiting for its transfer supervision.
type Transfer struct {
	ToWorkerID     string      `json:"to_worker_id"`
	ToTeam         string      `json:"to_team"`
	ToSupervisorID string      `json:"to_supervisor_id"`
	ToManagerID    string      `json:"to_manager_id,omitempty"`
	On             policy.Date `json:"on"`
	DecisionID     string      `json:"decision_id,omitempty"`
	Duty           *CaseDuty   `json:"duty,omitempty"` // the transfer supervision, when the pack has one
}

// Decision is a management oversight decision: who, when, why.
type Decision struct {
	ID        string      `json:"id"`
	Kind      string      `json:"kind"`
	DecidedOn policy.Date `json:"decided_on"`
	By        string      `json:"by"`
	Why       string      `json:"why"`
	Used      bool        `json:"used,omitempty"` // a transfer or closure it agreed has happened
}

// Action is a SMART action: what, who, by when.
type Action struct {
	Key    string      `json:"key"`
	What   string      `json:"what"`
	Who    string      `json:"who"`
	ByWhen policy.Date `json:"by_when"`
	SetOn  policy.Date `json:"set_on"`
	Status string      `json:"status"` // "open", "done", "flagged"
	DoneOn policy.Date `json:"done_on"`
}

// DecisionKinds are the management oversight decisions the API records.
// caseload_review reviews an allocation made above the maximum caseload.
var DecisionKinds = []string{"new_information", "sign_off", "transfer", "closure", "caseload_review", "other"}

// CaseResult is how a case lifecycle ended.
type CaseResult struct {
	Status   string      `json:"status"`
	ClosedOn policy.Date `json:"closed_on"`
	Unmet    []string    `json:"unmet,omitempty"`
}

// caseFlow is one run of the case lifecycle.
type caseFlow struct {
	*lifecycle
	in CaseInput
	st *CaseState
}

// Case keeps a child's case supervision duties from allocation to closure,
// whoever holds the case: allocation supervision, case supervision at the
// category's cadence, records on the child's file, SMART actions, flags,
// transfer with no gap and closure with oversight.
func Case(ctx workflow.Context, in CaseInput) (CaseResult, error) {
	w := &caseFlow{in: in}
	w.lifecycle = newLifecycle(ctx, "case", "case", in.WorkerID, "case "+in.CaseID, in.Authority, in.Team, in.Pack, in.ClosureDays, in.Escalation)
	w.caseID = in.CaseID
	if in.State == nil {
		w.initState(importing(ctx, "case-import-v1", !in.DutiesFrom.IsZero() || !in.LastSupervised.IsZero()))
		if importing(ctx, "import2-case-actions-v1", len(in.Actions) > 0) {
			w.importActions()
		}
	} else {
		w.st = in.State
	}
	w.staffID, w.team = w.st.WorkerID, w.st.Team
	w.holder = func() (string, string) { return w.st.SupervisorID, w.st.Status }
	w.shownAtStart(ctx, in.State == nil && in.AttrsAtStart)
	if err := w.registerHandlers(ctx); err != nil {
		return CaseResult{}, err
	}
	if in.State == nil {
		w.allocated(ctx)
	}
	w.findNextPack(ctx, w.moveTo) // a later version of the pack: move to it on its day (packmove.go)
	again, err := w.run(ctx, w.finished, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return CaseResult{}, err
	}
	if again {
		next := w.in
		next.State = w.st
		return CaseResult{}, workflow.NewContinueAsNewError(ctx, CaseWorkflow, next)
	}
	return CaseResult{Status: w.st.Status, ClosedOn: w.st.ClosedOn, Unmet: w.unmetKeys()}, nil
}

func (w *caseFlow) initState(imported bool) {
	in := w.in
	from := in.AllocatedOn
	if imported && !in.DutiesFrom.IsZero() {
		from = in.DutiesFrom
	}
	st := &CaseState{
		Status: CaseOpen, Category: in.Category, CategorySince: in.AllocatedOn,
		WorkerID: in.WorkerID, InvolvedID: in.InvolvedID, Team: in.Team,
		SupervisorID: in.SupervisorID, ManagerID: in.ManagerID, Requests: map[string]string{},
	}
	w.st = st
	st.Cadence, _ = in.Rules.Cadence(in.Category)
	if r := in.Rules.OnAllocation; r != nil && !(imported && !in.LastSupervised.IsZero()) {
		// Due on the day of allocation: the allocation plan is made then.
		st.Allocation = &CaseDuty{Key: "allocation", Kind: "case_allocation_supervision", DueState: DueState{Seq: 0, Due: from, Rule: r.Rule}}
	}
	if m := in.OverMax; m != nil {
		st.OverMaxReview = &CaseDuty{Key: "over_max_review", Kind: "caseload_over_max_review", DueState: DueState{Due: m.ReviewDate, Rule: m.Rule}}
	}
	if imported && !in.LastSupervised.IsZero() {
		from = in.LastSupervised
	}
	w.scheduleNext(from)
	w.setPlanFlag(in.AllocatedOn)
}

// importActions opens the actions an import carried, as set at the last
// supervision (else the allocation): the next supervision reviews them.
func (w *caseFlow) importActions() {
	in, st := w.in, w.st
	setOn := in.AllocatedOn
	if !in.LastSupervised.IsZero() {
		setOn = in.LastSupervised
	}
	for _, a := range in.Actions {
		st.Seq++
		st.Actions = append(st.Actions, Action{Key: fmt.Sprintf("action:%d", st.Seq), What: a.What, Who: a.Who, ByWhen: a.ByWhen, SetOn: setOn, Status: "open"})
	}
}

// scheduleNext sets the next case supervision at the cadence from a day.
func (w *caseFlow) scheduleNext(from policy.Date) {
	c := w.st.Cadence
	if !c.Timed() {
		w.st.Supervision = nil
		return
	}
	w.st.Seq++
	w.st.Supervision = &CaseDuty{
		Key: fmt.Sprintf("supervision:%d", w.st.Seq), Kind: "case_supervision",
		DueState: DueState{Seq: w.st.Seq, Due: w.in.Rules.NonWorkingDay.Adjust(c.Every.AddTo(from, w.cal), w.cal), Rule: c.Rule},
	}
}

// setPlanFlag sets when a plan that started on since is flagged as long.
func (w *caseFlow) setPlanFlag(since policy.Date) {
	w.st.PlanFlagOn, w.st.PlanFlagged = policy.Date{}, false
	if f, ok := w.in.Rules.Flag(policy.FlagPlanLongerThan); ok {
		w.st.PlanFlagOn = f.After.AddTo(since, w.cal)
	}
}

func (w *caseFlow) finished() bool { return w.st.Status == CaseClosed }

// allocated records the allocation and starts the duties.
func (w *caseFlow) allocated(ctx workflow.Context) {
	in := w.in
	detail := map[string]any{
		"category": in.Category, "cadence": w.st.Cadence.String(), "worker_id": in.WorkerID,
		"supervisor_id": in.SupervisorID, "allocated_on": in.AllocatedOn.String(),
	}
	reason := fmt.Sprintf("case allocated to %s in category %s (case supervision %s)", in.WorkerID, in.Category, w.st.Cadence)
	if in.InvolvedID != "" {
		detail["involved_id"] = in.InvolvedID
		reason += fmt.Sprintf("; %s is involved, not allocated", in.InvolvedID)
	}
	for _, r := range in.AllocRules {
		detail["allocation_rule:"+r.Role] = r.Rule
	}
	if len(in.Actions) > 0 {
		detail["imported_actions"] = len(in.Actions)
	}
	if m := in.OverMax; m != nil {
		detail["over_max"] = map[string]any{"cases": m.Cases, "limit": m.Limit, "reason": m.Reason, "review_date": m.ReviewDate.String(), "rule": m.Rule}
		reason += fmt.Sprintf("; above the maximum (%d of %d): %s, review by %s", m.Cases, m.Limit, m.Reason, m.ReviewDate)
	}
	w.rec(ctx, "allocated", decision.Event{
		Actor: in.Actor, Action: "case.allocated", RuleID: w.st.Cadence.Rule, Reason: reason, Detail: detail, Due: w.allDue(),
	})
	w.flagChronicNeglect(ctx, in.ChronicNeglect, in.AllocatedOn, "allocation")
}

// flagChronicNeglect raises the pack's flag for a child protection plan for
// chronic neglect: the manager considers independent review of home conditions.
func (w *caseFlow) flagChronicNeglect(ctx workflow.Context, neglect bool, on policy.Date, when string) {
	f, ok := w.in.Rules.Flag(policy.FlagChronicNeglect)
	if !neglect || !ok {
		return
	}
	w.st.Seq++
	w.rec(ctx, fmt.Sprintf("flag:chronic_neglect:%d", w.st.Seq), decision.Event{
		Actor: "system", Action: "case.flagged", RuleID: f.Rule,
		Reason: "child protection plan for chronic neglect: consider regular independent review of home conditions, chronologies and written agreements",
		Detail: map[string]any{"flag": f.Flag, "on": on.String(), "at": when},
		Notifications: []decision.NotificationRecord{{
			Recipient: w.st.SupervisorID, RecipientRole: "supervisor", Kind: "flag",
			Subject: fmt.Sprintf("Case %s: chronic neglect", w.in.CaseID),
			Body:    fmt.Sprintf("Case %s is on a child protection plan for chronic neglect: consider regular independent review of home conditions (%s).", w.in.CaseID, f.Rule),
		}},
	})
}

// rec writes a decision with the case projection as it now stands.
func (w *caseFlow) rec(ctx workflow.Context, eventID string, ev decision.Event) {
	ev.Case = w.caseRecord()
	w.record(ctx, eventID, ev)
}

func (w *caseFlow) caseRecord() *decision.CaseRecord {
	st := w.st
	r := &decision.CaseRecord{
		ID: w.in.CaseID, Authority: w.in.Authority, Team: st.Team, Category: st.Category,
		WorkerID: st.WorkerID, InvolvedID: st.InvolvedID, SupervisorID: st.SupervisorID, Status: st.Status,
		AllocatedOn: w.in.AllocatedOn.String(), PackVersion: w.in.Pack.Version,
	}
	if st.Joint != nil {
		r.LeadWorker, r.JointWorker = st.Joint.LeadWorkerID, st.Joint.OtherWorkerID
	}
	if !st.ClosedOn.IsZero() {
		r.ClosedOn = st.ClosedOn.String()
	}
	if st.Supervision != nil && st.Status == CaseOpen {
		r.NextDue = st.Supervision.Due.String()
	}
	if m := w.in.OverMax; m != nil {
		r.OverMaxNote = m.Reason
	}
	for _, a := range st.Actions {
		ar := decision.CaseActionRecord{Key: a.Key, What: a.What, Who: a.Who, ByWhen: a.ByWhen.String(), Status: a.Status, SetOn: a.SetOn.String()}
		if !a.DoneOn.IsZero() {
			ar.DoneOn = a.DoneOn.String()
		}
		if w.in.Rules.Actions != nil {
			ar.RuleID = w.in.Rules.Actions.Rule
		}
		r.Actions = append(r.Actions, ar)
	}
	return r
}

// duties are the open duties, in a fixed order.
func (w *caseFlow) duties() []*CaseDuty {
	var ds []*CaseDuty
	if a := w.st.Allocation; a != nil {
		ds = append(ds, a)
	}
	if r := w.st.OverMaxReview; r != nil {
		ds = append(ds, r)
	}
	if s := w.st.Supervision; s != nil {
		ds = append(ds, s)
	}
	for i := range w.st.Records {
		ds = append(ds, &w.st.Records[i])
	}
	if t := w.st.Transfer; t != nil && t.Duty != nil {
		ds = append(ds, t.Duty)
	}
	return ds
}

func (w *caseFlow) item(d *CaseDuty, status string, met policy.Date) decision.DueItemRecord {
	return w.dueItem(d.Key, d.Kind, d.Due, status, met, d.Rule)
}

func (w *caseFlow) allDue() []decision.DueItemRecord {
	var items []decision.DueItemRecord
	for _, d := range w.duties() {
		items = append(items, w.item(d, dueStatus(d.Overdue), policy.Date{}))
	}
	return items
}

func (w *caseFlow) nextDeadline() (time.Time, bool) {
	var states []DueState
	for _, d := range w.duties() {
		states = append(states, d.DueState)
	}
	next, ok := w.earliest(states...)
	if !w.st.PlanFlagOn.IsZero() && !w.st.PlanFlagged {
		if at := w.st.PlanFlagOn.EndInstant(); !ok || at.Before(next) {
			next, ok = at, true
		}
	}
	return next, ok
}

func (w *caseFlow) fireDeadlines(ctx workflow.Context) {
	if w.finished() {
		return
	}
	for _, d := range w.duties() {
		w.fire(ctx, &d.DueState, d.Key, d.Kind, w.what(d), w.st.SupervisorID, w.st.ManagerID)
	}
	if !w.st.PlanFlagOn.IsZero() && !w.st.PlanFlagged && !workflow.Now(ctx).Before(w.st.PlanFlagOn.EndInstant()) {
		w.st.PlanFlagged = true
		f, _ := w.in.Rules.Flag(policy.FlagPlanLongerThan)
		w.rec(ctx, "flag:plan:"+w.st.PlanFlagOn.String(), decision.Event{
			Actor: "system", Action: "case.flagged", RuleID: f.Rule,
			Reason: fmt.Sprintf("the family has been on its %s plan since %s, longer than %s", w.st.Category, w.st.CategorySince, f.After),
			Detail: map[string]any{"flag": f.Flag, "since": w.st.CategorySince.String()},
			Notifications: []decision.NotificationRecord{{
				Recipient: w.st.SupervisorID, RecipientRole: "supervisor", Kind: "flag",
				Subject: fmt.Sprintf("Case %s: plan longer than %s", w.in.CaseID, f.After),
				Body:    fmt.Sprintf("Case %s has been on its plan (%s) since %s (%s).", w.in.CaseID, w.st.Category, w.st.CategorySince, f.Rule),
			}},
		})
	}
}

func (w *caseFlow) what(d *CaseDuty) string {
	switch d.Kind {
	case "case_allocation_supervision":
		return "allocation supervision (with an allocation plan)"
	case "case_transfer_supervision":
		return "transfer supervision"
	case "case_record":
		return "record on the child's file"
	case "caseload_over_max_review":
		return "review of the allocation above the maximum caseload"
	}
	return "supervision"
}

// unmetKeys are the duties that were overdue when the case closed.
func (w *caseFlow) unmetKeys() []string {
	var keys []string
	for _, d := range w.duties() {
		if d.Overdue {
			keys = append(keys, d.Key)
		}
	}
	return keys
}

// CaseSchedule is the case lifecycle's own view of the case.
type CaseSchedule struct {
	CaseID       string         `json:"case_id"`
	Lifecycle    string         `json:"lifecycle"`
	Pack         policy.PackRef `json:"pack"`
	Status       string         `json:"status"`
	RequestID    string         `json:"request_id"`
	Authority    string         `json:"authority"`
	Team         string         `json:"team"`
	Category     string         `json:"category"`
	Cadence      string         `json:"cadence"`
	CadenceRule  string         `json:"cadence_rule"`
	WorkerID     string         `json:"worker_id"`
	InvolvedID   string         `json:"involved_id,omitempty"`
	SupervisorID string         `json:"supervisor_id"`
	AllocatedOn  policy.Date    `json:"allocated_on"`
	ClosedOn     policy.Date    `json:"closed_on"`
	Supervisions int            `json:"supervisions"`
	LastHeldOn   policy.Date    `json:"last_held_on"`
	Joint        *JointState    `json:"joint,omitempty"`
	Transfer     *Transfer      `json:"transfer,omitempty"`
	Decisions    []Decision     `json:"decisions"`
	Actions      []Action       `json:"actions"`
	Items        []Item         `json:"items"`
	// Allocation is what was asked at allocation: a retry is compared with it.
	Allocation CaseAllocation `json:"allocation"`
}

// CaseAllocation is the allocation request as the lifecycle started with it.
type CaseAllocation struct {
	Authority string `json:"authority"`
	Team      string `json:"team"`
	Category  string `json:"category"`
	WorkerID  string `json:"worker_id"`
}

func (w *caseFlow) schedule() CaseSchedule {
	st := w.st
	s := CaseSchedule{
		CaseID: w.in.CaseID, Lifecycle: KindCase, Pack: w.in.Pack, Status: st.Status, RequestID: w.in.RequestID,
		Authority: w.in.Authority, Team: st.Team, Category: st.Category, Cadence: st.Cadence.String(), CadenceRule: st.Cadence.Rule,
		WorkerID: st.WorkerID, InvolvedID: st.InvolvedID, SupervisorID: st.SupervisorID,
		AllocatedOn: w.in.AllocatedOn, ClosedOn: st.ClosedOn, Supervisions: st.Supervisions, LastHeldOn: st.LastHeldOn,
		Joint: st.Joint, Transfer: st.Transfer, Decisions: append([]Decision{}, st.Decisions...), Actions: append([]Action{}, st.Actions...),
		Items:      []Item{},
		Allocation: CaseAllocation{Authority: w.in.Authority, Team: w.in.Team, Category: w.in.Category, WorkerID: w.in.WorkerID},
	}
	if !w.finished() {
		for _, d := range w.duties() {
			s.Items = append(s.Items, Item{Key: d.Key, Kind: d.Kind, Due: d.Due, Status: dueStatus(d.Overdue), Escalated: d.Escalated, Rule: d.Rule})
		}
	}
	return s
}
