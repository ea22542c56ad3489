// Package api is the HTTP face of securebase: the only package that imports
// gin. Handlers validate, then start, update or query lifecycles; lists are
// read from the database projection the activities write.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"
	"gorm.io/gorm"

	"github.com/securebase/securebase/policy"
)

// Server holds what the handlers need.
type Server struct {
	Temporal client.Client
	DB       *gorm.DB
	Packs    *policy.Registry
	Log      *slog.Logger
	Metrics  *Metrics // optional: request metrics and /metrics
	// Auth verifies the bearer token every /api/v1 request must carry.
	Auth *Authenticator
	// Wait bounds how long a request waits on a workflow (start, update, query).
	Wait time.Duration
}

// Handler builds the routes.
func (s *Server) Handler() http.Handler {
	if s.Wait == 0 {
		s.Wait = 30 * time.Second
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// The body's size is checked before anything else (413), so a refusal
	// never depends on which check happens to read the body first.
	r.Use(gin.Recovery(), s.logRequests, limitBody)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.ready)
	if s.Metrics != nil {
		r.GET("/metrics", gin.WrapH(s.Metrics.Handler()))
	}
	// Every API call carries a token (401 without one) and is checked
	// against the route's access rule (403), before anything is read or changed.
	v1 := r.Group("/api/v1", s.authenticate, s.authorize)
	v1.GET("/openapi.json", serveOpenAPI) // api/openapi.go
	v1.POST("/staff", s.handle(s.onboard))
	v1.GET("/staff/:id", s.handle(s.getStaff))
	v1.GET("/staff/:id/schedule", s.handle(s.getSchedule))
	v1.GET("/staff/:id/sessions", s.handle(s.listSessions))
	v1.GET("/staff/:id/notifications", s.handle(s.listNotifications))
	v1.POST("/staff/:id/sessions", s.handle(s.recordSession))
	v1.POST("/staff/:id/asye/reviews", s.handle(s.recordReview))
	v1.POST("/staff/:id/asye/pauses", s.handle(s.pause))
	v1.POST("/staff/:id/asye/resumptions", s.handle(s.resume))
	v1.POST("/staff/:id/asye/extensions", s.handle(s.extend))
	v1.POST("/staff/:id/asye/outcome", s.handle(s.recordOutcome))
	s.standingRoutes(v1)
	s.agreementRoutes(v1)
	s.supervisionRoutes(v1)
	s.recordRoutes(v1)
	s.caseRoutes(v1)
	s.trailRoutes(v1)
	s.holdRoutes(v1)
	s.retentionRoutes(v1)
	s.reportRoutes(v1)
	s.delegationRoutes(v1)
	s.importRoutes(v1)
	s.teamDutyRoutes(v1)                                                        // team_duty.go
	v1.POST("/staff/:id/concerns", s.handle(s.raiseConcern))                    // concern.go
	v1.POST("/staff/:id/academy-group-supervisions", s.handle(s.recordAcademy)) // academy.go
	s.dashboardRoutes(r)                                                        // the browser pages (api/dashboard.go), behind the same login
	r.NoRoute(func(c *gin.Context) {
		c.JSON(http.StatusNotFound, ErrorBody{Error: "no such endpoint: " + c.Request.Method + " " + c.Request.URL.Path})
	})
	return r
}

func (s *Server) logRequests(c *gin.Context) {
	start := time.Now()
	c.Next()
	if s.Metrics != nil {
		s.Metrics.observe(c, time.Since(start))
	}
	if s.Log != nil {
		s.Log.Info("request", "method", c.Request.Method, "route", c.FullPath(), "status", c.Writer.Status(), "duration", time.Since(start))
	}
}
