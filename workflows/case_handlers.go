package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Update inputs of the case lifecycle. Actor is set by the API.
type (
	CaseSupervisionInput struct {
		RequestID    string         `json:"request_id"`
		Kind         string         `json:"kind"` // see CaseSupervisionKinds
		HeldOn       policy.Date    `json:"held_on"`
		SupervisorID string         `json:"supervisor_id"`
		Plan         string         `json:"plan,omitempty"` // the allocation plan
		Decisions    string         `json:"decisions,omitempty"`
		Reviewed     []ActionReview `json:"reviewed,omitempty"`
		Actions      []SmartAction  `json:"actions,omitempty"`
		Significant  bool           `json:"significant,omitempty"` // a decision that significantly changes the plan
		Actor        string         `json:"actor"`
	}
	ActionReview struct {
		Key      string `json:"key"`
		Progress string `json:"progress"` // "done", "progressed", "none"
	}
	SmartAction struct {
		What   string      `json:"what"`
		Who    string      `json:"who"`
		ByWhen policy.Date `json:"by_when"`
	}
	DecisionInput struct {
		RequestID string      `json:"request_id"`
		Kind      string      `json:"kind"`
		DecidedOn policy.Date `json:"decided_on"`
		Why       string      `json:"why"`
		Actor     string      `json:"actor"`
	}
	CategoryInput struct {
		RequestID      string      `json:"request_id"`
		Category       string      `json:"category"`
		From           policy.Date `json:"from"`
		ChronicNeglect bool        `json:"chronic_neglect,omitempty"`
		Reason         string      `json:"reason"`
		Actor          string      `json:"actor"`
	}
	TransferInput struct {
		RequestID      string      `json:"request_id"`
		ToWorkerID     string      `json:"to_worker_id"`
		ToTeam         string      `json:"to_team"`
		ToSupervisorID string      `json:"to_supervisor_id"`
		ToManagerID    string      `json:"to_manager_id,omitempty"`
		On             policy.Date `json:"on"`
		Actor          string      `json:"actor"`
	}
	JointInput struct {
		RequestID     string      `json:"request_id"`
		MeetingOn     policy.Date `json:"meeting_on"`
		LeadWorkerID  string      `json:"lead_worker_id"`
		OtherWorkerID string      `json:"other_worker_id"`
		LeadManagerID string      `json:"lead_manager_id"` // the lead worker's supervisor (set by the API)
		Actor         string      `json:"actor"`
	}
	FiledInput struct {
		RequestID string      `json:"request_id"`
		Key       string      `json:"key"`
		FiledOn   policy.Date `json:"filed_on"`
		Actor     string      `json:"actor"`
	}
	CloseInput struct {
		RequestID string      `json:"request_id"`
		On        policy.Date `json:"on"`
		Reason    string      `json:"reason"`
		Actor     string      `json:"actor"`
	}
	// CaseChange is what a case update answers.
	CaseChange struct {
		Status  string      `json:"status"`
		NextDue policy.Date `json:"next_due"`
		Cadence string      `json:"cadence"`
		Rule    string      `json:"rule,omitempty"`
		Flagged []string    `json:"flagged,omitempty"` // actions flagged at this supervision
		Unmet   []string    `json:"unmet,omitempty"`
	}
	// CaseloadChange tells a caseload lifecycle a case came ("add"), went
	// ("remove"), or only that the lifecycle must exist ("ensure").
	CaseloadChange struct {
		Op     string      `json:"op"`
		CaseID string      `json:"case_id"`
		On     policy.Date `json:"on"`
	}
	// CaseloadChanges are many changes in one signal (SignalCaseloadChanges).
	CaseloadChanges struct {
		Changes []CaseloadChange `json:"changes"`
	}
)

// CaseSupervisionKinds are the supervisions a case records.
var CaseSupervisionKinds = []string{"allocation", "case", "group", "transfer"}

func (w *caseFlow) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (CaseSchedule, error) { return w.schedule(), nil }); err != nil {
		return err
	}
	return setUpdates(ctx,
		updateHandler{UpdateCaseSupervision, w.recordSupervision, w.validateSupervision},
		updateHandler{UpdateCaseDecision, w.recordDecision, w.validateDecision},
		updateHandler{UpdateCaseCategory, w.changeCategory, w.validateCategory},
		updateHandler{UpdateCaseTransfer, w.startTransfer, w.validateTransfer},
		updateHandler{UpdateCaseJoint, w.recordJoint, w.validateJoint},
		updateHandler{UpdateCaseFiled, w.recordFiled, w.validateFiled},
		updateHandler{UpdateCaseClose, w.close, w.validateClose},
	)
}

// check refuses a bad request id, a bad date, and any change once closed.
func (w *caseFlow) check(ctx workflow.Context, requestID, dateField string, d policy.Date) error {
	if err := checkRequest(ctx, w.st.Requests, requestID, dateField, d, w.in.AllocatedOn); err != nil {
		return err
	}
	if w.finished() {
		return conflict("status", fmt.Sprintf("case %s was closed on %s", w.in.CaseID, w.st.ClosedOn))
	}
	return nil
}

func (w *caseFlow) change(rule string) CaseChange {
	c := CaseChange{Status: w.st.Status, Cadence: w.st.Cadence.String(), Rule: rule}
	if s := w.st.Supervision; s != nil {
		c.NextDue = s.Due
	}
	return c
}

func (w *caseFlow) action(key string) *Action {
	for i := range w.st.Actions {
		if w.st.Actions[i].Key == key {
			return &w.st.Actions[i]
		}
	}
	return nil
}

func (w *caseFlow) actionsRule() string {
	if r := w.in.Rules.Actions; r != nil {
		return r.Rule
	}
	return ""
}

func (w *caseFlow) validateSupervision(ctx workflow.Context, in CaseSupervisionInput) error {
	if err := w.check(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	if !slices.Contains(CaseSupervisionKinds, in.Kind) {
		return invalid("kind", fmt.Sprintf("%q is not one of %v", in.Kind, CaseSupervisionKinds))
	}
	switch in.Kind {
	case "allocation":
		if w.st.Allocation == nil {
			return conflict("kind", "no allocation supervision is due on this case")
		}
		if in.Plan == "" {
			return invalidRule("plan", "an allocation supervision is recorded with an allocation plan", w.st.Allocation.Rule)
		}
	case "transfer":
		t := w.st.Transfer
		if t == nil || t.Duty == nil {
			return conflict("kind", "no transfer supervision is due on this case")
		}
		// The outgoing manager records it.
		if in.SupervisorID != w.st.SupervisorID {
			return invalidRule("supervisor_id", fmt.Sprintf("the transfer supervision is recorded by the outgoing manager %s, not %q", w.st.SupervisorID, in.SupervisorID), t.Duty.Rule)
		}
	}
	if in.Kind != "transfer" && in.SupervisorID != w.st.SupervisorID {
		return invalid("supervisor_id", fmt.Sprintf("%q does not supervise this case (%s does)", in.SupervisorID, w.st.SupervisorID))
	}
	for i, r := range in.Reviewed {
		if w.action(r.Key) == nil {
			return invalid(fmt.Sprintf("reviewed[%d].key", i), fmt.Sprintf("%q is not an action of this case", r.Key))
		}
		if !slices.Contains([]string{"done", "progressed", "none"}, r.Progress) {
			return invalid(fmt.Sprintf("reviewed[%d].progress", i), fmt.Sprintf("%q is not one of done, progressed, none", r.Progress))
		}
	}
	// SMART: what, who, by when.
	for i, a := range in.Actions {
		at := fmt.Sprintf("actions[%d]", i)
		switch {
		case a.What == "":
			return invalidRule(at+".what", "is required: an action says what", w.actionsRule())
		case a.Who == "":
			return invalidRule(at+".who", "is required: an action says who", w.actionsRule())
		case a.ByWhen.IsZero():
			return invalidRule(at+".by_when", "is required: an action says by when", w.actionsRule())
		case a.ByWhen.Before(in.HeldOn):
			return invalidRule(at+".by_when", fmt.Sprintf("%s is before the supervision on %s", a.ByWhen, in.HeldOn), w.actionsRule())
		}
	}
	return nil
}

// recordSupervision meets the duty the supervision was for, reviews the
// actions, sets new ones, and puts the record due on the child's file.
func (w *caseFlow) recordSupervision(ctx workflow.Context, in CaseSupervisionInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseSupervision
	st := w.st
	var due []decision.DueItemRecord
	rule := st.Cadence.Rule
	reason := ""
	satisfies := true // whether it counts as the case supervision due
	switch in.Kind {
	case "allocation":
		a := st.Allocation
		rule = a.Rule
		due = append(due, w.item(a, "met", in.HeldOn))
		st.Allocation = nil
		reason = "allocation supervision with an allocation plan"
	case "group":
		if g := w.in.Rules.GroupSatisfies; g != nil {
			rule, reason = g.Rule, "the child was discussed in group supervision: it is this month's case supervision"
		} else {
			satisfies, reason = false, "group supervision recorded; the pack does not count it as case supervision, which stays due"
		}
	case "transfer":
		rule, reason, satisfies = st.Transfer.Duty.Rule, "transfer supervision held by the outgoing manager", false
	}
	if satisfies {
		st.Supervisions++
		if in.HeldOn.After(st.LastHeldOn) || st.LastHeldOn.IsZero() {
			st.LastHeldOn = in.HeldOn
			if s := st.Supervision; s != nil {
				due = append(due, w.item(s, "met", in.HeldOn))
			}
			w.scheduleNext(in.HeldOn)
		}
	}
	if in.Kind == "group" {
		st.LastGroupOn = in.HeldOn
	}
	flagged := w.reviewActions(in)
	for _, a := range in.Actions {
		st.Seq++
		st.Actions = append(st.Actions, Action{Key: fmt.Sprintf("action:%d", st.Seq), What: a.What, Who: a.Who, ByWhen: a.ByWhen, SetOn: in.HeldOn, Status: "open"})
	}
	// The record reaches the child's file within the pack's limit.
	if rd, ok := w.in.Rules.RecordDeadline(in.Significant); ok {
		st.Seq++
		r := CaseDuty{Key: fmt.Sprintf("record:%d", st.Seq), Kind: "case_record", DueState: DueState{Seq: st.Seq, Due: rd.Due(in.HeldOn, w.cal), Rule: rd.Rule}}
		resetIfFuture(&r.DueState, workflow.Now(ctx))
		st.Records = append(st.Records, r)
	}
	for _, d := range w.duties() {
		due = append(due, w.item(d, dueStatus(d.Overdue), policy.Date{}))
	}
	detail := map[string]any{"kind": in.Kind, "held_on": in.HeldOn.String(), "supervisor_id": in.SupervisorID, "significant": in.Significant}
	if in.Plan != "" {
		detail["plan"] = in.Plan
	}
	if in.Decisions != "" {
		detail["decisions"] = in.Decisions
	}
	if s := st.Supervision; s != nil {
		detail["next_due"] = s.Due.String()
	}
	w.rec(ctx, "supervision:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "case.supervision_recorded", RuleID: rule, Reason: reason, Detail: detail, Due: due,
		Session: &decision.SessionRecord{
			StaffID: st.WorkerID, SupervisorID: in.SupervisorID, Kind: "case:" + in.Kind, HeldOn: in.HeldOn.String(),
			RequestID: in.RequestID, Notes: in.Decisions,
		},
	})
	if len(flagged) > 0 {
		w.rec(ctx, "actions_flagged:"+in.RequestID, decision.Event{
			Actor: "system", Action: "case.actions_flagged", RuleID: w.actionsRule(),
			Reason: fmt.Sprintf("actions past their date without progress at the supervision on %s: scrutinise to prevent drift", in.HeldOn),
			Detail: map[string]any{"actions": flagged},
			Notifications: []decision.NotificationRecord{{
				Recipient: st.SupervisorID, RecipientRole: "supervisor", Kind: "flag",
				Subject: fmt.Sprintf("Case %s: %d action(s) drifting", w.in.CaseID, len(flagged)),
				Body:    fmt.Sprintf("Actions %v on case %s are past their date without progress (%s).", flagged, w.in.CaseID, w.actionsRule()),
			}},
		})
	}
	if in.Kind == "transfer" {
		w.completeTransfer(ctx, in.HeldOn, in.Actor)
	}
	c := w.change(rule)
	c.Flagged = flagged
	return c, nil
}

// reviewActions applies the review of previous actions and flags any past
// its date without progress (where the pack tracks actions).
func (w *caseFlow) reviewActions(in CaseSupervisionInput) []string {
	progress := map[string]string{}
	for _, r := range in.Reviewed {
		progress[r.Key] = r.Progress
	}
	var flagged []string
	for i := range w.st.Actions {
		a := &w.st.Actions[i]
		if a.Status == "done" {
			continue
		}
		switch p := progress[a.Key]; {
		case p == "done":
			a.Status, a.DoneOn = "done", in.HeldOn
		case p != "progressed" && a.ByWhen.Before(in.HeldOn) && w.in.Rules.Actions != nil && a.Status != "flagged":
			a.Status = "flagged"
			flagged = append(flagged, a.Key)
		}
	}
	return flagged
}

func (w *caseFlow) validateDecision(ctx workflow.Context, in DecisionInput) error {
	if err := w.check(ctx, in.RequestID, "decided_on", in.DecidedOn); err != nil {
		return err
	}
	if !slices.Contains(DecisionKinds, in.Kind) {
		return invalid("kind", fmt.Sprintf("%q is not one of %v", in.Kind, DecisionKinds))
	}
	if in.Why == "" {
		return invalid("why", "is required: management oversight records why")
	}
	return nil
}

func (w *caseFlow) oversightRule() string {
	if t := w.in.Rules.OversightBefore; t != nil {
		return t.Rule
	}
	return ""
}

// recordDecision records a manager's decision outside supervision.
func (w *caseFlow) recordDecision(ctx workflow.Context, in DecisionInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseDecision
	d := Decision{ID: in.RequestID, Kind: in.Kind, DecidedOn: in.DecidedOn, By: in.Actor, Why: in.Why}
	w.st.Decisions = append(w.st.Decisions, d)
	ev := decision.Event{
		Actor: in.Actor, Action: "case.oversight_decision", RuleID: w.oversightRule(), Reason: in.Why,
		Detail: map[string]any{"kind": in.Kind, "decided_on": in.DecidedOn.String(), "by": in.Actor},
	}
	// A caseload review meets the review an allocation above the maximum owed.
	if r := w.st.OverMaxReview; r != nil && in.Kind == "caseload_review" {
		ev.RuleID = r.Rule
		ev.Due = append(ev.Due, w.item(r, "met", in.DecidedOn))
		w.st.OverMaxReview = nil
	}
	w.rec(ctx, "decision:"+in.RequestID, ev)
	return w.change(w.oversightRule()), nil
}

// oversight finds an unused decision of kind, when the pack requires one.
func (w *caseFlow) oversight(kind string) (*Decision, error) {
	rule, needed := w.in.Rules.NeedsOversight(kind)
	for i := len(w.st.Decisions) - 1; i >= 0; i-- {
		if d := &w.st.Decisions[i]; d.Kind == kind && !d.Used {
			return d, nil
		}
	}
	if needed {
		return nil, conflictRule("decision", fmt.Sprintf("no management oversight decision agreeing the %s is recorded: record one first (POST /cases/%s/decisions, kind %s)", kind, w.in.CaseID, kind), rule)
	}
	return nil, nil
}

func (w *caseFlow) validateCategory(ctx workflow.Context, in CategoryInput) error {
	if err := w.check(ctx, in.RequestID, "from", in.From); err != nil {
		return err
	}
	if _, ok := w.in.Rules.Cadence(in.Category); !ok {
		return invalid("category", fmt.Sprintf("%q is not a category of the %s pack %v", in.Category, w.in.Authority, w.in.Rules.CategoryNames()))
	}
	if in.Category == w.st.Category {
		return conflict("category", fmt.Sprintf("the case is already in %s", in.Category))
	}
	return nil
}

// changeCategory changes the cadence from the day of the change (a plan
// starting or ending, permanence achieved).
func (w *caseFlow) changeCategory(ctx workflow.Context, in CategoryInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseCategory
	st := w.st
	var due []decision.DueItemRecord
	if s := st.Supervision; s != nil {
		due = append(due, w.item(s, "closed", policy.Date{})) // superseded by the new cadence
	}
	from := st.Category
	st.Category, st.CategorySince = in.Category, in.From
	st.Cadence, _ = w.in.Rules.Cadence(in.Category)
	w.scheduleNext(in.From)
	w.setPlanFlag(in.From)
	if s := st.Supervision; s != nil {
		resetIfFuture(&s.DueState, workflow.Now(ctx))
		due = append(due, w.item(s, dueStatus(s.Overdue), policy.Date{}))
	}
	w.rec(ctx, "category:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "case.category_changed", RuleID: st.Cadence.Rule, Reason: in.Reason,
		Detail: map[string]any{"from_category": from, "to_category": in.Category, "from": in.From.String(), "cadence": st.Cadence.String()},
		Due:    due,
	})
	w.flagChronicNeglect(ctx, in.ChronicNeglect, in.From, "category change")
	return w.change(st.Cadence.Rule), nil
}

func (w *caseFlow) validateTransfer(ctx workflow.Context, in TransferInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}); err != nil {
		return err
	}
	switch {
	case in.On.IsZero():
		return invalid("on", "is required")
	case in.On.Before(w.in.AllocatedOn):
		return invalid("on", fmt.Sprintf("%s is before the allocation on %s", in.On, w.in.AllocatedOn))
	case in.ToWorkerID == "":
		return invalid("to_worker_id", "is required")
	case in.ToWorkerID == w.st.WorkerID:
		return conflict("to_worker_id", fmt.Sprintf("%s already holds the case", in.ToWorkerID))
	case in.ToSupervisorID == "":
		return invalid("to_supervisor_id", "is required")
	case w.st.Transfer != nil:
		return conflict("transfer", fmt.Sprintf("a transfer to %s is already under way", w.st.Transfer.ToWorkerID))
	}
	_, err := w.oversight("transfer")
	return err
}

// startTransfer agrees a transfer: the transfer supervision is due by the
// transfer day where the pack has one; otherwise the case moves at once.
func (w *caseFlow) startTransfer(ctx workflow.Context, in TransferInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseTransfer
	d, _ := w.oversight("transfer")
	t := &Transfer{ToWorkerID: in.ToWorkerID, ToTeam: in.ToTeam, ToSupervisorID: in.ToSupervisorID, ToManagerID: in.ToManagerID, On: in.On}
	if t.ToTeam == "" {
		t.ToTeam = w.st.Team
	}
	if d != nil {
		d.Used, t.DecisionID = true, d.ID
	}
	w.st.Transfer = t
	rule := w.oversightRule()
	if r := w.in.Rules.BeforeTransfer; r != nil {
		w.st.Seq++
		t.Duty = &CaseDuty{Key: fmt.Sprintf("transfer:%d", w.st.Seq), Kind: "case_transfer_supervision", DueState: DueState{Seq: w.st.Seq, Due: in.On, Rule: r.Rule}}
		resetIfFuture(&t.Duty.DueState, workflow.Now(ctx))
		rule = r.Rule
	}
	w.rec(ctx, "transfer:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "case.transfer_agreed", RuleID: rule,
		Reason: fmt.Sprintf("transfer from %s to %s on %s agreed", w.st.WorkerID, in.ToWorkerID, in.On),
		Detail: map[string]any{"to_worker_id": in.ToWorkerID, "to_team": t.ToTeam, "to_supervisor_id": in.ToSupervisorID, "on": in.On.String(), "decision_id": t.DecisionID},
		Due:    w.allDue(),
	})
	if t.Duty == nil {
		w.completeTransfer(ctx, in.On, in.Actor)
	}
	return w.change(rule), nil
}

// completeTransfer moves the case and its duties, as they stand, to the new
// worker: the next case supervision keeps its date, so there is no gap.
func (w *caseFlow) completeTransfer(ctx workflow.Context, on policy.Date, actor string) {
	st, t := w.st, w.st.Transfer
	var due []decision.DueItemRecord
	if t.Duty != nil {
		due = append(due, w.item(t.Duty, "met", on))
	}
	from := st.WorkerID
	st.Transfer = nil
	st.WorkerID, st.Team, st.SupervisorID, st.ManagerID, st.Joint = t.ToWorkerID, t.ToTeam, t.ToSupervisorID, t.ToManagerID, nil
	w.staffID, w.team = st.WorkerID, st.Team
	// Re-stating every open duty under the new worker and team moves it.
	due = append(due, w.allDue()...)
	w.rec(ctx, "transferred:"+t.ToWorkerID+":"+on.String(), decision.Event{
		Actor: actor, Action: "case.transferred", RuleID: st.Cadence.Rule,
		Reason: fmt.Sprintf("case moved from %s to %s; its duties keep their dates", from, t.ToWorkerID),
		Detail: map[string]any{"from_worker_id": from, "to_worker_id": t.ToWorkerID, "on": on.String()},
		Due:    due,
	})
	w.caseloadChange(ctx, from, "remove", on)
	w.caseloadChange(ctx, t.ToWorkerID, "add", on)
}

// caseloadChange tells a worker's caseload lifecycle; a failure is logged
// (the caseload reads the projection at its next analysis anyway).
func (w *caseFlow) caseloadChange(ctx workflow.Context, workerID, op string, on policy.Date) {
	err := workflow.SignalExternalWorkflow(ctx, ID(KindCaseload, workerID), "", SignalCaseloadChange,
		CaseloadChange{Op: op, CaseID: w.in.CaseID, On: on}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("caseload not told", "worker", workerID, "op", op, "error", err)
	}
}

func (w *caseFlow) validateJoint(ctx workflow.Context, in JointInput) error {
	if err := w.check(ctx, in.RequestID, "meeting_on", in.MeetingOn); err != nil {
		return err
	}
	switch {
	case in.LeadWorkerID == "":
		return invalid("lead_worker_id", "is required: the planning meeting names the lead worker")
	case in.OtherWorkerID == "" || in.OtherWorkerID == in.LeadWorkerID:
		return invalid("other_worker_id", "is required and differs from the lead worker")
	case in.LeadWorkerID != w.st.WorkerID && in.OtherWorkerID != w.st.WorkerID:
		return invalid("lead_worker_id", fmt.Sprintf("one of the two workers is the allocated worker %s", w.st.WorkerID))
	case in.LeadManagerID == "":
		return invalid("lead_manager_id", "is required")
	}
	return nil
}

// recordJoint records the planning meeting; where the pack says so, the
// lead worker's manager supervises both workers on the case.
func (w *caseFlow) recordJoint(ctx workflow.Context, in JointInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseJoint
	j := &JointState{LeadWorkerID: in.LeadWorkerID, OtherWorkerID: in.OtherWorkerID, MeetingOn: in.MeetingOn}
	reason := fmt.Sprintf("joint working: %s leads with %s; the case's supervisor stays %s (the pack sets no joint supervision rule)", in.LeadWorkerID, in.OtherWorkerID, w.st.SupervisorID)
	if r := w.in.Rules.JointWorking; r != nil {
		j.Rule = r.Rule
		w.st.SupervisorID = in.LeadManagerID
		reason = fmt.Sprintf("joint working: %s leads with %s; both are supervised on the case by the lead worker's manager %s", in.LeadWorkerID, in.OtherWorkerID, in.LeadManagerID)
	}
	w.st.Joint = j
	w.rec(ctx, "joint:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "case.joint_working", RuleID: j.Rule, Reason: reason,
		Detail: map[string]any{"lead_worker_id": in.LeadWorkerID, "other_worker_id": in.OtherWorkerID, "meeting_on": in.MeetingOn.String(), "supervisor_id": w.st.SupervisorID},
	})
	return w.change(j.Rule), nil
}

func (w *caseFlow) validateFiled(ctx workflow.Context, in FiledInput) error {
	if err := w.check(ctx, in.RequestID, "filed_on", in.FiledOn); err != nil {
		return err
	}
	for _, r := range w.st.Records {
		if r.Key == in.Key {
			return nil
		}
	}
	return invalid("key", fmt.Sprintf("%q is not a record due on this case", in.Key))
}

// recordFiled meets a record-to-file deadline.
func (w *caseFlow) recordFiled(ctx workflow.Context, in FiledInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseFiled
	i := slices.IndexFunc(w.st.Records, func(r CaseDuty) bool { return r.Key == in.Key })
	r := w.st.Records[i]
	w.st.Records = slices.Delete(w.st.Records, i, i+1)
	late := ""
	if in.FiledOn.After(r.Due) {
		late = fmt.Sprintf(" (late: due %s)", r.Due)
	}
	w.rec(ctx, "filed:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "case.record_filed", RuleID: r.Rule, Reason: "record on the child's file" + late,
		Detail: map[string]any{"key": r.Key, "filed_on": in.FiledOn.String()},
		Due:    []decision.DueItemRecord{w.item(&r, "met", in.FiledOn)},
	})
	return w.change(r.Rule), nil
}

func (w *caseFlow) validateClose(ctx workflow.Context, in CloseInput) error {
	if err := w.check(ctx, in.RequestID, "on", in.On); err != nil {
		return err
	}
	if in.Reason == "" {
		return invalid("reason", "is required")
	}
	_, err := w.oversight("closure")
	return err
}

// close ends the case: every open duty not yet late is closed as no longer
// owed; every late one is recorded as unmet.
func (w *caseFlow) close(ctx workflow.Context, in CloseInput) (CaseChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseClose
	d, _ := w.oversight("closure")
	decisionID := ""
	if d != nil {
		d.Used, decisionID = true, d.ID
	}
	var due []decision.DueItemRecord
	var unmet, resolved []string
	for _, duty := range w.duties() {
		due = append(due, w.item(duty, "closed", policy.Date{}))
		if duty.Overdue {
			unmet = append(unmet, duty.Key)
		} else {
			resolved = append(resolved, duty.Key)
		}
	}
	w.st.Status, w.st.ClosedOn = CaseClosed, in.On
	w.rec(ctx, "closed", decision.Event{
		Actor: in.Actor, Action: "case.closed", RuleID: w.oversightRule(), Reason: in.Reason,
		Detail: map[string]any{"on": in.On.String(), "decision_id": decisionID, "unmet": unmet, "closed_not_due": resolved},
		Due:    due,
	})
	w.caseloadChange(ctx, w.st.WorkerID, "remove", in.On)
	c := w.change(w.oversightRule())
	c.Unmet = unmet
	return c, nil
}
