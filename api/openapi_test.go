package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/workflows"
)

// The OpenAPI description (openapi.json, served at GET /api/v1/openapi.json)
// is generated from docRoutes below and the handlers' request structs:
//
//	go test ./api -run TestOpenAPIDocumentIsCurrent -update-openapi
//
// The tests fail when a route is added without an entry here, when an entry
// names no route, and when the committed file differs from what the request
// structs now say.
var updateOpenAPI = flag.Bool("update-openapi", false, "rewrite api/openapi.json from docRoutes and the request structs")

// docRoute is one operation: its route as gin registers it, what it does,
// and the request struct its handler decodes (nil: no JSON body).
type docRoute struct {
	method, path string
	tag, summary string
	body         any        // the request struct (a zero value), or nil
	resp         any        // the answer's type, where it is one (else: a JSON object)
	query        []docParam // query parameters
	created      bool       // a new resource is 201; its retry is 200
	csv          bool       // ?format=csv answers text/csv
	csvBody      bool       // the body is a CSV file, not JSON
}

type docParam struct {
	name, description string
	required          bool
}

var (
	authorityQuery = docParam{"authority", "the team's authority (a team's name is unique only within its authority); a supervisor's own by default", false}
	formatQuery    = docParam{"format", "json (default) or csv", false}
	staffIDQuery   = docParam{"staff_id", "the member of staff", true}
)

// docRoutes is every /api/v1 operation, in the order the document lists them.
var docRoutes = []docRoute{
	{method: "GET", path: "/api/v1/openapi.json", tag: "meta", summary: "This OpenAPI 3.1 description of the API"},

	{method: "POST", resp: StaffResponse{}, path: "/api/v1/staff", tag: "onboarding", summary: "Onboard a member of staff and start their lifecycles", body: StaffRequest{}, created: true},
	{method: "GET", resp: StaffResponse{}, path: "/api/v1/staff/:id", tag: "onboarding", summary: "A member of staff's record"},
	{method: "GET", path: "/api/v1/staff/:id/schedule", tag: "onboarding", summary: "Every lifecycle's due and overdue items, each with its pack rule, and records awaiting sign-off"},
	{method: "GET", path: "/api/v1/staff/:id/sessions", tag: "lists", summary: "The sessions recorded for a member of staff"},
	{method: "GET", path: "/api/v1/staff/:id/notifications", tag: "lists", summary: "The notifications sent about a member of staff"},
	{method: "POST", resp: ImportReport{}, path: "/api/v1/imports/:kind", tag: "imports", summary: "Check, or with ?apply=true import, a CSV export of the HR (kind staff) or case (kind cases) system", csvBody: true,
		query: []docParam{{"apply", "true imports the file; false (default) only checks it", false}}},

	{method: "POST", path: "/api/v1/staff/:id/sessions", tag: "asye", summary: "Record an ASYE supervision session", body: SessionRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/asye/reviews", tag: "asye", summary: "Record an ASYE review (3, 6 or 12 months)", body: ReviewRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/asye/pauses", tag: "asye", summary: "Pause the ASYE year", body: PauseRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/asye/resumptions", tag: "asye", summary: "Resume a paused ASYE year", body: ResumeRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/asye/extensions", tag: "asye", summary: "Extend the ASYE year", body: ExtendRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/asye/outcome", tag: "asye", summary: "Record the ASYE outcome", body: OutcomeRequest{}},

	{method: "POST", path: "/api/v1/staff/:id/supervisor", tag: "people", summary: "Change a member of staff's supervisor, in every running lifecycle", body: SupervisorRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/leave", tag: "people", summary: "Record a leaver: closes their lifecycles and starts retention", body: LeaveRequest{}},
	{method: "GET", path: "/api/v1/staff/:id/retention", tag: "retention", summary: "A leaver's retention: purge day and grace end"},
	{method: "POST", path: "/api/v1/staff/:id/retention", tag: "retention", summary: "Correct the leaving day, or withdraw the leave, within the grace", body: CorrectLeaveRequest{}},
	{method: "GET", path: "/api/v1/teams/:team/due", tag: "lists", summary: "A team's items due within the window, and everything overdue",
		query: []docParam{{"within", "how far ahead, like 14d (default) or 2w (up to 999)", false}, authorityQuery}},
	{method: "GET", path: "/api/v1/teams/:team/overdue", tag: "lists", summary: "A team's overdue items", query: []docParam{authorityQuery}},
	{method: "GET", resp: TeamDutiesResponse{}, path: "/api/v1/teams/:team/duties", tag: "team duties", summary: "The duties a team owes (group supervision, team brief, caseload review, case file audit) and where each stands", query: []docParam{authorityQuery}},
	{method: "POST", path: "/api/v1/teams/:team/duties/:duty/held", tag: "team duties", summary: "Record a team duty held", body: TeamDutyHeldRequest{}, query: []docParam{authorityQuery}},
	{method: "POST", path: "/api/v1/teams/:team/duties/:duty/records", tag: "team duties", summary: "Record the record of a team meeting made", body: TeamDutyRecordRequest{}, query: []docParam{authorityQuery}},
	{method: "POST", resp: workflows.ConcernResult{}, path: "/api/v1/staff/:id/concerns", tag: "supervision", summary: "Raise a concern about one's own supervision, routed as the pack says", body: ConcernRequest{}, created: true},

	{method: "GET", path: "/api/v1/staff/:id/agreement", tag: "agreement", summary: "The supervision agreement"},
	{method: "POST", path: "/api/v1/staff/:id/agreement/terms", tag: "agreement", summary: "Propose the agreement's terms", body: AgreementTermsRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/agreement/signatures", tag: "agreement", summary: "Sign the agreement", body: AgreementSignatureRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/agreement/changes", tag: "agreement", summary: "Record a change that re-opens the agreement", body: AgreementChangeRequest{}},

	{method: "GET", path: "/api/v1/staff/:id/supervision", tag: "supervision", summary: "Personal supervision: cadence, bookings, absences and what is due"},
	{method: "POST", path: "/api/v1/staff/:id/supervision/sessions", tag: "supervision", summary: "Record a personal supervision session", body: SupervisionSessionRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/bookings", tag: "supervision", summary: "Book a session ahead", body: BookingRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/cancellations", tag: "supervision", summary: "Cancel a booked session", body: CancellationRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/absences", tag: "supervision", summary: "Record an absence", body: AbsenceRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/returns", tag: "supervision", summary: "Record a return from absence", body: ReturnRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/cover", tag: "supervision", summary: "Arrange cover supervision", body: CoverRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/shifts", tag: "supervision", summary: "Record shifts worked", body: ShiftsRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/agenda", tag: "supervision", summary: "Share the agenda for a booked session", body: AgendaRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/observations", tag: "supervision", summary: "Record an observation of practice", body: ObservationRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/academy-group-supervisions", tag: "supervision", summary: "Record an Academy group supervision attended (shown, never due)", body: AcademyRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/appraisals", tag: "supervision", summary: "Record an appraisal", body: AppraisalRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/student-phase", tag: "supervision", summary: "Agree a student's placement phase", body: StudentPhaseRequest{}},
	{method: "POST", path: "/api/v1/staff/:id/supervision/extra-sessions", tag: "supervision", summary: "Add extra sessions", body: ExtraSessionsRequest{}},

	{method: "POST", path: "/api/v1/cases", tag: "cases", summary: "Allocate a case and start its lifecycle", body: AllocateRequest{}, created: true},
	{method: "GET", path: "/api/v1/cases/:id", tag: "cases", summary: "A case"},
	{method: "GET", path: "/api/v1/cases/:id/history", tag: "cases", summary: "A case's history"},
	{method: "POST", path: "/api/v1/cases/:id/supervisions", tag: "cases", summary: "Record case supervision", body: CaseSupervisionRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/records", tag: "cases", summary: "Record that the supervision record was filed", body: FiledRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/joint-working", tag: "cases", summary: "Record joint working", body: JointRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/decisions", tag: "cases", summary: "Record an oversight decision", body: DecisionRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/category", tag: "cases", summary: "Change the case's category", body: CategoryRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/transfer", tag: "cases", summary: "Transfer the case", body: TransferRequest{}},
	{method: "POST", path: "/api/v1/cases/:id/closure", tag: "cases", summary: "Close the case", body: CloseRequest{}},
	{method: "GET", path: "/api/v1/staff/:id/caseload", tag: "caseload", summary: "A worker's caseload"},
	{method: "POST", path: "/api/v1/staff/:id/caseload/analyses", tag: "caseload", summary: "Record a caseload analysis", body: AnalysisRequest{}},
	{method: "GET", path: "/api/v1/teams/:team/cases/due", tag: "lists", summary: "A team's case items due within the window",
		query: []docParam{{"within", "how far ahead, like 14d (default) or 2w (up to 999)", false}, authorityQuery}},
	{method: "GET", path: "/api/v1/teams/:team/cases/overdue", tag: "lists", summary: "A team's overdue case items", query: []docParam{authorityQuery}},

	{method: "GET", resp: RecordResponse{}, path: "/api/v1/records/:id", tag: "records", summary: "A supervision record (the read is audited)"},
	{method: "POST", path: "/api/v1/records/:id/text", tag: "records", summary: "Write the record's text", body: RecordTextRequest{}},
	{method: "POST", path: "/api/v1/records/:id/signatures", tag: "records", summary: "Sign the record", body: RecordSignRequest{}},
	{method: "POST", path: "/api/v1/records/:id/disputes", tag: "records", summary: "Dispute the record (the supervisee's view)", body: RecordDisputeRequest{}},
	{method: "POST", path: "/api/v1/records/:id/amendments", tag: "records", summary: "Amend the record's text", body: RecordTextRequest{}},
	{method: "POST", path: "/api/v1/records/:id/both-views", tag: "records", summary: "Record both views of a disputed record", body: RecordBothViewsRequest{}},
	{method: "POST", path: "/api/v1/records/:id/finalise", tag: "records", summary: "Finalise the record (then it never changes: 409)", body: RecordFinaliseRequest{}},

	{method: "GET", path: "/api/v1/trail/staff/:id", tag: "trail", summary: "Every decision about a person, joined with the Temporal history (the read is audited)", query: []docParam{formatQuery}, csv: true},
	{method: "GET", path: "/api/v1/trail/cases/:id", tag: "trail", summary: "Every decision about a case, joined with the Temporal history (the read is audited)", query: []docParam{formatQuery}, csv: true},

	{method: "POST", resp: models.LegalHold{}, path: "/api/v1/holds", tag: "retention", summary: "Place a legal hold: no purge until it is lifted", body: HoldRequest{}, created: true},
	{method: "POST", resp: models.LegalHold{}, path: "/api/v1/holds/:id/lift", tag: "retention", summary: "Lift a legal hold", body: LiftRequest{}},
	{method: "GET", path: "/api/v1/holds", tag: "retention", summary: "A member of staff's legal holds", query: []docParam{staffIDQuery}},

	{method: "GET", path: "/api/v1/reports/compliance", tag: "reports", summary: "The monthly compliance report, by duty kind, team, supervisor and worker", csv: true, query: []docParam{
		{"authority", "the authority", true},
		{"month", "YYYY-MM", true},
		{"team", "one team", false},
		{"as_at", "recompute as at YYYY-MM-DD", false},
		{"view", `"summary": counts only (totals and teams), as at today from the stored summary`, false},
		formatQuery,
	}},

	{method: "POST", resp: DelegationView{}, path: "/api/v1/delegations", tag: "delegations", summary: "Delegate non-managerial tasks for a supervisee or case until a date", body: DelegationRequest{}, created: true},
	{method: "POST", resp: DelegationView{}, path: "/api/v1/delegations/:id/revoke", tag: "delegations", summary: "Revoke a delegation", body: RevokeRequest{}},
	{method: "GET", path: "/api/v1/delegations", tag: "delegations", summary: "The delegations a person gave, received or is the subject of", query: []docParam{staffIDQuery}},
}

// errorStatuses say when each error status applies.
var errorStatuses = map[string]string{
	"400": "malformed: the body is not one JSON object of this request's fields, or a query parameter is wrong",
	"401": "no valid bearer token",
	"403": "the route's access rule does not admit the caller (or the caller has left)",
	"404": "what the path names does not exist",
	"409": "the request's id was used before with a different body, or the current state forbids the change (a finalised record)",
	"413": "the body is larger than 64 KiB",
	"422": "a field's value breaks a rule (each problem names the field, and the pack rule where there is one)",
	"503": "the workflow service or database is unavailable; try again",
}

// openAPIPath turns gin's /staff/:id into OpenAPI's /staff/{id}.
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func openAPIPath(ginPath string) string { return ginParam.ReplaceAllString(ginPath, "{$1}") }

// jsonFields are a struct's JSON field names and types, as encoding/json
// reads them (embedded structs flattened, "-" skipped).
func jsonFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if ft := f.Type; f.Anonymous && name == "" {
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		f.Name = name
		out = append(out, f)
	}
	return out
}

var (
	marshaler   = reflect.TypeFor[json.Marshaler]()
	unmarshaler = reflect.TypeFor[json.Unmarshaler]()
	timeType    = reflect.TypeFor[time.Time]()
)

// schemas collects the named structs the document refers to, by name.
type schemas struct {
	byName map[string]any
	types  map[string]reflect.Type
}

// schemaOf is the JSON Schema of a Go type as encoding/json writes and reads
// it. A named struct becomes a component the schema refers to.
func (sc *schemas) schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer { // null when unset
		inner := sc.schemaOf(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			inner["type"] = []string{typ, "null"}
			return inner
		}
		if _, ok := inner["$ref"]; ok {
			return map[string]any{"anyOf": []any{inner, map[string]any{"type": "null"}}}
		}
		return inner
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	if t.Implements(marshaler) || reflect.PointerTo(t).Implements(unmarshaler) {
		return map[string]any{} // its own JSON form
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": sc.schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": sc.schemaOf(t.Elem())}
	case reflect.Struct:
		if t.Name() == "" {
			return sc.object(t)
		}
		ref := map[string]any{"$ref": "#/components/schemas/" + t.Name()}
		if seen, ok := sc.types[t.Name()]; ok {
			if seen != t {
				panic("two types named " + t.Name() + ": " + seen.String() + " and " + t.String())
			}
			return ref
		}
		sc.types[t.Name()] = t
		sc.byName[t.Name()] = sc.object(t)
		return ref
	}
	return map[string]any{} // any JSON value
}

func (sc *schemas) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	for _, f := range jsonFields(t) {
		props[f.Name] = sc.schemaOf(f.Type)
	}
	return map[string]any{"type": "object", "properties": props}
}

// errorResponses are the shared error responses, one per status, each with
// the error body.
func errorResponses() map[string]any {
	out := map[string]any{}
	for status, why := range errorStatuses {
		out["Error"+status] = map[string]any{
			"description": why,
			"content":     map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}},
		}
	}
	return out
}

// generateOpenAPI builds the document from docRoutes and the request structs.
func generateOpenAPI() ([]byte, error) {
	sc := &schemas{types: map[string]reflect.Type{}, byName: map[string]any{
		"Error": map[string]any{
			"description": "every error response: a sentence, and the fields at fault",
			"type":        "object",
			"required":    []string{"error"},
			"properties": map[string]any{
				"error":    map[string]any{"type": "string"},
				"problems": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Problem"}},
			},
		},
		"Problem": map[string]any{
			"type":     "object",
			"required": []string{"field", "problem"},
			"properties": map[string]any{
				"field":   map[string]any{"type": "string", "description": "the body field, path or query parameter at fault"},
				"problem": map[string]any{"type": "string"},
				"rule":    map[string]any{"type": "string", "description": "the policy pack rule, where one applies"},
			},
		},
	}}
	paths := map[string]map[string]any{}
	for _, r := range docRoutes {
		op := map[string]any{
			"operationId": strings.ToLower(r.method) + strings.NewReplacer("/api/v1", "", "/", "_", ":", "", "-", "_", ".", "_").Replace(r.path),
			"summary":     r.summary,
			"tags":        []string{r.tag},
		}
		var params []any
		for _, m := range ginParam.FindAllStringSubmatch(r.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range r.query {
			params = append(params, map[string]any{"name": q.name, "in": "query", "required": q.required, "description": q.description, "schema": map[string]any{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		answer := map[string]any{"type": "object"}
		if r.resp != nil {
			answer = sc.schemaOf(reflect.TypeOf(r.resp))
		}
		ok := map[string]any{"description": "done", "content": map[string]any{"application/json": map[string]any{"schema": answer}}}
		if r.csv {
			ok["content"].(map[string]any)["text/csv"] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		responses := map[string]any{"200": ok}
		if r.created {
			responses["201"] = map[string]any{"description": "created", "content": ok["content"]}
			ok["description"] = "a retried request: the answer it had, nothing written"
		}
		statuses := []string{"401", "403", "503"}
		if r.body != nil {
			t := reflect.TypeOf(r.body)
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": sc.schemaOf(t)}}}
			sc.byName[t.Name()].(map[string]any)["additionalProperties"] = false // decode refuses other fields
			statuses = append(statuses, "400", "409", "413", "422")
		}
		if r.csvBody {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"text/csv": map[string]any{"schema": map[string]any{"type": "string"}}}}
			statuses = append(statuses, "400", "413", "422")
		}
		if len(r.query) > 0 {
			statuses = append(statuses, "400", "422")
		}
		if strings.Contains(r.path, ":") {
			statuses = append(statuses, "404", "422")
		}
		for _, st := range statuses {
			responses[st] = map[string]any{"$ref": "#/components/responses/Error" + st}
		}
		op["responses"] = responses
		p := openAPIPath(r.path)
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		paths[p][strings.ToLower(r.method)] = op
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "securebase",
			"version":     "v1",
			"description": "Statutory supervision duties of children's social care services, kept on time. Every change carries a request_id: the same request again returns the same answer and writes nothing. Bad input is a 4xx naming each field and its problem, and changes nothing. Generated by api/openapi_test.go.",
		},
		"servers":    []any{map[string]any{"url": "/"}},
		"security":   []any{map[string]any{"bearer": []string{}}},
		"paths":      paths,
		"components": map[string]any{"schemas": sc.byName, "responses": errorResponses(), "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

// The committed openapi.json is what the route table and request structs
// now say.
func TestOpenAPIDocumentIsCurrent(t *testing.T) {
	got, err := generateOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if *updateOpenAPI {
		if err := os.WriteFile("openapi.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, openAPIDocument) {
		t.Fatal("api/openapi.json is not what the routes and request structs say: run go test ./api -run TestOpenAPIDocumentIsCurrent -update-openapi and commit it")
	}
}

// openAPIDoc is the served document, parsed.
type openAPIDoc struct {
	OpenAPI string                                 `json:"openapi"`
	Paths   map[string]map[string]openAPIOperation `json:"paths"`
	Comps   struct {
		Schemas   map[string]openAPISchema   `json:"schemas"`
		Responses map[string]openAPIResponse `json:"responses"`
	} `json:"components"`
}

type openAPIResponse struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema openAPISchema `json:"schema"`
	} `json:"content"`
}

type openAPIOperation struct {
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema openAPISchema `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]openAPIResponse `json:"responses"`
}

type openAPISchema struct {
	Ref        string                   `json:"$ref"`
	Type       any                      `json:"type"` // a name, or [name, "null"]
	Properties map[string]openAPISchema `json:"properties"`
	Items      *openAPISchema           `json:"items"`
}

func parseOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi is %q, want 3.1.0", doc.OpenAPI)
	}
	return doc
}

func (d openAPIDoc) resolve(s openAPISchema) openAPISchema {
	if name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/"); ok {
		return d.Comps.Schemas[name]
	}
	return s
}

func propertyNames(s openAPISchema) []string {
	var out []string
	for name := range s.Properties {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Every /api/v1 route is documented, with its path parameters and the
// errors every route may give; every documented operation is a route.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	doc := parseOpenAPI(t)
	engine := (&Server{}).Handler().(*gin.Engine)
	registered := map[string]bool{}
	for _, r := range engine.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		p := openAPIPath(r.Path)
		registered[strings.ToLower(r.Method)+" "+p] = true
		op, ok := doc.Paths[p][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s %s is not in openapi.json: add it to docRoutes (openapi_test.go)", r.Method, r.Path)
			continue
		}
		var want, got []string
		for _, m := range ginParam.FindAllStringSubmatch(r.Path, -1) {
			want = append(want, m[1])
		}
		for _, prm := range op.Parameters {
			if prm.In == "path" {
				got = append(got, prm.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: documented path parameters %v, route has %v", r.Method, r.Path, got, want)
		}
		for _, st := range []string{"401", "403"} {
			resp := op.Responses[st]
			if name, ok := strings.CutPrefix(resp.Ref, "#/components/responses/"); ok {
				resp = doc.Comps.Responses[name]
			}
			if doc.resolve(resp.Content["application/json"].Schema).Properties["problems"].Items == nil {
				t.Errorf("%s %s: no %s response with the error body", r.Method, r.Path, st)
			}
		}
		if r.Method == "POST" {
			if op.RequestBody == nil {
				t.Errorf("%s %s: no request body documented", r.Method, r.Path)
			}
			for _, st := range []string{"400", "413", "422"} {
				if _, ok := op.Responses[st]; !ok {
					t.Errorf("%s %s: no %s response", r.Method, r.Path, st)
				}
			}
		}
	}
	for p, ops := range doc.Paths {
		for method := range ops {
			if !registered[method+" "+p] {
				t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(method), p)
			}
		}
	}
	if len(registered) < 60 {
		t.Fatalf("only %d /api/v1 routes found", len(registered))
	}
}

// The documented request bodies have exactly the JSON fields the handlers
// decode (decode refuses any other field), and the error body is
// ErrorBody's. The main routes are named here with their structs, so the
// check does not rest on docRoutes alone.
func TestOpenAPIRequestBodiesMatchRequestStructs(t *testing.T) {
	doc := parseOpenAPI(t)
	fieldsOf := func(v any) []string {
		var out []string
		for _, f := range jsonFields(reflect.TypeOf(v)) {
			out = append(out, f.Name)
		}
		sort.Strings(out)
		return out
	}
	body := func(method, path string) openAPISchema {
		op, ok := doc.Paths[openAPIPath(path)][strings.ToLower(method)]
		if !ok || op.RequestBody == nil {
			t.Fatalf("%s %s: no request body documented", method, path)
		}
		return doc.resolve(op.RequestBody.Content["application/json"].Schema)
	}
	for _, tc := range []struct {
		method, path string
		req          any
	}{
		{"POST", "/api/v1/staff", StaffRequest{}},
		{"POST", "/api/v1/staff/:id/sessions", SessionRequest{}},
		{"POST", "/api/v1/staff/:id/supervision/sessions", SupervisionSessionRequest{}},
		{"POST", "/api/v1/cases", AllocateRequest{}},
		{"POST", "/api/v1/cases/:id/supervisions", CaseSupervisionRequest{}},
		{"POST", "/api/v1/staff/:id/leave", LeaveRequest{}},
		{"POST", "/api/v1/staff/:id/retention", CorrectLeaveRequest{}},
		{"POST", "/api/v1/records/:id/signatures", RecordSignRequest{}},
		{"POST", "/api/v1/delegations", DelegationRequest{}},
		{"POST", "/api/v1/holds", HoldRequest{}},
	} {
		if got, want := propertyNames(body(tc.method, tc.path)), fieldsOf(tc.req); !slices.Equal(got, want) {
			t.Errorf("%s %s: documented body fields %v, %T has %v", tc.method, tc.path, got, tc.req, want)
		}
	}
	// Every other documented body too, against the struct docRoutes names.
	for _, r := range docRoutes {
		if r.body == nil {
			continue
		}
		if got, want := propertyNames(body(r.method, r.path)), fieldsOf(r.body); !slices.Equal(got, want) {
			t.Errorf("%s %s: documented body fields %v, %T has %v", r.method, r.path, got, r.body, want)
		}
	}
	if got, want := propertyNames(doc.Comps.Schemas["Error"]), fieldsOf(ErrorBody{}); !slices.Equal(got, want) {
		t.Errorf("Error schema fields %v, ErrorBody has %v", got, want)
	}
	if got, want := propertyNames(doc.Comps.Schemas["Problem"]), fieldsOf(Problem{}); !slices.Equal(got, want) {
		t.Errorf("Problem schema fields %v, Problem has %v", got, want)
	}
}

// Any signed-in role reads the description, as JSON; without a token, 401.
func TestOpenAPIServed(t *testing.T) {
	s := accessFixture(t)
	s.Auth = hsAuth(t, AuthConfig{})
	h := s.Handler()
	get := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	for _, role := range TokenRoles {
		tok, err := MintToken(testKey, Principal{ID: "reader-" + role, Roles: []string{role}}, "", "", time.Hour, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		w := get(tok)
		if w.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200: %s", role, w.Code, w.Body)
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", role, ct)
		}
		var doc map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc["openapi"] != "3.1.0" {
			t.Errorf("%s: body is not the OpenAPI 3.1 document (%v)", role, err)
		}
	}
	// Refused, with the documented error body.
	w := get("")
	if w.Code != http.StatusUnauthorized {
		t.Fatalf("without a token: status %d, want 401", w.Code)
	}
	var body map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	errorSchema := parseOpenAPI(t).Comps.Schemas["Error"]
	for key := range body {
		if _, ok := errorSchema.Properties[key]; !ok {
			t.Errorf("the 401 body has %q, which the Error schema does not: %s", key, w.Body)
		}
	}
	if body["error"] == nil || body["problems"] == nil {
		t.Errorf("the 401 body lacks error or problems: %s", w.Body)
	}
}
