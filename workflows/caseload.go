package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// CaseloadInput starts (or continues) a case-holding worker's caseload lifecycle.
type CaseloadInput struct {
	StaffID      string          `json:"staff_id"`
	Name         string          `json:"name"`
	Authority    string          `json:"authority"`
	Team         string          `json:"team"`
	SupervisorID string          `json:"supervisor_id"`
	ManagerID    string          `json:"manager_id,omitempty"`
	Start        policy.Date     `json:"start"` // the day the worker was first allocated a case
	Pack         policy.PackRef  `json:"pack"`
	Rules        policy.Caseload `json:"rules"`
	// ASYE and ASYEStart hold an ASYE worker's caseload to the pack's share.
	ASYE        *policy.ASYE      `json:"asye,omitempty"`
	ASYEStart   policy.Date       `json:"asye_start"`
	Escalation  policy.Escalation `json:"escalation"`
	ClosureDays []policy.Date     `json:"closure_days,omitempty"`
	Actor       string            `json:"actor"`
	State       *CaseloadState    `json:"state,omitempty"`
}

// CaseloadState is what the caseload lifecycle knows.
type CaseloadState struct {
	Status string `json:"status"`
	// Cases maps a case id to the day it came: a set, so a repeated signal counts once.
	Cases        map[string]policy.Date `json:"cases"`
	Analysis     *DueState              `json:"analysis,omitempty"`
	Analyses     int                    `json:"analyses"`
	OverMaxSince policy.Date            `json:"over_max_since"`
	Notified     bool                   `json:"notified"` // senior managers told of this stretch over the maximum
	Requests     map[string]string      `json:"requests"`
}

// CaseloadResult is how a caseload lifecycle ended.
type CaseloadResult struct {
	Status string `json:"status"`
}

// AnalysisInput records a caseload analysis held in supervision.
type AnalysisInput struct {
	RequestID string      `json:"request_id"`
	HeldOn    policy.Date `json:"held_on"`
	Notes     string      `json:"notes,omitempty"`
	Actor     string      `json:"actor"`
}

// CaseloadSchedule is the caseload lifecycle's view.
type CaseloadSchedule struct {
	StaffID       string         `json:"staff_id"`
	Lifecycle     string         `json:"lifecycle"`
	Pack          policy.PackRef `json:"pack"`
	Status        string         `json:"status"`
	Cases         int            `json:"cases"`
	Limit         int            `json:"limit,omitempty"` // 0: the pack sets no maximum
	LimitRule     string         `json:"limit_rule,omitempty"`
	CaseloadShare *ShareView     `json:"caseload_share,omitempty"`
	OverMaxSince  policy.Date    `json:"over_max_since"`
	Items         []Item         `json:"items"`
}

type caseload struct {
	*lifecycle
	in CaseloadInput
	st *CaseloadState
}

// Caseload keeps a worker's caseload oversight: analysis at the pack's
// interval, senior managers told when it stays above the maximum too long,
// an ASYE worker's limit held to the pack's share.
func Caseload(ctx workflow.Context, in CaseloadInput) (CaseloadResult, error) {
	w := &caseload{in: in}
	w.lifecycle = newLifecycle(ctx, "caseload", "caseload", in.StaffID, in.Name, in.Authority, in.Team, in.Pack, in.ClosureDays, in.Escalation)
	if in.State == nil {
		w.st = &CaseloadState{Status: StatusActive, Cases: map[string]policy.Date{}, Requests: map[string]string{}}
		if a := in.Rules.AnalysisEvery; a != nil {
			w.st.Analysis = &DueState{Seq: 1, Due: a.Period.AddTo(in.Start, w.cal), Rule: a.Rule}
		}
	} else {
		w.st = in.State
	}
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (CaseloadSchedule, error) { return w.schedule(workflow.Now(ctx)), nil }); err != nil {
		return CaseloadResult{}, err
	}
	if err := setUpdates(ctx, updateHandler{UpdateCaseloadAnalysis, w.recordAnalysis, w.validateAnalysis}); err != nil {
		return CaseloadResult{}, err
	}
	w.onLeave(ctx, w.leave)
	changes := workflow.GetSignalChannel(ctx, SignalCaseloadChange)
	batches := workflow.GetSignalChannel(ctx, SignalCaseloadChanges)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var c CaseloadChange
			if !changes.Receive(ctx, &c) {
				return
			}
			w.apply(ctx, c)
			w.touch()
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var b CaseloadChanges
			if !batches.Receive(ctx, &b) {
				return
			}
			w.applyBatch(ctx, b)
			w.touch()
		}
	})
	if in.State == nil {
		w.record(ctx, "started", decision.Event{Actor: in.Actor, Action: "caseload.started", RuleID: w.analysisRule(), Due: w.allDue()})
	}
	again, err := w.run(ctx, w.finished, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return CaseloadResult{}, err
	}
	if again {
		// Changes not yet received are carried over by draining first.
		var c CaseloadChange
		for changes.ReceiveAsync(&c) {
			w.apply(ctx, c)
		}
		var b CaseloadChanges
		for batches.ReceiveAsync(&b) {
			w.applyBatch(ctx, b)
		}
		next := w.in
		next.State = w.st
		return CaseloadResult{}, workflow.NewContinueAsNewError(ctx, CaseloadWorkflow, next)
	}
	return CaseloadResult{Status: w.st.Status}, nil
}

func (w *caseload) finished() bool { return w.st.Status == StatusLeft }

func (w *caseload) analysisRule() string {
	if a := w.in.Rules.AnalysisEvery; a != nil {
		return a.Rule
	}
	return ""
}

// limit is the maximum in force on a day: the pack's, held to the ASYE share.
func (w *caseload) limit(on policy.Date) (int, string, *ShareView) {
	pct, shareRule := 0, ""
	if w.in.ASYE != nil {
		pct, shareRule = w.in.ASYE.ShareAt(w.in.ASYEStart, on, w.cal)
	}
	n, rule, ok := w.in.Rules.Limit(pct)
	if !ok {
		return 0, "", nil
	}
	var share *ShareView
	if shareRule != "" {
		share = &ShareView{Percent: pct, Rule: shareRule}
	}
	return n, rule, share
}

// apply takes a case on or off the caseload and starts or ends a stretch
// above the maximum.
func (w *caseload) apply(ctx workflow.Context, c CaseloadChange) {
	if !w.change(c) {
		return
	}
	ev := w.changed(c.On, w.overMax(c.On))
	ev.Detail["op"], ev.Detail["case_id"] = c.Op, c.CaseID
	w.record(ctx, fmt.Sprintf("%s:%s:%s", c.Op, c.CaseID, c.On), ev)
}

// applyBatch is apply for many changes at once (an import's, a worker's
// cases in one signal): one audit event for the batch, not one a case.
func (w *caseload) applyBatch(ctx workflow.Context, b CaseloadChanges) {
	if workflow.GetVersion(ctx, "h1-caseload-batch-v1", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		for _, c := range b.Changes {
			w.apply(ctx, c)
		}
		return
	}
	var done []CaseloadChange
	crossed := ""
	for _, c := range b.Changes {
		if !w.change(c) {
			continue
		}
		done = append(done, c)
		if r := w.overMax(c.On); r != "" {
			crossed = r
		}
	}
	if len(done) == 0 {
		return
	}
	first, last := done[0], done[len(done)-1]
	ev := w.changed(last.On, crossed)
	ids := make([]string, len(done))
	for i, c := range done {
		ids[i] = c.Op + ":" + c.CaseID
	}
	ev.Detail["changes"] = ids
	w.record(ctx, fmt.Sprintf("batch:%s:%s:%s:%d", first.Op, first.CaseID, first.On, len(done)), ev)
}

// change takes a case on or off the caseload: false if it was already so.
func (w *caseload) change(c CaseloadChange) bool {
	_, held := w.st.Cases[c.CaseID]
	switch {
	case c.Op == "add" && !held:
		w.st.Cases[c.CaseID] = c.On
	case c.Op == "remove" && held:
		delete(w.st.Cases, c.CaseID)
	default:
		return false
	}
	return true
}

// overMax starts or ends a stretch above the maximum on a day, saying so.
func (w *caseload) overMax(on policy.Date) string {
	limit, _, _ := w.limit(on)
	over := limit > 0 && len(w.st.Cases) > limit
	switch {
	case over && w.st.OverMaxSince.IsZero():
		w.st.OverMaxSince = on
		return fmt.Sprintf("caseload %d is above the maximum of %d from %s", len(w.st.Cases), limit, on)
	case !over && !w.st.OverMaxSince.IsZero():
		since := w.st.OverMaxSince
		w.st.OverMaxSince, w.st.Notified = policy.Date{}, false
		return fmt.Sprintf("caseload %d is back within the maximum of %d (above it since %s)", len(w.st.Cases), limit, since)
	}
	return ""
}

// changed is the audit event of a caseload change.
func (w *caseload) changed(on policy.Date, reason string) decision.Event {
	limit, rule, _ := w.limit(on)
	return decision.Event{
		Actor: "system", Action: "caseload.changed", RuleID: rule, Reason: reason,
		Detail: map[string]any{"cases": len(w.st.Cases), "limit": limit},
	}
}

// notifyDay is when senior managers are told of a stretch above the maximum.
func (w *caseload) notifyDay() (policy.Date, bool) {
	n := w.in.Rules.OverMaxNotifyAfter
	if n == nil || w.st.OverMaxSince.IsZero() || w.st.Notified {
		return policy.Date{}, false
	}
	return n.Period.AddTo(w.st.OverMaxSince, w.cal), true
}

func (w *caseload) nextDeadline() (time.Time, bool) {
	var next time.Time
	ok := false
	if a := w.st.Analysis; a != nil {
		next, ok = w.earliest(*a)
	}
	if d, has := w.notifyDay(); has {
		// Told the day after the period has run: "longer than" it.
		if at := d.EndInstant(); !ok || at.Before(next) {
			next, ok = at, true
		}
	}
	return next, ok
}

func (w *caseload) fireDeadlines(ctx workflow.Context) {
	if w.finished() {
		return
	}
	if a := w.st.Analysis; a != nil {
		w.fire(ctx, a, fmt.Sprintf("analysis:%d", a.Seq), "caseload_analysis", "caseload analysis", w.in.SupervisorID, w.in.ManagerID)
	}
	if d, ok := w.notifyDay(); ok && !workflow.Now(ctx).Before(d.EndInstant()) {
		w.st.Notified = true
		n := w.in.Rules.OverMaxNotifyAfter
		limit, _, _ := w.limit(d)
		w.record(ctx, "over_max:"+w.st.OverMaxSince.String(), decision.Event{
			Actor: "system", Action: "caseload.over_max_notified", RuleID: n.Rule,
			Reason: fmt.Sprintf("caseload above the maximum of %d since %s, longer than %s", limit, w.st.OverMaxSince, n.Period),
			Detail: map[string]any{"cases": len(w.st.Cases), "limit": limit, "since": w.st.OverMaxSince.String()},
			Notifications: []decision.NotificationRecord{{
				Recipient: w.in.ManagerID, RecipientRole: "senior_manager", Kind: "over_max",
				Subject: fmt.Sprintf("Caseload of %s above the maximum for longer than %s", w.in.Name, n.Period),
				Body:    fmt.Sprintf("%s (%s) has held %d cases, above the maximum of %d, since %s (%s).", w.in.Name, w.in.StaffID, len(w.st.Cases), limit, w.st.OverMaxSince, n.Rule),
			}},
		})
	}
}

func (w *caseload) allDue() []decision.DueItemRecord {
	if a := w.st.Analysis; a != nil {
		return []decision.DueItemRecord{w.dueItem(fmt.Sprintf("analysis:%d", a.Seq), "caseload_analysis", a.Due, dueStatus(a.Overdue), policy.Date{}, a.Rule)}
	}
	return nil
}

func (w *caseload) validateAnalysis(ctx workflow.Context, in AnalysisInput) error {
	if err := checkRequest(ctx, w.st.Requests, in.RequestID, "held_on", in.HeldOn, w.in.Start); err != nil {
		return err
	}
	if w.finished() {
		return conflict("status", "the worker has left")
	}
	return nil
}

// recordAnalysis meets the analysis due and sets the next at the interval.
func (w *caseload) recordAnalysis(ctx workflow.Context, in AnalysisInput) (CaseloadSchedule, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateCaseloadAnalysis
	w.st.Analyses++
	limit, rule, _ := w.limit(in.HeldOn)
	ev := decision.Event{
		Actor: in.Actor, Action: "caseload.analysis_recorded", RuleID: w.analysisRule(), Reason: in.Notes,
		Detail: map[string]any{"held_on": in.HeldOn.String(), "cases": len(w.st.Cases), "limit": limit, "limit_rule": rule},
	}
	if a := w.st.Analysis; a != nil {
		ev.Due = append(ev.Due, w.dueItem(fmt.Sprintf("analysis:%d", a.Seq), "caseload_analysis", a.Due, "met", in.HeldOn, a.Rule))
		w.st.Analysis = &DueState{Seq: a.Seq + 1, Due: w.in.Rules.AnalysisEvery.Period.AddTo(in.HeldOn, w.cal), Rule: a.Rule}
		ev.Due = append(ev.Due, w.allDue()...)
	}
	w.record(ctx, "analysis:"+in.RequestID, ev)
	return w.schedule(workflow.Now(ctx)), nil
}

// leave ends the caseload lifecycle when the worker leaves.
func (w *caseload) leave(ctx workflow.Context, s LeaveSignal) {
	if w.finished() {
		return
	}
	w.st.Status = StatusLeft
	w.record(ctx, "left", decision.Event{
		Actor: s.Actor, Action: "caseload.closed", Reason: "left the service: " + s.Reason,
		Detail: map[string]any{"on": s.On.String(), "cases": len(w.st.Cases)}, Due: closing(w.allDue()),
	})
}

func (w *caseload) schedule(now time.Time) CaseloadSchedule {
	limit, rule, share := w.limit(policy.DateOf(now))
	s := CaseloadSchedule{
		StaffID: w.in.StaffID, Lifecycle: KindCaseload, Pack: w.in.Pack, Status: w.st.Status,
		Cases: len(w.st.Cases), Limit: limit, LimitRule: rule, CaseloadShare: share, OverMaxSince: w.st.OverMaxSince, Items: []Item{},
	}
	if a := w.st.Analysis; a != nil && !w.finished() {
		s.Items = append(s.Items, Item{Key: fmt.Sprintf("analysis:%d", a.Seq), Kind: "caseload_analysis", Due: a.Due, Status: dueStatus(a.Overdue), Escalated: a.Escalated, Rule: a.Rule})
	}
	return s
}
