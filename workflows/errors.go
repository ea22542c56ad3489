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

func invalid(field, problem string) error {
	return temporal.NewNonRetryableApplicationError(field+": "+problem, ErrInvalid, nil, FieldProblem{Field: field, Problem: problem})
}

func invalidRule(field, problem, rule string) error {
	return temporal.NewNonRetryableApplicationError(field+": "+problem, ErrInvalid, nil, FieldProblem{Field: field, Problem: problem, Rule: rule})
}

func conflict(field, problem string) error {
	return temporal.NewNonRetryableApplicationError(field+": "+problem, ErrConflict, nil, FieldProblem{Field: field, Problem: problem})
}
