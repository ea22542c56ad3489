package decision

// StoreComplianceReportName is the compliance report activity's registered name.
const StoreComplianceReportName = "StoreComplianceReport"

// ComplianceInput asks for one authority's report for one month, as at a day.
type ComplianceInput struct {
	Authority  string `json:"authority"`
	Month      string `json:"month"`       // YYYY-MM
	AsAt       string `json:"as_at"`       // YYYY-MM-DD
	WorkflowID string `json:"workflow_id"` // the run asking, kept on the row
}

// ComplianceResult is what the stored report counts over all duties.
type ComplianceResult struct {
	Items   int `json:"items"`
	OnTime  int `json:"on_time"`
	Late    int `json:"late"`
	Missed  int `json:"missed"`
	Pending int `json:"pending"`
}
