package policy

import (
	"slices"
	"strings"
)

// Seeds are the source policies a pack may encode (shared/seeds/README.md):
// a pack's source.file names one, and it must be its own authority's.
var Seeds = []Seed{
	{File: "000_f38a2d5076e6f828.txt", Authority: "cumberland", Title: "Children and Family Wellbeing – Social Care and Family Help Supervision Framework"},
	{File: "001_d47e9a213dc42bc5.txt", Authority: "plymouth", Title: "Children's Social Care Supervision Policy (2010, reviewed 2014)"},
	{File: "002_793443c32d620ffb.txt", Authority: "bracknell-forest", Title: "Children's Social Care Supervision Policy"},
	{File: "003_371151747c6aeb8e.txt", Authority: "surrey", Title: "Professional Supervision Policy, Children's Services"},
	{File: "004_4c1307218f659d14.txt", Authority: "bolton", Title: "Protocol for Standards in Supervision of Children and Families Social Workers (2024)"},
}

// Seed is one source policy.
type Seed struct {
	File, Authority, Title string
}

// SeedOf is the authority's seed.
func SeedOf(authority string) (Seed, bool) {
	i := slices.IndexFunc(Seeds, func(s Seed) bool { return s.Authority == authority })
	if i < 0 {
		return Seed{}, false
	}
	return Seeds[i], true
}

// seedFile refuses a source.file that is not the authority's seed.
func (c *checker) seedFile() {
	f := c.p.Source.File
	if f == "" {
		return // header() reports it missing
	}
	i := slices.IndexFunc(Seeds, func(s Seed) bool { return s.File == f })
	var files []string
	for _, s := range Seeds {
		files = append(files, s.File+" ("+s.Authority+")")
	}
	switch {
	case i < 0:
		c.fail(pathOf("source", "file"), noRule, "%q is not one of the seed policies: %s", f, strings.Join(files, ", "))
	case c.p.Authority != "" && Seeds[i].Authority != c.p.Authority:
		c.fail(pathOf("source", "file"), noRule, "%q is %s's policy, not %s's", f, Seeds[i].Authority, c.p.Authority)
	}
}
