package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Updates and query of a record's sign-off.
const (
	UpdateWriteRecord     = "WriteRecord"     // the supervisor writes (or rewrites) the draft
	UpdateSignRecord      = "SignRecord"      // a party signs the current version
	UpdateDisputeRecord   = "DisputeRecord"   // the supervisee disagrees, in their words
	UpdateAmendRecord     = "AmendRecord"     // amended by agreement: a new version both sign
	UpdateRecordBothViews = "RecordBothViews" // no agreement: both views noted, both sign
	UpdateFinaliseRecord  = "FinaliseRecord"  // the manager finalises: never amended again

	// QueryRecord returns the record as the lifecycle holds it (RecordState).
	QueryRecord = "record"
)

// Due item keys and kinds of a record.
const (
	signOffKey        = "signoff"
	finaliseKey       = "finalise"
	kindRecordSignOff = "record_signoff"
	kindRecordFinal   = "record_finalise"
)

// SignOffResult is how a record's sign-off ended.
type SignOffResult struct {
	Status  string `json:"status"` // "finalised" or "closed"
	Outcome string `json:"outcome,omitempty"`
	Version int    `json:"version"`
}

// SignOffState is everything the lifecycle knows about the record. The text
// kept here is the current version's: every version is in the database.
type SignOffState struct {
	Status         string `json:"status"`
	Version        int    `json:"version"` // 0 until the supervisor writes
	Kind           string `json:"kind,omitempty"`
	Text           string `json:"text,omitempty"`
	SupervisorView string `json:"supervisor_view,omitempty"`
	SuperviseeView string `json:"supervisee_view,omitempty"`
	// Who has signed the current version.
	SupervisorSigned bool `json:"supervisor_signed"`
	SuperviseeSigned bool `json:"supervisee_signed"`
	// Disputes counts disputes; DisputeView is the open one's.
	Disputes    int    `json:"disputes"`
	DisputeView string `json:"dispute_view,omitempty"`
	Outcome     string `json:"outcome,omitempty"`
	// Due is the deadline for both signatures; Timed is false when the pack
	// gives the next session as the limit and none is due.
	Due          DueState    `json:"due"`
	Timed        bool        `json:"timed"`
	SignedOn     policy.Date `json:"signed_on"`
	FinalisedBy  string      `json:"finalised_by,omitempty"`
	FinalisedOn  policy.Date `json:"finalised_on"`
	ClosedReason string      `json:"closed_reason,omitempty"`
	// Requests maps a processed request id to the update that used it.
	Requests map[string]string `json:"requests"`

	// AvailableOn is the day the supervisor first signed and so made the
	// record available: where the supervisor owes the deadline, that meets it.
	AvailableOn policy.Date `json:"available_on,omitzero"`
}

// RecordState is the query view of a record.
type RecordState struct {
	RecordID         string      `json:"record_id"`
	StaffID          string      `json:"staff_id"`
	SupervisorID     string      `json:"supervisor_id"`
	ManagerID        string      `json:"manager_id,omitempty"`
	HeldOn           policy.Date `json:"held_on"`
	PreviousRecordID string      `json:"previous_record_id,omitempty"`
	Rule             string      `json:"rule"`
	SignOffState
}

// Update inputs. Actor is set by the API from the caller's identity.
type (
	RecordTextInput struct {
		RequestID string `json:"request_id"`
		Text      string `json:"text"`
		Actor     string `json:"actor"`
	}
	// RecordSignInput signs Version, the version the signer read: a version
	// that changed under them is refused.
	RecordSignInput struct {
		RequestID string `json:"request_id"`
		Version   int    `json:"version"`
		Actor     string `json:"actor"`
	}
	RecordDisputeInput struct {
		RequestID string `json:"request_id"`
		Version   int    `json:"version"`
		View      string `json:"view"`
		Actor     string `json:"actor"`
	}
	// RecordBothViewsInput notes the supervisor's view beside the
	// supervisee's (the dispute's, unless restated).
	RecordBothViewsInput struct {
		RequestID      string `json:"request_id"`
		SupervisorView string `json:"supervisor_view"`
		SuperviseeView string `json:"supervisee_view,omitempty"`
		Actor          string `json:"actor"`
	}
	RecordFinaliseInput struct {
		RequestID string `json:"request_id"`
		Actor     string `json:"actor"`
	}
	// RecordChange is what every record update answers.
	RecordChange struct {
		RecordID string      `json:"record_id"`
		Status   string      `json:"status"`
		Version  int         `json:"version"`
		Outcome  string      `json:"outcome,omitempty"`
		Due      policy.Date `json:"due"`
		Rule     string      `json:"rule"`
	}
)

// signOff is one run of a record's lifecycle.
type signOff struct {
	*lifecycle
	in SignOffInput
	st *SignOffState
}

// RecordAmendInput is an amendment by agreement: new text, like a write,
// that both parties then sign.
type RecordAmendInput = RecordTextInput

// SignOff keeps one supervision record from draft to finalised: the
// supervisor writes and signs it, the supervisee checks and signs (or
// disputes, then it is amended by agreement or both views are recorded, and
// both sign again) within the pack's limit, and the supervisor or their
// manager finalises it, after which it is never amended. A missed limit
// notifies the supervisor, then escalates; a leaver's record closes unsigned.
func SignOff(ctx workflow.Context, in SignOffInput) (SignOffResult, error) {
	p := in.Person
	w := &signOff{
		lifecycle: newLifecycle(ctx, "signoff", "supervision record", p.StaffID, p.Name, p.Authority, p.Team, in.Pack, in.ClosureDays, in.Escalation),
		in:        in,
	}
	// Handlers first: an update or query may arrive before the first write.
	if in.State == nil {
		w.initState()
	} else {
		w.st = in.State
	}
	if err := w.registerHandlers(ctx); err != nil {
		return SignOffResult{}, err
	}
	w.onLeave(ctx, w.leave)
	if in.State == nil {
		w.started(ctx)
	}
	again, err := w.run(ctx, w.finished, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return SignOffResult{}, err
	}
	if again {
		next := w.in
		next.State = w.st
		return SignOffResult{}, workflow.NewContinueAsNewError(ctx, SignOffWorkflow, next)
	}
	return SignOffResult{Status: w.st.Status, Outcome: w.st.Outcome, Version: w.st.Version}, nil
}

// signOffDue is the day by which both have signed. Both limits the packs
// give run from the session: Cumberland's notes are "signed by the
// supervisor and made available ... within 5 working days for checking and
// signing" (C-REC-1), Surrey's forms are added "within 2 working days of the
// supervision session" (S-REC-1); Bolton's "at the earliest opportunity or
// at the next supervision session" (B-REC-1) is the next session's due date.
func signOffDue(in SignOffInput, cal *policy.Calendar) (policy.Date, bool) {
	if in.Rules.By == "next_session" {
		return in.NextSessionDue, !in.NextSessionDue.IsZero()
	}
	if in.Rules.Within.IsZero() {
		return policy.Date{}, false
	}
	return in.Rules.Within.AddTo(in.HeldOn, cal), true
}

func (w *signOff) initState() {
	due, timed := signOffDue(w.in, w.cal)
	if !timed {
		due = w.in.HeldOn // listed from the session, never overdue
	}
	w.st = &SignOffState{
		Status:   decision.RecordDraft,
		Due:      DueState{Seq: 1, Due: due, Rule: w.in.Rules.Rule},
		Timed:    timed,
		Requests: map[string]string{},
	}
}

func (w *signOff) started(ctx workflow.Context) {
	reason := fmt.Sprintf("session held on %s: the record is signed by both by %s", w.in.HeldOn, w.st.Due.Due)
	if w.in.Rules.SupervisorOwes() {
		reason = fmt.Sprintf("session held on %s: the supervisor signs the record and makes it available to the supervisee by %s; the supervisee's check has no deadline", w.in.HeldOn, w.st.Due.Due)
	}
	if !w.st.Timed {
		reason = fmt.Sprintf("session held on %s: the record is signed at the earliest opportunity; no next session is due, so no deadline runs", w.in.HeldOn)
	}
	w.record(ctx, "started", decision.Event{
		Actor:  w.in.Actor,
		Action: "signoff.started",
		RuleID: w.in.Rules.Rule,
		Reason: reason,
		Detail: map[string]any{"record_id": w.in.RecordID, "held_on": w.in.HeldOn.String(), "due": w.st.Due.Due.String(),
			"previous_record_id": w.in.PreviousRecordID, "session_workflow_id": w.in.SessionWorkflowID},
		Due:    []decision.DueItemRecord{w.signOffItem("due", policy.Date{})},
		Record: w.row(),
	})
}

func (w *signOff) finished() bool {
	return w.st.Status == decision.RecordFinalised || w.st.Status == decision.RecordClosed
}

// awaitingSignatures: the deadline runs until both have signed.
func (w *signOff) awaitingSignatures() bool {
	switch w.st.Status {
	case decision.RecordDraft, decision.RecordAwaitingSupervisee, decision.RecordDisputed:
		return true
	}
	return false
}

// deadlineOpen: the deadline runs until both have signed or, where the pack
// says the supervisor owes it (Cumberland's C-REC-1: the supervisor signs
// and makes the notes available within 5 working days), until the
// supervisor has signed; a slow supervisee is then nobody's overdue duty.
func (w *signOff) deadlineOpen() bool {
	if !w.awaitingSignatures() || !w.st.Timed {
		return false
	}
	return !w.in.Rules.SupervisorOwes() || w.st.AvailableOn.IsZero()
}

func (w *signOff) nextDeadline() (time.Time, bool) {
	if !w.deadlineOpen() {
		return time.Time{}, false
	}
	return w.earliest(w.st.Due)
}

func (w *signOff) fireDeadlines(ctx workflow.Context) {
	if !w.deadlineOpen() {
		return
	}
	w.fire(ctx, &w.st.Due, signOffKey, kindRecordSignOff, w.pending(), w.in.Person.SupervisorID, w.in.Person.ManagerID)
}

// pending names what the record is waiting for, for the notices.
func (w *signOff) pending() string {
	held := w.in.HeldOn.String()
	switch {
	case w.st.Status == decision.RecordDisputed:
		return "sign-off of the disputed record of the session on " + held
	case w.st.Status == decision.RecordAwaitingSupervisee:
		return "supervisee's check and signature of the record of the session on " + held
	case w.st.Version == 0:
		return "writing and signing of the record of the session on " + held
	}
	return "supervisor's signature of the record of the session on " + held
}

// leave closes the record unsigned (or signed but not finalised) when the
// supervisee leaves, recording why.
func (w *signOff) leave(ctx workflow.Context, s LeaveSignal) {
	if w.finished() {
		return
	}
	was := w.st.Status
	w.st.Status = decision.RecordClosed
	w.st.ClosedReason = fmt.Sprintf("closed %s, %s: the supervisee left the service: %s", s.On, describeStatus(was), s.Reason)
	due := []decision.DueItemRecord{}
	switch {
	case was == decision.RecordSigned:
		due = append(due, w.dueItem(finaliseKey, kindRecordFinal, w.st.SignedOn, decision.DueStatusClosed, policy.Date{}, w.in.Rules.Rule))
	case w.supervisorMet():
		// the supervisor met the deadline; the supervisee's check was not owed by a day
	default:
		due = append(due, w.signOffItem(decision.DueStatusClosed, policy.Date{}))
	}
	w.record(ctx, "closed", decision.Event{
		Actor: s.Actor, Action: "signoff.closed", RuleID: w.in.Rules.Rule, Reason: w.st.ClosedReason,
		Detail: map[string]any{"on": s.On.String(), "status_was": was, "version": w.st.Version},
		Due:    due, Record: w.row(),
	})
}

// supervisorMet reports a deadline the supervisor owed and met.
func (w *signOff) supervisorMet() bool {
	return w.in.Rules.SupervisorOwes() && !w.st.AvailableOn.IsZero()
}

func describeStatus(status string) string {
	switch status {
	case decision.RecordSigned:
		return "signed by both but not finalised"
	case decision.RecordAwaitingSupervisee:
		return "unsigned by the supervisee"
	case decision.RecordDisputed:
		return "disputed and unsigned"
	}
	return "not signed by the supervisor"
}

// signOffItem is the projection of the signatures' deadline.
func (w *signOff) signOffItem(status string, met policy.Date) decision.DueItemRecord {
	return w.dueItem(signOffKey, kindRecordSignOff, w.st.Due.Due, status, met, w.st.Due.Rule)
}

// row is the record's row as it now stands.
func (w *signOff) row() *decision.RecordWrite {
	p := w.in.Person
	r := &decision.RecordWrite{
		ID: w.in.RecordID, StaffID: p.StaffID, SupervisorID: p.SupervisorID, ManagerID: p.ManagerID, Team: p.Team,
		SessionWorkflowID: w.in.SessionWorkflowID, SessionKind: w.in.SessionKind, HeldOn: w.in.HeldOn.String(),
		DueOn: w.st.Due.Due.String(), RuleID: w.in.Rules.Rule, PreviousRecordID: w.in.PreviousRecordID,
		Status: w.st.Status, Outcome: w.st.Outcome, CurrentVersion: w.st.Version,
		FinalisedBy: w.st.FinalisedBy, ClosedReason: w.st.ClosedReason,
	}
	if !w.st.SignedOn.IsZero() {
		r.SignedOn = w.st.SignedOn.String()
	}
	return r
}

func (w *signOff) view() RecordState {
	p := w.in.Person
	return RecordState{
		RecordID: w.in.RecordID, StaffID: p.StaffID, SupervisorID: p.SupervisorID, ManagerID: p.ManagerID,
		HeldOn: w.in.HeldOn, PreviousRecordID: w.in.PreviousRecordID, Rule: w.in.Rules.Rule, SignOffState: *w.st,
	}
}

// schedule is the record's duties in the shared shape.
func (w *signOff) schedule() Schedule {
	p := w.in.Person
	s := Schedule{
		StaffID: p.StaffID, Lifecycle: KindSignOff, Pack: w.in.Pack, Status: w.st.Status,
		Start: w.in.HeldOn, End: w.st.Due.Due, SupervisorID: p.SupervisorID, LastSessionOn: w.in.HeldOn,
		Items: []Item{},
	}
	d := w.st.Due
	it := Item{Key: signOffKey, Kind: kindRecordSignOff, Due: d.Due, Escalated: d.Escalated, Rule: d.Rule}
	switch {
	case w.supervisorMet():
		it.Status, it.HeldOn = decision.DueStatusMet, w.st.AvailableOn
	case w.awaitingSignatures():
		it.Status = dueStatus(d.Overdue)
	case w.st.SignedOn.IsZero():
		it.Status = decision.DueStatusClosed
	default:
		it.Status, it.HeldOn = decision.DueStatusMet, w.st.SignedOn
	}
	s.Items = append(s.Items, it)
	if !w.st.SignedOn.IsZero() {
		f := Item{Key: finaliseKey, Kind: kindRecordFinal, Due: w.st.SignedOn, Status: decision.DueStatusDue, Rule: d.Rule}
		switch w.st.Status {
		case decision.RecordFinalised:
			f.Status, f.HeldOn = decision.DueStatusMet, w.st.FinalisedOn
		case decision.RecordClosed:
			f.Status = decision.DueStatusClosed
		}
		s.Items = append(s.Items, f)
	}
	return s
}

func (w *signOff) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (Schedule, error) { return w.schedule(), nil }); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, QueryRecord, func() (RecordState, error) { return w.view(), nil }); err != nil {
		return err
	}
	return setUpdates(ctx,
		updateHandler{UpdateWriteRecord, w.writeText, w.validateText},
		updateHandler{UpdateSignRecord, w.sign, w.validateSign},
		updateHandler{UpdateDisputeRecord, w.dispute, w.validateDispute},
		updateHandler{UpdateAmendRecord, w.amend, w.validateAmend},
		updateHandler{UpdateRecordBothViews, w.bothViews, w.validateBothViews},
		updateHandler{UpdateFinaliseRecord, w.finalise, w.validateFinalise},
	)
}

// roleOf is the part the actor plays in this record, "" for anyone else.
func (w *signOff) roleOf(actor string) string {
	switch actor {
	case "":
		return ""
	case w.in.Person.StaffID:
		return decision.RoleSupervisee
	case w.in.Person.SupervisorID:
		return decision.RoleSupervisor
	}
	return ""
}

// check refuses a missing or reused request id, and any change to a record
// that is finalised (it can never be amended) or closed.
func (w *signOff) check(ctx workflow.Context, requestID string) error {
	if err := checkRequest(ctx, w.st.Requests, requestID, "", policy.Date{}, policy.Date{}); err != nil {
		return err
	}
	switch w.st.Status {
	case decision.RecordFinalised:
		return conflict("status", fmt.Sprintf("record %s was finalised by %s on %s and can never be amended", w.in.RecordID, w.st.FinalisedBy, w.st.FinalisedOn))
	case decision.RecordClosed:
		return conflict("status", "the record is closed: "+w.st.ClosedReason)
	}
	return nil
}

// mustBe refuses an actor who is not in role, naming who is.
func (w *signOff) mustBe(actor string, roles ...string) error {
	got := w.roleOf(actor)
	for _, r := range roles {
		if got == r {
			return nil
		}
	}
	return invalidRule("actor", fmt.Sprintf("%q may not do this: only the %s (%s) may", actor, roles[0], w.holder(roles[0])), w.in.Rules.Rule)
}

func (w *signOff) holder(role string) string {
	if role == decision.RoleSupervisee {
		return w.in.Person.StaffID
	}
	return w.in.Person.SupervisorID
}

func (w *signOff) checkVersion(v int) error {
	if v != w.st.Version {
		return conflict("version", fmt.Sprintf("version %d is current, not %d: read it before signing", w.st.Version, v))
	}
	return nil
}

func text(field, s string) error {
	if s == "" {
		return invalid(field, "is required")
	}
	return nil
}

// change is what every update answers.
func (w *signOff) change() RecordChange {
	return RecordChange{RecordID: w.in.RecordID, Status: w.st.Status, Version: w.st.Version, Outcome: w.st.Outcome, Due: w.st.Due.Due, Rule: w.in.Rules.Rule}
}

func (w *signOff) validateText(ctx workflow.Context, in RecordTextInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	if err := w.mustBe(in.Actor, decision.RoleSupervisor); err != nil {
		return err
	}
	if w.st.Status != decision.RecordDraft || w.st.Disputes > 0 {
		return conflict("status", fmt.Sprintf("the record is %s at version %d: once signed, its text changes only by an agreed amendment", w.st.Status, w.st.Version))
	}
	return text("text", in.Text)
}

// writeText keeps a new version of the supervisor's draft.
func (w *signOff) writeText(ctx workflow.Context, in RecordTextInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateWriteRecord
	w.newVersion(decision.VersionDraft, in.Text, "", "")
	w.write(ctx, "text:"+in.RequestID, in.Actor, "signoff.text_written", "", w.versionWrite(in.Actor))
	return w.change(), nil
}

func (w *signOff) newVersion(kind, text, supervisorView, superviseeView string) {
	w.st.Version++
	w.st.Kind, w.st.Text = kind, text
	w.st.SupervisorView, w.st.SuperviseeView = supervisorView, superviseeView
	w.st.SupervisorSigned, w.st.SuperviseeSigned = false, false
	w.st.Status = decision.RecordDraft
}

func (w *signOff) versionWrite(author string) *decision.RecordWrite {
	r := w.row()
	r.Version = &decision.RecordVersionWrite{
		Version: w.st.Version, Kind: w.st.Kind, Text: w.st.Text,
		SupervisorView: w.st.SupervisorView, SuperviseeView: w.st.SuperviseeView, AuthorID: author,
	}
	return r
}

// write records one decision about the record.
func (w *signOff) write(ctx workflow.Context, eventID, actor, action, reason string, rec *decision.RecordWrite, due ...decision.DueItemRecord) {
	w.record(ctx, eventID, decision.Event{
		Actor: actor, Action: action, RuleID: w.in.Rules.Rule, Reason: reason,
		Detail: map[string]any{"record_id": w.in.RecordID, "version": w.st.Version, "status": w.st.Status},
		Due:    due, Record: rec,
	})
}

func (w *signOff) validateSign(ctx workflow.Context, in RecordSignInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	role := w.roleOf(in.Actor)
	if role == "" {
		return invalidRule("actor", fmt.Sprintf("%q may not sign: only the supervisee (%s) and the supervisor (%s) sign the record", in.Actor, w.in.Person.StaffID, w.in.Person.SupervisorID), w.in.Rules.Rule)
	}
	if err := w.checkVersion(in.Version); err != nil {
		return err
	}
	switch {
	case w.st.Version == 0:
		return conflict("status", "there is no text to sign: the supervisor writes the record first")
	case role == decision.RoleSupervisor && w.st.SupervisorSigned:
		return conflict("actor", fmt.Sprintf("the supervisor has already signed version %d", w.st.Version))
	case role == decision.RoleSupervisee && w.st.SuperviseeSigned:
		return conflict("actor", fmt.Sprintf("the supervisee has already signed version %d", w.st.Version))
	case role == decision.RoleSupervisee && w.st.Status == decision.RecordDisputed:
		return conflict("status", fmt.Sprintf("version %d is disputed: amend it by agreement or record both views, then both sign", w.st.Version))
	case role == decision.RoleSupervisee && !w.st.SupervisorSigned:
		return conflict("status", fmt.Sprintf("the supervisor has not signed version %d yet: the supervisee checks and signs a signed record", w.st.Version))
	case w.st.Status == decision.RecordSigned:
		return conflict("status", "both have signed; the record awaits finalisation")
	}
	return nil
}

// sign adds a signature; the supervisee's, after the supervisor's, meets
// the deadline and puts the record before the manager to finalise.
func (w *signOff) sign(ctx workflow.Context, in RecordSignInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateSignRecord
	role := w.roleOf(in.Actor)
	var due []decision.DueItemRecord
	if role == decision.RoleSupervisor {
		w.st.SupervisorSigned = true
		w.st.Status = decision.RecordAwaitingSupervisee
		if w.in.Rules.SupervisorOwes() && w.st.AvailableOn.IsZero() {
			// Signed and available to the supervisee: the supervisor's deadline is met.
			w.st.AvailableOn = today(ctx)
			due = append(due, w.signOffItem(decision.DueStatusMet, w.st.AvailableOn))
		}
	} else {
		w.st.SuperviseeSigned = true
		w.st.Status = decision.RecordSigned
		w.st.SignedOn = today(ctx)
		w.st.Outcome = w.outcome()
		if !w.in.Rules.SupervisorOwes() {
			due = append(due, w.signOffItem(decision.DueStatusMet, w.st.SignedOn))
		}
		// The policies give the manager no time to finalise, so the item is
		// listed from the day both signed and never goes overdue.
		due = append(due, w.dueItem(finaliseKey, kindRecordFinal, w.st.SignedOn, decision.DueStatusDue, policy.Date{}, w.in.Rules.Rule))
	}
	rec := w.row()
	rec.Signature = &decision.RecordSignatureWrite{Version: w.st.Version, Role: role, SignerID: in.Actor}
	w.write(ctx, "sign:"+in.RequestID, in.Actor, "signoff.signed", fmt.Sprintf("the %s signed version %d", role, w.st.Version), rec, due...)
	return w.change(), nil
}

// outcome is how the supervisee's check ended, shown on the next record.
func (w *signOff) outcome() string {
	switch w.st.Kind {
	case decision.VersionAmendment:
		return decision.OutcomeAmended
	case decision.VersionBothViews:
		return decision.OutcomeBothViews
	}
	return decision.OutcomeApproved
}

func (w *signOff) validateDispute(ctx workflow.Context, in RecordDisputeInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	if err := w.mustBe(in.Actor, decision.RoleSupervisee); err != nil {
		return err
	}
	if err := w.checkVersion(in.Version); err != nil {
		return err
	}
	switch {
	case w.st.Status != decision.RecordAwaitingSupervisee:
		return conflict("status", fmt.Sprintf("the record is %s: the supervisee disputes a version the supervisor has signed and they have not", w.st.Status))
	case w.st.Kind == decision.VersionBothViews:
		return conflict("status", "both views are already on the record: sign it")
	}
	return text("view", in.View)
}

func (w *signOff) dispute(ctx workflow.Context, in RecordDisputeInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateDisputeRecord
	w.st.Status = decision.RecordDisputed
	w.st.Disputes++
	w.st.DisputeView = in.View
	rec := w.row()
	rec.Dispute = &decision.RecordDisputeWrite{Version: w.st.Version, View: in.View, RaisedBy: in.Actor}
	// The view is personal: it lives on the record (purged with it at the
	// end of retention), never in the append-only audit log.
	w.write(ctx, "dispute:"+in.RequestID, in.Actor, "signoff.disputed", fmt.Sprintf("the supervisee disputed version %d; their view is on the record", w.st.Version), rec)
	return w.change(), nil
}

func (w *signOff) mustBeDisputed() error {
	if w.st.Status != decision.RecordDisputed {
		return conflict("status", fmt.Sprintf("the record is %s, not disputed", w.st.Status))
	}
	return nil
}

func (w *signOff) validateAmend(ctx workflow.Context, in RecordAmendInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	// Amended by agreement: either party may write the agreed text; both sign it.
	if err := w.mustBe(in.Actor, decision.RoleSupervisor, decision.RoleSupervisee); err != nil {
		return err
	}
	if err := w.mustBeDisputed(); err != nil {
		return err
	}
	if err := text("text", in.Text); err != nil {
		return err
	}
	if in.Text == w.st.Text {
		return invalid("text", fmt.Sprintf("is the text of version %d unchanged: record both views instead", w.st.Version))
	}
	return nil
}

func (w *signOff) amend(ctx workflow.Context, in RecordAmendInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateAmendRecord
	w.newVersion(decision.VersionAmendment, in.Text, "", "")
	w.st.DisputeView = ""
	w.write(ctx, "amend:"+in.RequestID, in.Actor, "signoff.amended", "amended by agreement after a dispute; both sign again", w.versionWrite(in.Actor))
	return w.change(), nil
}

func (w *signOff) validateBothViews(ctx workflow.Context, in RecordBothViewsInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	if err := w.mustBe(in.Actor, decision.RoleSupervisor); err != nil {
		return err
	}
	if err := w.mustBeDisputed(); err != nil {
		return err
	}
	return text("supervisor_view", in.SupervisorView)
}

// bothViews notes both views on a new version of the same text; both sign it.
func (w *signOff) bothViews(ctx workflow.Context, in RecordBothViewsInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateRecordBothViews
	supervisee := in.SuperviseeView
	if supervisee == "" {
		supervisee = w.st.DisputeView
	}
	w.newVersion(decision.VersionBothViews, w.st.Text, in.SupervisorView, supervisee)
	w.st.DisputeView = ""
	w.write(ctx, "both-views:"+in.RequestID, in.Actor, "signoff.both_views_recorded", "no agreement: both views are noted on the record and signed by both", w.versionWrite(in.Actor))
	return w.change(), nil
}

func (w *signOff) validateFinalise(ctx workflow.Context, in RecordFinaliseInput) error {
	if err := w.check(ctx, in.RequestID); err != nil {
		return err
	}
	p := w.in.Person
	if in.Actor == "" || (in.Actor != p.SupervisorID && in.Actor != p.ManagerID) {
		who := p.SupervisorID
		if p.ManagerID != "" {
			who += " or " + p.ManagerID
		}
		return invalidRule("actor", fmt.Sprintf("%q may not finalise: only the manager (%s) finalises the record", in.Actor, who), w.in.Rules.Rule)
	}
	if w.st.Status != decision.RecordSigned {
		return conflict("status", fmt.Sprintf("the record is %s: it is finalised once both have signed", w.st.Status))
	}
	return nil
}

// finalise closes the record for good; the lifecycle then ends.
func (w *signOff) finalise(ctx workflow.Context, in RecordFinaliseInput) (RecordChange, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateFinaliseRecord
	w.st.Status = decision.RecordFinalised
	w.st.FinalisedBy = in.Actor
	w.st.FinalisedOn = today(ctx)
	w.write(ctx, "finalised", in.Actor, "signoff.finalised", "finalised after both signed: it can never be amended", w.row(),
		w.dueItem(finaliseKey, kindRecordFinal, w.st.SignedOn, decision.DueStatusMet, w.st.FinalisedOn, w.in.Rules.Rule))
	return w.change(), nil
}
