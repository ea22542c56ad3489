package workflows

import "go.temporal.io/sdk/temporal"

// Error types an update can be refused with. The API maps them to HTTP status
// codes; the details name the field and the problem.
const (
	ErrInvalid  = "Invalid"  // the request is malformed or breaks a rule: 422
	ErrConflict = "Conflict" // the request clashes with the lifecycle's state: 409
)

// FieldProblem names what is wrong with a request.
type FieldProblem struct {
	Field   string `json:"field"`
	Problem string `json:"problem"`
	Rule    string `json:"rule,omitempty"`
}

func invalid(field, problem string) error { return refuse(ErrInvalid, field, problem, "") }

func invalidRule(field, problem, rule string) error { return refuse(ErrInvalid, field, problem, rule) }

func conflict(field, problem string) error { return refuse(ErrConflict, field, problem, "") }

func conflictRule(field, problem, rule string) error {
	return refuse(ErrConflict, field, problem, rule)
}

// refuse is an update refused, typed for the API, naming the field at fault
// and the rule (if any) that refuses it.
func refuse(errType, field, problem, rule string) error {
	return temporal.NewNonRetryableApplicationError(field+": "+problem, errType, nil, FieldProblem{Field: field, Problem: problem, Rule: rule})
}
