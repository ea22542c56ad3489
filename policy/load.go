package policy

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed packs/*.yaml
var embedded embed.FS

// Registry holds the loaded pack versions of each authority.
type Registry struct {
	versions map[string][]*Pack // by authority, in effective_from order
}

// Load reads and validates the packs built into the binary.
func Load() (*Registry, error) {
	names, err := embedded.ReadDir("packs")
	if err != nil {
		return nil, err
	}
	var files []packSource
	for _, e := range names {
		name := path.Join("packs", e.Name())
		data, err := embedded.ReadFile(name)
		if err != nil {
			return nil, err
		}
		files = append(files, packSource{name, data})
	}
	return build(files)
}

// LoadFiles reads and validates pack files from disk, as one registry (so the
// versions of an authority may be spread over files).
func LoadFiles(paths ...string) (*Registry, error) {
	var files []packSource
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			msg := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				msg = pe.Err.Error()
			}
			errs = append(errs, &Problem{File: p, Msg: "cannot read: " + msg})
			continue
		}
		files = append(files, packSource{p, data})
	}
	reg, err := build(files)
	if err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return reg, nil
}

// ValidateFiles checks pack files and returns every problem found, joined.
func ValidateFiles(paths ...string) error {
	_, err := LoadFiles(paths...)
	return err
}

// ReadPack decodes and validates one pack; name is the file it came from.
func ReadPack(name string, data []byte) (*Pack, error) {
	d := &doc{file: name}
	p := d.read(data)
	if len(d.probs) > 0 {
		return nil, errors.Join(d.probs...)
	}
	return p, nil
}

type packSource struct {
	name string
	data []byte
}

func build(files []packSource) (*Registry, error) {
	r := &Registry{versions: map[string][]*Pack{}}
	var errs []error
	for _, f := range files {
		p, err := ReadPack(f.name, f.data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.versions[p.Authority] = append(r.versions[p.Authority], p)
	}
	for _, a := range r.Authorities() {
		vs := r.versions[a]
		slices.SortStableFunc(vs, func(x, y *Pack) int { return x.EffectiveFrom.Time().Compare(y.EffectiveFrom.Time()) })
		errs = append(errs, checkVersions(a, vs)...)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return r, nil
}

// checkVersions rejects two versions with one name, and versions in force on
// the same day. An open-ended version ends where the next begins.
func checkVersions(authority string, vs []*Pack) []error {
	var errs []error
	seen := map[string]*Pack{}
	for _, p := range vs {
		if q, ok := seen[p.Version]; ok {
			errs = append(errs, &Problem{File: p.File, Line: p.lines.version, Key: "version",
				Msg: fmt.Sprintf("version %q of %s is also defined in %s:%d", p.Version, authority, q.File, q.lines.version)})
		}
		seen[p.Version] = p
	}
	for i := 1; i < len(vs); i++ {
		prev, p := vs[i-1], vs[i]
		if p.EffectiveFrom.Equal(prev.EffectiveFrom) || (!prev.EffectiveTo.IsZero() && !prev.EffectiveTo.Before(p.EffectiveFrom)) {
			errs = append(errs, &Problem{File: p.File, Line: p.lines.effectiveFrom, Key: "effective_from",
				Msg: fmt.Sprintf("version %s of %s (from %s) overlaps version %s (%s:%d, in force %s)",
					p.Version, authority, p.EffectiveFrom, prev.Version, prev.File, prev.lines.effectiveFrom, prev.span())})
		}
	}
	return errs
}

func (p *Pack) span() string {
	if p.EffectiveTo.IsZero() {
		return "from " + p.EffectiveFrom.String()
	}
	return p.EffectiveFrom.String() + " to " + p.EffectiveTo.String()
}

// Authorities lists the authorities with a pack loaded, sorted.
func (r *Registry) Authorities() []string {
	var out []string
	for a := range r.versions {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Packs lists every loaded version, by authority then date.
func (r *Registry) Packs() []*Pack {
	var out []*Pack
	for _, a := range r.Authorities() {
		out = append(out, r.versions[a]...)
	}
	return out
}

func (r *Registry) authority(authority string) ([]*Pack, error) {
	if !slices.Contains(KnownAuthorities, authority) {
		return nil, fmt.Errorf("unknown authority %q: the known authorities are %s", authority, strings.Join(KnownAuthorities, ", "))
	}
	vs := r.versions[authority]
	if len(vs) == 0 {
		return nil, fmt.Errorf("no pack is loaded for authority %q", authority)
	}
	return vs, nil
}

// Pack is the version of the authority's pack in force on a day.
func (r *Registry) Pack(authority string, on Date) (*Pack, error) {
	vs, err := r.authority(authority)
	if err != nil {
		return nil, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !on.Before(vs[i].EffectiveFrom) {
			if vs[i].InForce(on) {
				return vs[i], nil
			}
			break
		}
	}
	var have []string
	for _, p := range vs {
		have = append(have, p.Version+" "+p.span())
	}
	return nil, fmt.Errorf("no version of the %s pack is in force on %s (versions: %s)", authority, on, strings.Join(have, "; "))
}

// Version is a named version of the authority's pack.
func (r *Registry) Version(authority, version string) (*Pack, error) {
	vs, err := r.authority(authority)
	if err != nil {
		return nil, err
	}
	for _, p := range vs {
		if p.Version == version {
			return p, nil
		}
	}
	var have []string
	for _, p := range vs {
		have = append(have, p.Version)
	}
	return nil, fmt.Errorf("no version %q of the %s pack (versions: %s)", version, authority, strings.Join(have, ", "))
}

// Problem is one thing wrong with a pack file, where it is.
type Problem struct {
	File string
	Line int
	Rule string // the rule the problem concerns, when there is one
	Key  string // the key at fault, e.g. "every" or "asye.length"
	Msg  string
}

func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Rule != "" {
		fmt.Fprintf(&b, "rule %s: ", p.Rule)
	}
	if p.Key != "" {
		b.WriteString(p.Key + ": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// packFile is the file's shape: a Pack whose dates decode with their line on
// error, so one bad date does not hide the file's other problems.
type packFile struct {
	Authority           string                   `yaml:"authority"`
	Name                string                   `yaml:"name"`
	Version             string                   `yaml:"version"`
	EffectiveFrom       fileDate                 `yaml:"effective_from"`
	EffectiveTo         fileDate                 `yaml:"effective_to"`
	Source              Source                   `yaml:"source"`
	ClosureDays         []fileDate               `yaml:"closure_days"`
	Rules               []Rule                   `yaml:"rules"`
	Escalation          Escalation               `yaml:"escalation"`
	ASYE                ASYE                     `yaml:"asye"`
	PersonalSupervision *PersonalSupervision     `yaml:"personal_supervision"`
	Agreement           *Agreement               `yaml:"agreement"`
	SignOff             *SignOff                 `yaml:"sign_off"`
	CaseSupervision     *CaseSupervision         `yaml:"case_supervision"`
	Caseload            *Caseload                `yaml:"caseload"`
	Retention           *Retention               `yaml:"retention"`
	Reminders           *Reminders               `yaml:"reminders"`
	Delegation          *Delegation              `yaml:"delegation"`
	MonthlyReport       *RuleRef                 `yaml:"monthly_report"`
	Transition          *Transition              `yaml:"transition"`
	TeamDuties          *TeamDuties              `yaml:"team_duties"`
	Concerns            *Concerns                `yaml:"concerns"`
	Academy             *AcademyGroupSupervision `yaml:"academy_group_supervision"`
}

type fileDate struct{ Date }

func (d *fileDate) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseDate(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: %q is not a date in the form YYYY-MM-DD", n.Line, n.Column, n.Value)}}
	}
	d.Date = v
	return nil
}

// packLines are lines the registry's checks point to.
type packLines struct{ version, effectiveFrom int }

// doc is one pack file being read: its node tree (for lines) and problems.
type doc struct {
	file  string
	root  *yaml.Node // the top mapping
	probs []error
}

// yamlLine reads "line 12: msg", with "column 7: " when our own decoders
// know it.
var yamlLine = regexp.MustCompile(`^(?:yaml: )?line (\d+): (?:column (\d+): )?(.*)$`)

func (d *doc) read(data []byte) *Pack {
	var top yaml.Node
	if err := yaml.Unmarshal(data, &top); err != nil {
		d.yamlError(err)
		return nil
	}
	if top.Kind != yaml.DocumentNode || len(top.Content) == 0 || top.Content[0].Kind != yaml.MappingNode {
		d.probs = append(d.probs, &Problem{File: d.file, Line: top.Line, Msg: "a pack is a YAML mapping (authority:, version:, rules:, asye:, ...)"})
		return nil
	}
	d.root = top.Content[0]

	var f packFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		d.yamlError(err)
		return nil
	}
	if err := dec.Decode(new(yaml.Node)); err != io.EOF {
		d.probs = append(d.probs, &Problem{File: d.file, Msg: "a file holds one pack: remove the second YAML document"})
		return nil
	}
	p := &Pack{
		Authority: f.Authority, Name: f.Name, Version: f.Version,
		EffectiveFrom: f.EffectiveFrom.Date, EffectiveTo: f.EffectiveTo.Date,
		Source: f.Source, Rules: f.Rules, Escalation: f.Escalation, ASYE: f.ASYE,
		PersonalSupervision: f.PersonalSupervision, Agreement: f.Agreement, SignOff: f.SignOff,
		CaseSupervision: f.CaseSupervision, Caseload: f.Caseload, Retention: f.Retention, Reminders: f.Reminders,
		Delegation: f.Delegation, MonthlyReport: f.MonthlyReport, Transition: f.Transition,
		TeamDuties: f.TeamDuties, Concerns: f.Concerns, AcademyGroupSupervision: f.Academy,
		File: d.file,
	}
	for _, c := range f.ClosureDays {
		p.ClosureDays = append(p.ClosureDays, c.Date)
	}
	p.lines = packLines{version: d.line(pathOf("version")), effectiveFrom: d.line(pathOf("effective_from"))}
	d.validate(p)
	return p
}

// yamlError turns the yaml package's errors ("line 12: field x not found in
// type policy.Phase") into problems that name the key and the rule.
func (d *doc) yamlError(err error) {
	var lines []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		lines = te.Errors
	} else {
		lines = []string{err.Error()}
	}
	for _, l := range lines {
		m := yamlLine.FindStringSubmatch(l)
		if m == nil {
			d.probs = append(d.probs, &Problem{File: d.file, Msg: strings.TrimPrefix(l, "yaml: ")})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		msg := m[3]
		hint := locHint{line: line, col: col}
		if f := unknownField.FindStringSubmatch(msg); f != nil {
			hint.key = f[1]
			msg = "unknown key (check its spelling and where it is indented)"
		} else if v := badValue.FindStringSubmatch(msg); v != nil {
			hint.value = v[1]
		}
		pr := &Problem{File: d.file, Line: line, Msg: msg}
		if at, ok := d.pathAt(hint); ok {
			pr.Rule = d.ruleAround(at)
			pr.Key = at.key(pr.Rule != "")
		}
		d.probs = append(d.probs, pr)
	}
}

var (
	unknownField = regexp.MustCompile(`^field (\S+) not found in type`)
	badValue     = regexp.MustCompile("^cannot unmarshal !!\\w+ `([^`]*)`")
)

// After is the version of the authority's pack that follows version, the
// one a lifecycle pinned to version moves to on its first day; nil when
// none is loaded (or version is not, so there is nothing to follow).
func (r *Registry) After(authority, version string) *Pack {
	vs := r.versions[authority]
	for i, p := range vs {
		if p.Version == version && i+1 < len(vs) {
			return vs[i+1]
		}
	}
	return nil
}
