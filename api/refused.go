package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
)

// ReadRefused is the audit action of a read the access rules refused.
const ReadRefused = "read.refused"

// auditRefusedRead leaves an audit row for a GET that was refused (403),
// through the same append as every other row (models.RecordRead): who
// tried to read what is part of the trail. It runs after the refusal is
// sent, so a failure to record is logged, not answered.
func (s *Server) auditRefusedRead(c *gin.Context) {
	if c.Request.Method != http.MethodGet || c.Writer.Status() != http.StatusForbidden || s.DB == nil {
		return
	}
	r := models.Read{Actor: actor(c), Action: ReadRefused, Path: c.Request.URL.RequestURI()}
	if r.Actor == "" {
		r.Actor = "unknown"
	}
	// Whose records were asked for, when the route names a person or a case.
	if id := c.Param("id"); trailIDPattern.MatchString(id) {
		switch route := c.FullPath(); {
		case strings.Contains(route, "/staff/"):
			r.StaffID = id
		case strings.Contains(route, "/cases/"):
			r.CaseID = id
		}
	}
	if err := models.RecordRead(c.Request.Context(), s.DB, r); err != nil && s.Log != nil {
		s.Log.Error("refused read not audited", "route", c.FullPath(), "actor", r.Actor, "error", err)
	}
}
