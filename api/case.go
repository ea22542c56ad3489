package api

import "github.com/gin-gonic/gin"

// caseRoutes adds the case endpoints.
func (s *Server) caseRoutes(g *gin.RouterGroup) {}
