package api

// The Academy's mandatory group supervisions for students and NQSWs
// (policy.AcademyGroupSupervision): recorded on the worker's lifecycle and
// shown, never due (workflows/academy.go).

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// AcademyRequest is one attendance at an Academy group supervision.
type AcademyRequest struct {
	RequestID string `json:"request_id"`
	HeldOn    string `json:"held_on"`
}

// recordAcademy records the attendance on the NQSW's ASYE or the student's
// personal supervision, under the pack in force on the day it was held. A
// worker whose pack or role has no academy_group_supervision block is a 422.
func (s *Server) recordAcademy(c *gin.Context) (int, any, error) {
	st, err := s.staff(c)
	if err != nil {
		return 0, nil, err
	}
	var req AcademyRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := requestChecks(req.RequestID)
	held := k.date("held_on", req.HeldOn)
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	on := held
	if today := policy.DateOf(time.Now()); on.After(today) {
		on = today // the workflow refuses a future day; the pack of today answers meanwhile
	}
	pack, err := s.Packs.Pack(st.Authority, on)
	if err != nil {
		return 0, nil, err
	}
	rule, ok := pack.AcademyRule(st.Role)
	if !ok {
		problem := fmt.Sprintf("%s pack %s asks no Academy group supervision of a %s", pack.Authority, pack.Version, st.Role)
		if a := pack.AcademyGroupSupervision; a != nil {
			problem += " (only of " + strings.Join(a.Roles, ", ") + ")"
		}
		return 0, nil, fail(http.StatusUnprocessableEntity, "role: "+problem, Problem{Field: "role", Problem: problem})
	}
	lifecycle := s.supervisionID
	if st.Role == "nqsw" {
		lifecycle = s.asyeID
	}
	in := workflows.AcademyInput{RequestID: req.RequestID, HeldOn: held, Rule: rule, Actor: actor(c)}
	return s.send(c, k, lifecycle, workflows.UpdateRecordAcademyGroup, in, &workflows.AcademyResult{})
}
