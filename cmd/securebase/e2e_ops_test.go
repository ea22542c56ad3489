package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/securebase/securebase/policy"
)

// Health, readiness and Prometheus metrics: the API's own series by route
// and the Temporal SDK's worker series, from one process.
func TestHealthReadinessAndMetrics(t *testing.T) {
	sys := startSystem(t, "")
	sys.expect("GET", "/healthz", nil, 200, "")
	ready := sys.expect("GET", "/readyz", nil, 200, "")
	if ready["database"] != "ok" || ready["temporal"] != "ok" {
		t.Fatalf("readyz %v", ready)
	}
	start := policy.DateOf(time.Now()).AddDays(-10).String()
	sys.expect("POST", "/api/v1/staff", map[string]any{"id": "hos-1", "name": "H", "authority": "plymouth", "team": "t", "role": "senior_manager", "start_date": start}, 201, "")
	sys.expect("POST", "/api/v1/staff", map[string]any{"id": "x", "authority": "plymouth"}, 422, "name")

	var text string
	eventually(t, "SDK worker metrics", func() bool {
		resp, err := http.Get(sys.base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		text = string(b)
		return strings.Contains(text, "temporal_workflow_completed")
	})
	for _, want := range []string{
		`securebase_http_requests_total{code="201",method="POST",route="/api/v1/staff"} 1`,
		`securebase_http_requests_total{code="422",method="POST",route="/api/v1/staff"} 1`,
		`securebase_http_request_duration_seconds_bucket{method="GET",route="/readyz"`,
		"go_goroutines",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
