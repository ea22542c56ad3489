package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the OpenAPI 3.1 description of every /api/v1 route,
// generated from the route table and the request structs by
// TestOpenAPIDocumentIsCurrent (openapi_test.go), which fails when it drifts.
//
//go:embed openapi.json
var openAPIDocument []byte

// serveOpenAPI serves the description to any signed-in role.
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}
