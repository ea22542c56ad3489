package api

import (
	"testing"

	"github.com/securebase/securebase/models"
)

// Every reason kept out of the audit log as personal text (a leave's
// reason, a pause, a cancellation, ...) is personal in the trail too, so a
// senior manager or HR reads the marker; before, only five actions were.
func TestTrailRedactsEveryPersonalText(t *testing.T) {
	for action := range models.PersonalTextActions {
		if !personalTrailAction(action) {
			t.Errorf("%s: its reason is personal text but the trail would show it to everyone", action)
		}
	}
	for _, action := range []string{"signoff.disputed", "staff.left", "asye.paused", "supervision.cancelled"} {
		if !personalTrailAction(action) {
			t.Errorf("%s is not redacted in the trail", action)
		}
	}
	for _, action := range []string{"supervision.session_recorded", "case.allocated", "signoff.finalised"} {
		if personalTrailAction(action) {
			t.Errorf("%s is redacted, but its reason is the system's", action)
		}
	}
}
