package policy

import "strings"

// A policy pack is one authority's supervision policy as data: every rule of
// the policy matrix that applies to it, in plain words with where it comes
// from, and typed blocks holding the numbers the engine reads. Each number
// names the rule that gives it, so a decision can always cite its rule.

// KnownAuthorities are the authorities a pack may be written for. Adding an
// authority starts here.
var KnownAuthorities = []string{"bolton", "bracknell-forest", "cumberland", "plymouth", "surrey"}

// Engine says whether securebase enforces a rule yet.
type Engine string

const (
	Enforced Engine = "enforced"
	NotYet   Engine = "not_yet"
)

// Sections are the policy matrix's sections, by number.
var Sections = map[int]string{
	1:  "Personal (individual) supervision cadence",
	2:  "ASYE (Assessed and Supported Year in Employment)",
	3:  "Supervision agreement (contract)",
	4:  "Recording and sign-off of supervision records",
	5:  "Child (case) supervision cadence, by category",
	6:  "Case lifecycle: allocation, transfer, joint working, closure",
	7:  "Caseload",
	8:  "Cancellation, absence, booking",
	9:  "Observation, appraisal, quality assurance",
	10: "Confidentiality, access and retention",
}

// Rule is one rule of the policy, as the pack states it.
type Rule struct {
	ID      string `json:"id" yaml:"id"`
	Section int    `json:"section" yaml:"section"`
	Source  string `json:"source" yaml:"source"` // where in the seed, or "securebase default (policy silent)"
	Says    string `json:"says" yaml:"says"`
	Engine  Engine `json:"engine" yaml:"engine"`
	// AppliedBy names the engine behaviour (EngineBehaviours) that applies a
	// rule no typed block carries a number for.
	AppliedBy string `json:"applied_by,omitempty" yaml:"applied_by,omitempty"`
}

// Source names the document a pack encodes.
type Source struct {
	File  string `json:"file" yaml:"file"`
	Title string `json:"title" yaml:"title"`
}

// Pack is one version of one authority's policy.
type Pack struct {
	Authority     string `json:"authority" yaml:"authority"`
	Name          string `json:"name" yaml:"name"`
	Version       string `json:"version" yaml:"version"`
	EffectiveFrom Date   `json:"effective_from" yaml:"effective_from"`
	// EffectiveTo is the last day in force (inclusive). Unset: in force until
	// the next version of the authority's pack takes effect.
	EffectiveTo Date   `json:"effective_to,omitzero" yaml:"effective_to,omitempty"`
	Source      Source `json:"source" yaml:"source"`
	ClosureDays []Date `json:"closure_days,omitempty" yaml:"closure_days,omitempty"`
	Rules       []Rule `json:"rules" yaml:"rules"`

	// Escalation is how every standing duty (agreement, personal supervision,
	// record sign-off) escalates when unmet; the ASYE has its own.
	Escalation          Escalation           `json:"escalation" yaml:"escalation"`
	ASYE                ASYE                 `json:"asye" yaml:"asye"`
	PersonalSupervision *PersonalSupervision `json:"personal_supervision,omitempty" yaml:"personal_supervision,omitempty"`
	Agreement           *Agreement           `json:"agreement,omitempty" yaml:"agreement,omitempty"`
	SignOff             *SignOff             `json:"sign_off,omitempty" yaml:"sign_off,omitempty"`
	CaseSupervision     *CaseSupervision     `json:"case_supervision,omitempty" yaml:"case_supervision,omitempty"`
	Caseload            *Caseload            `json:"caseload,omitempty" yaml:"caseload,omitempty"`
	Retention           *Retention           `json:"retention,omitempty" yaml:"retention,omitempty"`
	Reminders           *Reminders           `json:"reminders,omitempty" yaml:"reminders,omitempty"`   // reminders.go
	Delegation          *Delegation          `json:"delegation,omitempty" yaml:"delegation,omitempty"` // delegation.go
	// Transition says what becomes, under this version, of a programme that
	// started under the one before (the ASYE when the ECDP arrives).
	Transition *Transition `json:"transition,omitempty" yaml:"transition,omitempty"`
	// MonthlyReport cites the rule the monthly compliance report meets.
	MonthlyReport *RuleRef `json:"monthly_report,omitempty" yaml:"monthly_report,omitempty"`
	// TeamDuties and Concerns: types and helpers in duties.go.
	TeamDuties *TeamDuties `json:"team_duties,omitempty" yaml:"team_duties,omitempty"`
	Concerns   *Concerns   `json:"concerns,omitempty" yaml:"concerns,omitempty"`
	// AcademyGroupSupervision: academy.go.
	AcademyGroupSupervision *AcademyGroupSupervision `json:"academy_group_supervision,omitempty" yaml:"academy_group_supervision,omitempty"`

	// File is where the pack was read from, for messages.
	File  string    `json:"-" yaml:"-"`
	lines packLines // where version and effective_from are, for messages
}

// Span is one length of time a policy gives, with the rule that gives it.
type Span struct {
	Period Period `json:"period" yaml:"period"`
	Rule   string `json:"rule" yaml:"rule"`
}

// PersonalSupervision is the one-to-one supervision cadence by role, and the
// booking, cancellation and supervisor-absence limits around it.
type PersonalSupervision struct {
	Cadence           []RoleCadence  `json:"cadence" yaml:"cadence"`
	SessionMinutes    *SessionLength `json:"session_minutes,omitempty" yaml:"session_minutes,omitempty"`
	BookingHorizon    *Span          `json:"booking_horizon,omitempty" yaml:"booking_horizon,omitempty"` // sessions booked at least this far ahead
	RebookWithin      *Span          `json:"rebook_within,omitempty" yaml:"rebook_within,omitempty"`     // a cancelled session is held within this of the cancellation
	SupervisorAbsence []AbsenceCover `json:"supervisor_absence,omitempty" yaml:"supervisor_absence,omitempty"`
	// NonWorkingDay moves a session's due day off a day nobody works.
	NonWorkingDay *NonWorkingDay `json:"non_working_day,omitempty" yaml:"non_working_day,omitempty"`
	// Observation, appraisal and rearrange-only: types and helpers in cadence.go.
	SupervisionDuties `yaml:",inline"`
}

// Roles a personal supervision cadence may be written for.
var Roles = []string{
	"default",                 // everyone the policy does not single out
	"case_holding",            // staff who hold cases
	"student",                 // social work students
	"manager",                 // managers and senior managers
	"cp_chair_iro_lado",       // child protection chairs, IROs, LADOs
	"residential_new_starter", // new residential care staff
	"residential_agency",      // agency and occasional residential staff
	"induction_or_return",     // during induction or after a long absence
}

// RoleCadence is how often a role is supervised: every period, or after
// every N shifts worked; optionally only for a while, or changing to a second
// cadence after a while or at an agreed point.
type RoleCadence struct {
	Role        string `json:"role" yaml:"role"`
	Every       Period `json:"every,omitzero" yaml:"every,omitempty"`
	EveryShifts int    `json:"every_shifts,omitempty" yaml:"every_shifts,omitempty"`
	For         Period `json:"for,omitzero" yaml:"for,omitempty"`               // applies this long from the start in the role
	ThenEvery   Period `json:"then_every,omitzero" yaml:"then_every,omitempty"` // after For, or after the agreed point
	ThenFrom    string `json:"then_from,omitempty" yaml:"then_from,omitempty"`  // "agreed": the switch is on a date the parties agree
	Rule        string `json:"rule" yaml:"rule"`
}

// SessionLength is how long a supervision session generally lasts.
type SessionLength struct {
	Min int `json:"min" yaml:"min"`
	Max int `json:"max" yaml:"max"`
	// Bound: guidance ("generally") flags a shorter session, a limit refuses it.
	Bound string `json:"bound,omitempty" yaml:"bound,omitempty"`
	Rule  string `json:"rule" yaml:"rule"`
}

// AbsenceCover: when the supervisor is absent longer than After, cover is
// arranged (within CoverWithin, when the policy gives a limit).
type AbsenceCover struct {
	After       Period `json:"after" yaml:"after"`
	CoverWithin Period `json:"cover_within,omitzero" yaml:"cover_within,omitempty"`
	Rule        string `json:"rule" yaml:"rule"`
}

// Agreement is the supervision agreement (contract): signed within a limit of
// joining, renewed every period, and re-agreed on the listed events.
type Agreement struct {
	SignWithin *Span    `json:"sign_within,omitempty" yaml:"sign_within,omitempty"`
	RenewEvery *Span    `json:"renew_every,omitempty" yaml:"renew_every,omitempty"`
	ReagreeOn  *Trigger `json:"reagree_on,omitempty" yaml:"reagree_on,omitempty"`
}

// AgreementEvents are the events on which a pack may require re-agreement.
var AgreementEvents = []string{"supervisor_change", "arrangements_change", "circumstances_change", "not_working"}

// Trigger lists events that call for an action, with the rule.
type Trigger struct {
	Events []string `json:"events" yaml:"events"`
	Rule   string   `json:"rule" yaml:"rule"`
}

// SignOff is when a personal supervision record is signed: within a period
// of the session, or By a point ("next_session").
type SignOff struct {
	Within Period `json:"within,omitzero" yaml:"within,omitempty"`
	By     string `json:"by,omitempty" yaml:"by,omitempty"`
	Rule   string `json:"rule" yaml:"rule"`
	// OwedBy is who owes the deadline: OwedBySupervisor (the supervisor
	// writes, signs and makes the record available by then; the
	// supervisee's check has no deadline of its own) or OwedByBoth (both
	// signatures by then; "" reads as both, as packs before it said).
	OwedBy string `json:"owed_by,omitempty" yaml:"owed_by,omitempty"`
}

// Who owes a sign-off deadline.
const (
	OwedBySupervisor = "supervisor"
	OwedByBoth       = "both"
)

// SupervisorOwes reports a deadline met once the supervisor has signed and
// made the record available.
func (s SignOff) SupervisorOwes() bool { return s.OwedBy == OwedBySupervisor }

// CaseSupervision is child (case) supervision: cadence by category, the
// supervision due at allocation and before transfer, and recording limits.
type CaseSupervision struct {
	Categories     []CaseCategory   `json:"categories,omitempty" yaml:"categories,omitempty"`
	OnAllocation   *RuleRef         `json:"on_allocation,omitempty" yaml:"on_allocation,omitempty"`
	BeforeTransfer *RuleRef         `json:"before_transfer,omitempty" yaml:"before_transfer,omitempty"`
	RecordWithin   []RecordDeadline `json:"record_within,omitempty" yaml:"record_within,omitempty"`
	// The case lifecycle's further rules: types and helpers in case.go.
	CaseRules `yaml:",inline"`

	// NonWorkingDay moves a case supervision due on a day nobody works.
	NonWorkingDay *NonWorkingDay `json:"non_working_day,omitempty" yaml:"non_working_day,omitempty"`
}

// RuleRef marks a duty that has no number, only a rule.
type RuleRef struct {
	Rule string `json:"rule" yaml:"rule"`
}

// CaseCategory is how often a case in a category is supervised: Every
// period, once while in the category, or as required (no timer).
type CaseCategory struct {
	Category   string `json:"category" yaml:"category"`
	Every      Period `json:"every,omitzero" yaml:"every,omitempty"`
	Once       bool   `json:"once,omitempty" yaml:"once,omitempty"`
	AsRequired bool   `json:"as_required,omitempty" yaml:"as_required,omitempty"`
	Rule       string `json:"rule" yaml:"rule"`
}

// RecordKinds are the records a recording limit may apply to.
var RecordKinds = []string{
	"child_file",           // case supervision on the child's file
	"significant_decision", // significant or urgent case decisions
	"plan_change",          // decisions that significantly change a plan
	"other_decisions",      // all other case supervision
	"supervision_form",     // supervision forms on the case system
	"practice_observation",
	"group_supervision",
	"agenda", // the supervisee's agenda, before the session
}

// RecordDeadline: a record of kind What is made Within a period of the event
// (before it, for an agenda), or immediately.
type RecordDeadline struct {
	What        string `json:"what" yaml:"what"`
	Within      Period `json:"within,omitzero" yaml:"within,omitempty"`
	Immediately bool   `json:"immediately,omitempty" yaml:"immediately,omitempty"`
	Rule        string `json:"rule" yaml:"rule"`
}

// Caseload is caseload oversight: analysis cadence and notice to senior
// managers of a caseload over the maximum (a team's average caseload review
// is a team duty, duties.go).
type Caseload struct {
	AnalysisEvery      *Span `json:"analysis_every,omitempty" yaml:"analysis_every,omitempty"`
	OverMaxNotifyAfter *Span `json:"over_max_notify_after,omitempty" yaml:"over_max_notify_after,omitempty"`
	// Maximum and who may not hold cases: types and helpers in case.go.
	CaseloadRules `yaml:",inline"`
}

// Retention is how long supervision records are kept after the worker leaves.
type Retention struct {
	AfterLeaving Period `json:"after_leaving" yaml:"after_leaving"`
	Rule         string `json:"rule" yaml:"rule"`
	// Grace is the least time from recording a leave to any purge, whatever
	// the leaving day: a backdated leave, or a wrong one, can be corrected or
	// withdrawn before anything is destroyed. Every pack with a retention
	// period declares it (a securebase default where the policy is silent).
	Grace *Span `json:"grace,omitempty" yaml:"grace,omitempty"`
}

// Ref names this pack version.
func (p *Pack) Ref() PackRef { return PackRef{Authority: p.Authority, Version: p.Version} }

// Rule finds a rule by id.
func (p *Pack) Rule(id string) (Rule, bool) {
	for _, r := range p.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Calendar is the working-day calendar with the pack's closure days.
func (p *Pack) Calendar() *Calendar { return NewCalendar(p.ClosureDays) }

// InForce reports whether this version is in force on a day, by its own
// dates (a registry also ends an open version where the next one begins).
func (p *Pack) InForce(on Date) bool {
	return !on.Before(p.EffectiveFrom) && (p.EffectiveTo.IsZero() || !on.After(p.EffectiveTo))
}

// DefaultSource opens the source of a rule that fills a seed's silence.
const DefaultSource = "securebase default"

// IsDefault reports a rule whose value no seed gives: securebase's own
// assumption, which a council inherits unless it sets its own.
func IsDefault(r Rule) bool { return strings.HasPrefix(r.Source, DefaultSource) }

// Transition is what happens to a programme already running when a version
// comes into force. FinishUnderPrevious: it finishes under the version it
// started under (a lifecycle pins the version in force on its start day).
type Transition struct {
	StartedBefore string `json:"started_before" yaml:"started_before"`
	Rule          string `json:"rule" yaml:"rule"`
}

// FinishUnderPrevious is the one transition the engine runs.
const FinishUnderPrevious = "finish_under_previous"
