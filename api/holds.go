package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// holdRoutes: legal holds, which stop any purge of a person's records
// until lifted.
func (s *Server) holdRoutes(g *gin.RouterGroup) {
	g.POST("/holds", s.handle(s.placeHold))
	g.POST("/holds/:id/lift", s.handle(s.liftHold))
	g.GET("/holds", s.handle(s.listHolds))
}

// HoldRequest places a legal hold on a person's records.
type HoldRequest struct {
	RequestID string `json:"request_id"`
	StaffID   string `json:"staff_id"`
	Reason    string `json:"reason"`
}

// LiftRequest lifts a legal hold.
type LiftRequest struct {
	Reason string `json:"reason"`
}

// checkHold is every field problem of a hold request.
func checkHold(req HoldRequest) *checks {
	k := requestChecks(req.RequestID)
	k.id("staff_id", req.StaffID)
	k.text("reason", req.Reason, "a hold says why the records must be kept")
	return k
}

// placeHold places a hold (201), or returns the one the same request
// placed before (200). A hold may be placed on anyone securebase knows,
// before or after they leave.
func (s *Server) placeHold(c *gin.Context) (int, any, error) {
	var req HoldRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := checkHold(req)
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	if _, err := models.GetStaff(ctx, s.DB, req.StaffID); errors.Is(err, models.ErrNotFound) {
		return 0, nil, unprocessable([]Problem{{Field: "staff_id", Problem: fmt.Sprintf("no member of staff %q", req.StaffID)}})
	} else if err != nil {
		return 0, nil, err
	}
	hold, created, err := models.PlaceHold(ctx, s.DB, models.HoldRequest{RequestID: req.RequestID, StaffID: req.StaffID, Reason: req.Reason, Actor: actor(c)})
	if errors.Is(err, models.ErrHoldConflict) {
		return 0, nil, fail(http.StatusConflict, err.Error(), Problem{Field: "request_id", Problem: "was used for a different hold"})
	}
	if err != nil {
		return 0, nil, err
	}
	if created {
		return http.StatusCreated, hold, nil
	}
	return http.StatusOK, hold, nil
}

// liftHold lifts a hold and tells the person's Retention lifecycle, if
// any, so a purge that was due looks again now. Lifting it again for the
// same reason answers as before.
func (s *Server) liftHold(c *gin.Context) (int, any, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, badRequest("id", "is not a hold id")
	}
	var req LiftRequest
	if err := decode(c, &req); err != nil {
		return 0, nil, err
	}
	k := &checks{}
	k.text("reason", req.Reason, "lifting a hold says why the records may now go")
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	ctx := c.Request.Context()
	hold, _, err := models.LiftHold(ctx, s.DB, id, req.Reason, actor(c))
	switch {
	case errors.Is(err, models.ErrNotFound):
		return 0, nil, notFound(fmt.Sprintf("hold %d", id))
	case errors.Is(err, models.ErrHoldConflict):
		return 0, nil, fail(http.StatusConflict, err.Error(), Problem{Field: "reason", Problem: "the hold was already lifted for another reason"})
	case err != nil:
		return 0, nil, err
	}
	// The lifecycle re-checks on its own too, so a signal that finds no
	// running retention (not yet left, or already purged) is no error.
	retention := workflows.ID(workflows.KindRetention, hold.StaffID)
	if st, err := models.GetStaff(ctx, s.DB, hold.StaffID); err == nil {
		retention = retentionID(st) // a rehired leaver's is their latest leave's
	}
	err = s.Temporal.SignalWorkflow(ctx, retention, "", workflows.SignalHoldLifted, hold.ID)
	if err != nil && !isNotFound(err) {
		return 0, nil, err
	}
	return http.StatusOK, hold, nil
}

// listHolds lists every hold on a person, active or lifted.
func (s *Server) listHolds(c *gin.Context) (int, any, error) {
	staffID := c.Query("staff_id")
	if !idPattern.MatchString(staffID) {
		return 0, nil, badRequest("staff_id", "is required: a valid staff id")
	}
	holds, err := models.ListHolds(c.Request.Context(), s.DB, staffID)
	if err != nil {
		return 0, nil, err
	}
	active := 0
	for _, h := range holds {
		if h.Active() {
			active++
		}
	}
	return http.StatusOK, gin.H{"staff_id": staffID, "active": active, "holds": holds}, nil
}
