package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
)

// A refused read leaves an audit row naming who asked for what, chained
// like every other row; a refused write and an allowed read leave none of
// that kind.
func TestRefusedReadIsAudited(t *testing.T) {
	s := accessFixture(t)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	as := func(c *gin.Context) {
		c.Set(principalKey, Principal{ID: c.GetHeader("X-Test-Subject"), Roles: strings.Split(c.GetHeader("X-Test-Roles"), ",")})
	}
	v1 := r.Group("", as, s.authorize)
	for key := range accessRules {
		method, path, _ := strings.Cut(key, " ")
		v1.Handle(method, path, func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"reached": true}) })
	}
	call := func(who, roles, method, path string, want int) {
		t.Helper()
		req := httptest.NewRequest(method, path, strings.NewReader("{}"))
		req.Header.Set("X-Test-Subject", who)
		req.Header.Set("X-Test-Roles", roles)
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		if w.Code != want {
			t.Fatalf("%s %s as %s: %d %s, want %d", method, path, who, w.Code, w.Body, want)
		}
	}
	call("hr-1", RoleHR, "GET", "/api/v1/trail/staff/sw-1", http.StatusForbidden)
	call("tm-2", RoleSupervisor, "GET", "/api/v1/records/sw-1.s1", http.StatusForbidden)
	call("hr-1", RoleHR, "POST", "/api/v1/staff/sw-1/supervision/sessions", http.StatusForbidden)
	call("tm-1", RoleSupervisor, "GET", "/api/v1/teams/north/overdue", http.StatusOK)

	var rows []models.AuditEvent
	if err := s.DB.Where("action = ?", ReadRefused).Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Actor != "hr-1" || rows[0].StaffID != "sw-1" || !strings.Contains(rows[0].Detail, "/api/v1/trail/staff/sw-1") ||
		rows[1].Actor != "tm-2" || !strings.Contains(rows[1].Detail, "/api/v1/records/sw-1.s1") || rows[0].Hash == "" {
		t.Fatalf("refused-read audit rows %+v, want hr-1's trail read of sw-1 and tm-2's record read", rows)
	}
	if _, broken, err := models.VerifyAudit(context.Background(), s.DB); err != nil || broken != nil {
		t.Fatalf("the log after refused reads: %v, %v", broken, err)
	}
}
