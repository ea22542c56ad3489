package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// UpdateRecordAcademyGroup records a student's or NQSW's attendance at one
// of the Academy's mandatory group supervisions (the ASYE for an NQSW in the
// programme, personal supervision for a student). The seed gives no
// frequency, so an attendance is recorded and shown: it meets no due item
// and sets none, and nothing escalates.
const UpdateRecordAcademyGroup = "RecordAcademyGroupSupervision"

// AcademyInput is one attendance. Rule is the pack's
// academy_group_supervision rule for the worker's role, which the API reads
// (the pack a lifecycle started with may predate the block).
type AcademyInput struct {
	RequestID string      `json:"request_id"`
	HeldOn    policy.Date `json:"held_on"`
	Rule      string      `json:"rule"`
	Actor     string      `json:"actor"`
}

// AcademyResult counts the attendances recorded on this lifecycle.
type AcademyResult struct {
	Attended int    `json:"attended"`
	Rule     string `json:"rule"`
}

// checkAcademy refuses an attendance no pack block asks for, on top of the
// lifecycle's own request and date checks.
func checkAcademy(in AcademyInput) error {
	if in.Rule == "" {
		return invalid("rule", "this worker's pack or role has no academy_group_supervision block")
	}
	return nil
}

// recordAcademy writes the attendance; attended is the lifecycle's count.
func (l *lifecycle) recordAcademy(ctx workflow.Context, requests map[string]string, attended *int, in AcademyInput) AcademyResult {
	l.touch()
	requests[in.RequestID] = UpdateRecordAcademyGroup
	*attended++
	l.record(ctx, "academy:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: l.action + ".academy_group_supervision_attended", RuleID: in.Rule,
		Detail: map[string]any{"held_on": in.HeldOn.String(), "request_id": in.RequestID, "attended": *attended},
	})
	return AcademyResult{Attended: *attended, Rule: in.Rule}
}

func (w *asye) validateAcademy(ctx workflow.Context, in AcademyInput) error {
	if err := w.checkRequest(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	return checkAcademy(in)
}

func (w *asye) recordAcademy(ctx workflow.Context, in AcademyInput) (AcademyResult, error) {
	return w.lifecycle.recordAcademy(ctx, w.st.Requests, &w.st.AcademyAttended, in), nil
}

func (w *supervision) validateAcademy(ctx workflow.Context, in AcademyInput) error {
	if err := w.check(ctx, in.RequestID, "held_on", in.HeldOn); err != nil {
		return err
	}
	return checkAcademy(in)
}

func (w *supervision) recordAcademy(ctx workflow.Context, in AcademyInput) (AcademyResult, error) {
	return w.lifecycle.recordAcademy(ctx, w.st.Requests, &w.st.AcademyAttended, in), nil
}
