package workflows

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Updates and query on the supervision agreement.
const (
	// UpdateProposeAgreementTerms: the supervisor proposes the terms both sign.
	UpdateProposeAgreementTerms = "ProposeAgreementTerms"
	// UpdateSignAgreement: the supervisee or the supervisor signs the open version.
	UpdateSignAgreement = "SignAgreement"
	// UpdateRecordAgreementChange: either party records a change of
	// circumstances (or arrangements, or that something is not working).
	UpdateRecordAgreementChange = "RecordAgreementChange"
	// QueryAgreement returns the agreement itself: terms, signatures, schedule.
	QueryAgreement = "agreement"
)

// Agreement status values (StatusLeft when the supervisee has left).
const (
	AgreementOpen   = "open"   // the current version awaits both signatures
	AgreementAgreed = "agreed" // the current version is signed by both
)

// Why a version of the agreement opened: these, or one of policy.AgreementEvents.
const (
	OpenedJoining = "joining"
	OpenedRenewal = "renewal"
	OpenedReview  = "review" // the supervisor proposed revised terms to an agreed agreement
)

// Due item kinds of the agreement.
const (
	KindAgreementSignature = "agreement_signature"
	KindAgreementRenewal   = "agreement_renewal"
)

// Parties to the agreement.
const (
	PartySupervisee = "supervisee"
	PartySupervisor = "supervisor"
)

// AgreementChangeEvents are the changes a party records through
// UpdateRecordAgreementChange; a change of supervisor has its own update.
var AgreementChangeEvents = []string{"circumstances_change", "arrangements_change", "not_working"}

// AgreementInput starts (or continues) a supervisee's supervision agreement.
// The rules and the escalation travel in the input: the lifecycle never
// reads the pack registry, and its history pins the pack it started under.
type AgreementInput struct {
	Person      Person            `json:"person"`
	Pack        policy.PackRef    `json:"pack"`
	Rules       policy.Agreement  `json:"rules"`
	Escalation  policy.Escalation `json:"escalation"`
	ClosureDays []policy.Date     `json:"closure_days,omitempty"`
	Actor       string            `json:"actor"`
	// SignedOn is when an imported worker's current agreement was signed
	// before securebase: the lifecycle starts agreed, renewal due from it.
	SignedOn policy.Date `json:"signed_on,omitzero"`
	// State is nil on the first run and carried across continue-as-new.
	State *AgreementState `json:"state,omitempty"`
}

// AgreementState is everything the lifecycle knows about the current
// version of the agreement; earlier versions live in the audit trail.
type AgreementState struct {
	Status       string `json:"status"`
	SupervisorID string `json:"supervisor_id"`
	ManagerID    string `json:"manager_id,omitempty"`
	// Version counts the agreements made: 1 at joining, +1 at each renewal or re-opening.
	Version   int         `json:"version"`
	OpenedOn  policy.Date `json:"opened_on"`
	OpenedFor string      `json:"opened_for"`
	// Signing is the current version's signature deadline (Seq = Version); a
	// zero Due means the pack sets no limit.
	Signing    DueState             `json:"signing"`
	Terms      *AgreementTerms      `json:"terms,omitempty"`
	Signatures []AgreementSignature `json:"signatures,omitempty"`
	AgreedOn   policy.Date          `json:"agreed_on"`
	// Renewal is when an agreed version is next renewed (Seq = next version).
	Renewal     *DueState   `json:"renewal,omitempty"`
	LeftOn      policy.Date `json:"left_on"`
	LeftBecause string      `json:"left_because,omitempty"`
	// Requests maps a processed request id to its update, across runs.
	Requests map[string]string `json:"requests"`
}

// AgreementTerms are what both parties sign: the agreed frequency of
// supervision, its purpose and aims, and how disagreements are resolved.
type AgreementTerms struct {
	Frequency      string      `json:"frequency"` // a period: "4w", "1mo"
	PurposeAndAims string      `json:"purpose_and_aims"`
	Disagreements  string      `json:"disagreements"`
	ProposedBy     string      `json:"proposed_by"`
	ProposedOn     policy.Date `json:"proposed_on"`
}

// AgreementSignature is one party's signature of the current version.
type AgreementSignature struct {
	Party    string      `json:"party"`
	StaffID  string      `json:"staff_id"`
	SignedOn policy.Date `json:"signed_on"`
}

// Update inputs. Actor is set by the API from the caller, never the body.
type (
	AgreementTermsInput struct {
		RequestID      string `json:"request_id"`
		Frequency      string `json:"frequency"`
		PurposeAndAims string `json:"purpose_and_aims"`
		Disagreements  string `json:"disagreements"`
		Actor          string `json:"actor"`
	}
	AgreementSignInput struct {
		RequestID string      `json:"request_id"`
		SignedOn  policy.Date `json:"signed_on"`
		Actor     string      `json:"actor"`
	}
	AgreementChangeInput struct {
		RequestID string      `json:"request_id"`
		Event     string      `json:"event"`
		On        policy.Date `json:"on"`
		Reason    string      `json:"reason"`
		Actor     string      `json:"actor"`
	}
)

// AgreementUpdateResult is where the agreement stands after an update.
type AgreementUpdateResult struct {
	Version     int                  `json:"version"`
	Status      string               `json:"status"`
	Reopened    bool                 `json:"reopened"`
	Due         policy.Date          `json:"due"`
	Rule        string               `json:"rule"`
	Signatures  []AgreementSignature `json:"signatures"`
	AgreedOn    policy.Date          `json:"agreed_on"`
	NextRenewal policy.Date          `json:"next_renewal"`
}

// AgreementView is the agreement as the query shows it.
type AgreementView struct {
	Schedule    Schedule             `json:"schedule"`
	Version     int                  `json:"version"`
	Status      string               `json:"status"`
	OpenedOn    policy.Date          `json:"opened_on"`
	OpenedFor   string               `json:"opened_for"`
	Due         policy.Date          `json:"due"`
	Rule        string               `json:"rule"`
	Terms       *AgreementTerms      `json:"terms"`
	Signatures  []AgreementSignature `json:"signatures"`
	AgreedOn    policy.Date          `json:"agreed_on"`
	NextRenewal policy.Date          `json:"next_renewal"`
	LeftOn      policy.Date          `json:"left_on"`
	LeftBecause string               `json:"left_because,omitempty"`
}

// AgreementResult is how the agreement lifecycle ended.
type AgreementResult struct {
	Status   string      `json:"status"`
	Version  int         `json:"version"`
	AgreedOn policy.Date `json:"agreed_on"`
	LeftOn   policy.Date `json:"left_on"`
	Reason   string      `json:"reason,omitempty"`
}

// NewAgreementInput is what onboarding starts the agreement with: the
// pack's agreement rules and its escalation for standing duties.
func NewAgreementInput(p Person, pack *policy.Pack, actor string) AgreementInput {
	in := AgreementInput{Person: p, Pack: pack.Ref(), Escalation: pack.Escalation, ClosureDays: pack.ClosureDays, Actor: actor}
	if pack.Agreement != nil {
		in.Rules = *pack.Agreement
	}
	return in
}

// agreement is one run of the lifecycle on the shared machinery.
type agreement struct {
	*lifecycle
	in AgreementInput
	st *AgreementState
	// renewing is set when a renewal has opened: the run ends and the
	// lifecycle continues as new with its state, so a year adds no history.
	renewing bool
}

// Agreement keeps a supervisee's supervision agreement: signed by both
// parties within the pack's limit of joining, renewed at the pack's
// interval, re-opened on the events the pack lists; an unsigned agreement
// notifies then escalates.
func Agreement(ctx workflow.Context, in AgreementInput) (AgreementResult, error) {
	p := in.Person
	w := &agreement{
		lifecycle: newLifecycle(ctx, "agreement", "supervision agreement", p.StaffID, p.Name, p.Authority, p.Team, in.Pack, in.ClosureDays, in.Escalation),
		in:        in,
	}
	first := in.State == nil
	if first {
		w.initState(importing(ctx, "agreement-import-v1", !in.SignedOn.IsZero() || !p.DutiesFrom.IsZero()))
	} else {
		w.st = in.State
	}
	// Handlers first: an update or query may arrive before the first write.
	if err := w.registerHandlers(ctx); err != nil {
		return AgreementResult{}, err
	}
	w.onLeave(ctx, w.leave)
	w.holder = func() (string, string) { return w.st.SupervisorID, w.st.Status }
	if first {
		detail := w.versionDetail()
		if w.st.Status == AgreementAgreed { // imported: signed before securebase
			detail["agreed_on"] = w.st.AgreedOn.String()
			if r := w.st.Renewal; r != nil {
				detail["next_renewal"] = r.Due.String()
			}
		}
		w.record(ctx, "started", decision.Event{
			Actor:  in.Actor,
			Action: "agreement.started",
			RuleID: w.st.Signing.Rule,
			Detail: detail,
			Due:    w.openItems(),
		})
	}
	w.findNextPack(ctx, w.moveTo) // a later version of the pack: move to it on its day (packmove.go)
	again, err := w.run(ctx, w.done, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return AgreementResult{}, err
	}
	if w.renewing {
		w.drain(ctx) // a leave that arrived with the renewal ends it instead
	}
	if (again || w.renewing) && !w.left() {
		next := w.in
		next.State = w.st
		return AgreementResult{}, workflow.NewContinueAsNewError(ctx, AgreementWorkflow, next)
	}
	return AgreementResult{Status: w.st.Status, Version: w.st.Version, AgreedOn: w.st.AgreedOn, LeftOn: w.st.LeftOn, Reason: w.st.LeftBecause}, nil
}

// initState opens the first version at joining; an imported worker's opens
// on the day of import when their start predates the packs, and is agreed
// already when the import says when it was signed.
func (w *agreement) initState(imported bool) {
	p := w.in.Person
	w.st = &AgreementState{
		SupervisorID: p.SupervisorID,
		ManagerID:    p.ManagerID,
		Requests:     map[string]string{},
	}
	opened := p.Start
	if imported && !p.DutiesFrom.IsZero() {
		opened = p.DutiesFrom
	}
	w.openVersion(OpenedJoining, opened)
	if signed := w.in.SignedOn; imported && !signed.IsZero() {
		st := w.st
		st.Status, st.AgreedOn = AgreementAgreed, signed
		if due, rule, ok := w.in.Rules.RenewalDue(signed, w.cal); ok {
			st.Renewal = &DueState{Seq: st.Version + 1, Due: due, Rule: rule}
		}
	}
}

func (w *agreement) left() bool { return w.st.Status == StatusLeft }

// done ends the run: the supervisee left, or a renewal opened (continue as new).
func (w *agreement) done() bool { return w.left() || w.renewing }

// ruleFor is the rule a version opened for a reason cites.
func (w *agreement) ruleFor(reason string) string {
	r := w.in.Rules
	switch {
	case reason == OpenedRenewal && r.RenewEvery != nil:
		return r.RenewEvery.Rule
	case reason == OpenedReview && r.RenewEvery != nil:
		return r.RenewEvery.Rule
	case slices.Contains(policy.AgreementEvents, reason) && r.ReagreeOn != nil:
		return r.ReagreeOn.Rule
	}
	return r.Rule()
}

// openVersion starts a new version of the agreement on a day: no
// signatures yet, the proposed terms carried over until the supervisor
// revises them, signing due within the pack's limit of that day. It returns
// the items the previous version leaves behind, closed.
func (w *agreement) openVersion(reason string, on policy.Date) []decision.DueItemRecord {
	st := w.st
	var closed []decision.DueItemRecord
	switch st.Status {
	case AgreementOpen:
		if it, ok := w.signingItem("closed"); ok {
			closed = append(closed, it)
		}
	case AgreementAgreed:
		if r := st.Renewal; r != nil {
			status, met := "closed", policy.Date{} // re-agreed early: this renewal is superseded
			if reason == OpenedRenewal {
				status, met = "met", r.Due
			}
			closed = append(closed, w.dueItem(fmt.Sprintf("renewal:%d", r.Seq), KindAgreementRenewal, r.Due, status, met, r.Rule))
		}
	}
	if on.Before(st.OpenedOn) {
		on = st.OpenedOn // a version never opens before the one it replaces
	}
	st.Version++
	st.Status = AgreementOpen
	st.OpenedOn, st.OpenedFor = on, reason
	st.Signatures, st.AgreedOn, st.Renewal = nil, policy.Date{}, nil
	due, _, _ := w.in.Rules.SignDue(on, w.cal)
	st.Signing = DueState{Seq: st.Version, Due: due, Rule: w.ruleFor(reason)}
	return closed
}

func (w *agreement) versionDetail() map[string]any {
	st := w.st
	d := map[string]any{"version": st.Version, "opened_on": st.OpenedOn.String(), "opened_for": st.OpenedFor}
	if sw := w.in.Rules.SignWithin; sw != nil {
		d["due"], d["sign_within"], d["sign_within_rule"] = st.Signing.Due.String(), sw.Period.String(), sw.Rule
	} else {
		d["due"] = "none: the pack sets no limit for signing"
	}
	return d
}

// signingItem is the current version's signature duty, when it has a date.
func (w *agreement) signingItem(status string) (decision.DueItemRecord, bool) {
	s := w.st.Signing
	if s.Due.IsZero() {
		return decision.DueItemRecord{}, false
	}
	var met policy.Date
	if status == "met" {
		met = w.st.AgreedOn
	}
	return w.dueItem(fmt.Sprintf("signature:%d", s.Seq), KindAgreementSignature, s.Due, status, met, s.Rule), true
}

// openItems is the projection of what is open now.
func (w *agreement) openItems() []decision.DueItemRecord {
	var items []decision.DueItemRecord
	switch w.st.Status {
	case AgreementOpen:
		if it, ok := w.signingItem(dueStatus(w.st.Signing.Overdue)); ok {
			items = append(items, it)
		}
	case AgreementAgreed:
		if r := w.st.Renewal; r != nil {
			items = append(items, w.dueItem(fmt.Sprintf("renewal:%d", r.Seq), KindAgreementRenewal, r.Due, "due", policy.Date{}, r.Rule))
		}
	}
	return items
}

// dayStart is the first instant of a London day.
func dayStart(d policy.Date) time.Time { return d.AddDays(-1).EndInstant() }

// nextDeadline: the signing's deadline while open; the renewal day while agreed.
func (w *agreement) nextDeadline() (time.Time, bool) {
	switch w.st.Status {
	case AgreementOpen:
		if !w.st.Signing.Due.IsZero() {
			return w.earliest(w.st.Signing)
		}
	case AgreementAgreed:
		if r := w.st.Renewal; r != nil {
			return dayStart(r.Due), true
		}
	}
	return time.Time{}, false
}

// fireDeadlines records an overdue or escalated signing, or opens the
// renewal when its day has come.
func (w *agreement) fireDeadlines(ctx workflow.Context) {
	st := w.st
	switch st.Status {
	case AgreementOpen:
		if !st.Signing.Due.IsZero() {
			w.fire(ctx, &st.Signing, fmt.Sprintf("signature:%d", st.Signing.Seq), KindAgreementSignature,
				fmt.Sprintf("signature of the supervision agreement (version %d)", st.Signing.Seq), st.SupervisorID, st.ManagerID)
		}
	case AgreementAgreed:
		if r := st.Renewal; r != nil && !workflow.Now(ctx).Before(dayStart(r.Due)) {
			renewal := *r
			closed := w.openVersion(OpenedRenewal, renewal.Due)
			w.record(ctx, fmt.Sprintf("version:%d", st.Version), decision.Event{
				Actor:  "system",
				Action: "agreement.renewal_opened",
				RuleID: renewal.Rule,
				Reason: fmt.Sprintf("the agreement is renewed every %s: version %d is due signed by both", w.in.Rules.RenewEvery.Period, st.Version),
				Detail: w.versionDetail(),
				Due:    append(closed, w.openItems()...),
			})
			w.renewing = true
		}
	}
}

// leave closes the agreement when the supervisee leaves, recording why.
func (w *agreement) leave(ctx workflow.Context, s LeaveSignal) {
	if w.left() {
		return
	}
	closed := closing(w.openItems()) // what was open before it closed
	w.st.Status = StatusLeft
	w.st.LeftOn, w.st.LeftBecause = s.On, s.Reason
	w.record(ctx, "left", decision.Event{
		Actor: s.Actor, Action: "agreement.closed", Reason: "left the service: " + s.Reason,
		Detail: map[string]any{"on": s.On.String(), "version": w.st.Version}, Due: closed,
	})
}

// schedule is the agreement's due and met items.
func (w *agreement) schedule() Schedule {
	st := w.st
	s := Schedule{
		StaffID: w.in.Person.StaffID, Lifecycle: KindAgreement, Pack: w.in.Pack, Status: st.Status,
		Start: w.in.Person.Start, SupervisorID: st.SupervisorID, Items: []Item{},
	}
	sig := st.Signing
	it := Item{Key: fmt.Sprintf("signature:%d", sig.Seq), Kind: KindAgreementSignature, Due: sig.Due, Escalated: sig.Escalated, Rule: sig.Rule}
	switch {
	case !st.AgreedOn.IsZero():
		it.Status, it.HeldOn = "met", st.AgreedOn
		s.Items = append(s.Items, it)
	case st.Status == AgreementOpen:
		it.Status = dueStatus(sig.Overdue)
		s.Items = append(s.Items, it)
	}
	if r := st.Renewal; r != nil && st.Status == AgreementAgreed {
		s.Items = append(s.Items, Item{Key: fmt.Sprintf("renewal:%d", r.Seq), Kind: KindAgreementRenewal, Due: r.Due, Status: "due", Rule: r.Rule})
	}
	return s
}

func (w *agreement) view() AgreementView {
	st := w.st
	v := AgreementView{
		Schedule: w.schedule(), Version: st.Version, Status: st.Status, OpenedOn: st.OpenedOn, OpenedFor: st.OpenedFor,
		Due: st.Signing.Due, Rule: st.Signing.Rule, Terms: st.Terms, Signatures: slices.Clone(st.Signatures),
		AgreedOn: st.AgreedOn, LeftOn: st.LeftOn, LeftBecause: st.LeftBecause,
	}
	if v.Signatures == nil {
		v.Signatures = []AgreementSignature{}
	}
	if st.Renewal != nil {
		v.NextRenewal = st.Renewal.Due
	}
	return v
}

func (w *agreement) result(reopened bool) AgreementUpdateResult {
	v := w.view()
	return AgreementUpdateResult{
		Version: v.Version, Status: v.Status, Reopened: reopened, Due: v.Due, Rule: v.Rule,
		Signatures: v.Signatures, AgreedOn: v.AgreedOn, NextRenewal: v.NextRenewal,
	}
}

func (w *agreement) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (Schedule, error) { return w.schedule(), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryAgreement, func() (AgreementView, error) { return w.view(), nil }); err != nil {
		return err
	}
	return setUpdates(ctx,
		updateHandler{UpdateProposeAgreementTerms, w.proposeTerms, w.validateTerms},
		updateHandler{UpdateSignAgreement, w.sign, w.validateSign},
		updateHandler{UpdateRecordAgreementChange, w.recordChange, w.validateChange},
		updateHandler{UpdateChangeSupervisor, w.changeSupervisor, w.validateSupervisor},
	)
}

// check refuses a bad request id, a bad date, and any change once the
// supervisee has left.
func (w *agreement) check(ctx workflow.Context, requestID, dateField string, d, notBefore policy.Date) error {
	if err := checkRequest(ctx, w.st.Requests, requestID, dateField, d, notBefore); err != nil {
		return err
	}
	if w.left() {
		return conflict("status", fmt.Sprintf("%s left on %s: the agreement is closed", w.in.Person.StaffID, w.st.LeftOn))
	}
	return nil
}

// party is who the actor is to the agreement: the supervisee, the
// supervisor of record, or nobody.
func (w *agreement) party(actor string) string {
	switch actor {
	case "":
		return ""
	case w.in.Person.StaffID:
		return PartySupervisee
	case w.st.SupervisorID:
		return PartySupervisor
	}
	return ""
}

func (w *agreement) validateTerms(ctx workflow.Context, in AgreementTermsInput) error {
	if err := w.check(ctx, in.RequestID, "", policy.Date{}, policy.Date{}); err != nil {
		return err
	}
	if in.Actor == "" || in.Actor != w.st.SupervisorID {
		return invalidRule("actor", fmt.Sprintf("%q may not propose the terms: the supervisor of record (%s) proposes them, then both sign", in.Actor, w.st.SupervisorID), w.st.Signing.Rule)
	}
	if in.Frequency == "" {
		return invalid("frequency", "is required: the agreed frequency of supervision, e.g. 4w or 1mo")
	}
	f, err := policy.ParsePeriod(in.Frequency)
	if err != nil {
		return invalid("frequency", err.Error())
	}
	if f.IsZero() || !slices.Contains([]policy.PeriodUnit{policy.Days, policy.Weeks, policy.Months}, f.Unit) {
		return invalid("frequency", fmt.Sprintf("%q is not a frequency of supervision: give days, weeks or months, e.g. 2w or 1mo", in.Frequency))
	}
	if in.PurposeAndAims == "" {
		return invalid("purpose_and_aims", "is required: the purpose and aims of supervision")
	}
	if in.Disagreements == "" {
		return invalid("disagreements", "is required: how disagreements are resolved")
	}
	return nil
}

// proposeTerms sets the terms of the open version; on an agreed agreement
// it opens a revised version (a review). Terms that change after a
// signature clear it: both sign the same text.
func (w *agreement) proposeTerms(ctx workflow.Context, in AgreementTermsInput) (AgreementUpdateResult, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateProposeAgreementTerms
	var due []decision.DueItemRecord
	reopened := st.Status == AgreementAgreed
	if reopened {
		due = w.openVersion(OpenedReview, today(ctx))
	}
	cleared := len(st.Signatures)
	st.Signatures = nil
	f, _ := policy.ParsePeriod(in.Frequency)
	st.Terms = &AgreementTerms{
		Frequency: f.String(), PurposeAndAims: in.PurposeAndAims, Disagreements: in.Disagreements,
		ProposedBy: in.Actor, ProposedOn: today(ctx),
	}
	detail := w.versionDetail()
	// The audit log keeps the agreed frequency and who proposed it; the
	// wording stays in the lifecycle, out of the log retention cannot purge.
	detail["terms"] = map[string]any{"frequency": st.Terms.Frequency, "proposed_by": st.Terms.ProposedBy, "proposed_on": st.Terms.ProposedOn}
	detail["signatures_cleared"] = cleared
	if reopened {
		due = append(due, w.openItems()...)
	}
	w.record(ctx, "terms:"+in.RequestID, decision.Event{
		Actor:  in.Actor,
		Action: "agreement.terms_proposed",
		RuleID: st.Signing.Rule,
		Detail: detail,
		Due:    due,
	})
	return w.result(reopened), nil
}

func (w *agreement) validateSign(ctx workflow.Context, in AgreementSignInput) error {
	st := w.st
	if err := w.check(ctx, in.RequestID, "signed_on", in.SignedOn, st.OpenedOn); err != nil {
		return err
	}
	if st.Status == AgreementAgreed {
		return conflict("status", fmt.Sprintf("version %d was agreed on %s: it is signed again when renewed or re-opened", st.Version, st.AgreedOn))
	}
	party := w.party(in.Actor)
	if party == "" {
		return invalidRule("actor", fmt.Sprintf("%q may not sign: only the supervisee (%s) and the supervisor of record (%s) sign the agreement", in.Actor, w.in.Person.StaffID, st.SupervisorID), st.Signing.Rule)
	}
	if st.Terms == nil {
		return conflict("terms", fmt.Sprintf("no terms have been proposed for version %d: the supervisor proposes them before anyone signs", st.Version))
	}
	if in.SignedOn.Before(st.Terms.ProposedOn) {
		return invalid("signed_on", fmt.Sprintf("%s is before the terms were proposed on %s", in.SignedOn, st.Terms.ProposedOn))
	}
	for _, s := range st.Signatures {
		if s.Party == party {
			return conflict("actor", fmt.Sprintf("the %s (%s) already signed version %d on %s", party, s.StaffID, st.Version, s.SignedOn))
		}
	}
	return nil
}

// sign records a signature; the second one makes the version agreed and
// sets its renewal.
func (w *agreement) sign(ctx workflow.Context, in AgreementSignInput) (AgreementUpdateResult, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateSignAgreement
	party := w.party(in.Actor)
	st.Signatures = append(st.Signatures, AgreementSignature{Party: party, StaffID: in.Actor, SignedOn: in.SignedOn})
	ev := decision.Event{
		Actor:  in.Actor,
		Action: "agreement.signed",
		RuleID: st.Signing.Rule,
		Detail: map[string]any{"version": st.Version, "party": party, "signed_on": in.SignedOn.String()},
	}
	if len(st.Signatures) == 2 {
		// Agreed on the later signature: that is when both had signed.
		for _, s := range st.Signatures {
			if s.SignedOn.After(st.AgreedOn) {
				st.AgreedOn = s.SignedOn
			}
		}
		st.Status = AgreementAgreed
		ev.Action = "agreement.agreed"
		ev.Detail["agreed_on"] = st.AgreedOn.String()
		ev.Detail["terms"] = *st.Terms
		if it, ok := w.signingItem("met"); ok {
			ev.Due = append(ev.Due, it)
		}
		if due, rule, ok := w.in.Rules.RenewalDue(st.AgreedOn, w.cal); ok {
			st.Renewal = &DueState{Seq: st.Version + 1, Due: due, Rule: rule}
			ev.Detail["next_renewal"] = due.String()
			ev.Due = append(ev.Due, w.openItems()...)
		}
	}
	w.record(ctx, "signature:"+in.RequestID, ev)
	return w.result(false), nil
}

func (w *agreement) validateChange(ctx workflow.Context, in AgreementChangeInput) error {
	if err := w.check(ctx, in.RequestID, "on", in.On, w.in.Person.Start); err != nil {
		return err
	}
	if in.Event == "supervisor_change" {
		return invalid("event", "a change of supervisor is recorded as a supervisor change (POST /api/v1/staff/{id}/supervisor), which passes the file on")
	}
	if !slices.Contains(AgreementChangeEvents, in.Event) {
		return invalid("event", fmt.Sprintf("%q is not one of %v", in.Event, AgreementChangeEvents))
	}
	if w.party(in.Actor) == "" {
		return invalidRule("actor", fmt.Sprintf("%q may not record a change: either party to the agreement does, the supervisee (%s) or the supervisor of record (%s)", in.Actor, w.in.Person.StaffID, w.st.SupervisorID), w.ruleFor(in.Event))
	}
	if in.Reason == "" {
		return invalid("reason", "is required: what changed")
	}
	return nil
}

// recordChange records a change either party reports; it re-opens the
// agreement only when the pack lists the event.
func (w *agreement) recordChange(ctx workflow.Context, in AgreementChangeInput) (AgreementUpdateResult, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateRecordAgreementChange
	ev := decision.Event{
		Actor:  in.Actor,
		Action: "agreement.change_recorded",
		RuleID: w.ruleFor(in.Event),
		Reason: in.Reason,
		Detail: map[string]any{"event": in.Event, "on": in.On.String(), "party": w.party(in.Actor), "reopens": w.in.Rules.Reopens(in.Event)},
	}
	reopened := w.in.Rules.Reopens(in.Event)
	if reopened {
		w.reopen(&ev, in.Event, in.On)
	}
	w.record(ctx, "change:"+in.RequestID, ev)
	return w.result(reopened), nil
}

func (w *agreement) validateSupervisor(ctx workflow.Context, in SupervisorInput) error {
	if err := w.check(ctx, in.RequestID, "from", in.From, w.in.Person.Start); err != nil {
		return err
	}
	return checkSupervisorChange(in, w.in.Person.StaffID, w.st.SupervisorID)
}

// reopen opens a new version for a change the pack lists, on the change's
// event: the items the old version leaves, closed, and the new one's.
func (w *agreement) reopen(ev *decision.Event, reason string, on policy.Date) {
	ev.Action = "agreement.reopened"
	ev.Due = w.openVersion(reason, on)
	maps.Copy(ev.Detail, w.versionDetail())
	ev.Due = append(ev.Due, w.openItems()...)
}

// changeSupervisor: the new supervisor takes over; where the pack says so,
// the agreement re-opens and is due signed again within the limit.
func (w *agreement) changeSupervisor(ctx workflow.Context, in SupervisorInput) (ChangeResult, error) {
	w.touch()
	st := w.st
	st.Requests[in.RequestID] = UpdateChangeSupervisor
	previous := st.SupervisorID
	st.SupervisorID, st.ManagerID = in.SupervisorID, in.ManagerID
	reopens := w.in.Rules.Reopens("supervisor_change")
	ev := decision.Event{
		Actor:  in.Actor,
		Action: "agreement.supervisor_changed",
		RuleID: w.ruleFor("supervisor_change"),
		Detail: map[string]any{"from_supervisor": previous, "to_supervisor": in.SupervisorID, "from": in.From.String(), "reopens": reopens},
	}
	if reopens {
		w.reopen(&ev, "supervisor_change", in.From)
	}
	w.record(ctx, "supervisor:"+in.RequestID, ev)
	return ChangeResult{Status: st.Status}, nil
}
