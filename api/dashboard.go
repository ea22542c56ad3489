package api

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/securebase/securebase/models"
)

// The dashboard: server-rendered pages for supervisors, supervisees, senior
// managers and auditors, served by the same binary behind the same login as
// the API. The browser signs in once (POST /login) and carries the token in
// an HttpOnly cookie; the pages' one-click actions call /api/v1 with that
// cookie and the CSRF header (api/auth.go). Every list a page shows is built
// from the signed-in person: a page shows only what its reader may see.

//go:embed web/templates/*.html web/templates/*/*.html
var templateFS embed.FS

//go:embed web/static
var staticFS embed.FS

// dashboardPage is one role's page.
type dashboardPage struct {
	Role, Path, Title string
}

// dashboardPages are the pages, in the order the navigation shows them.
var dashboardPages = []dashboardPage{
	{RoleSupervisor, "/dashboard/supervisor", "My team"},
	{RoleSupervisee, "/dashboard/supervisee", "My supervision"},
	{RoleSeniorManager, "/dashboard/senior", "Compliance"},
	{RoleAuditor, "/dashboard/auditor", "Decision trail"},
	{RoleHR, "/dashboard/hr", "Staff"},
}

// pageFor is the page of the principal's first role that has one.
func pageFor(p Principal) (dashboardPage, bool) {
	for _, r := range p.Roles {
		for _, pg := range dashboardPages {
			if pg.Role == r {
				return pg, true
			}
		}
	}
	return dashboardPage{}, false
}

// templates are parsed once: each page with the shared layout.
var templates = parseTemplates()

func parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		"percent": func(r *float64) string { return fmt.Sprintf("%.0f%%", *r*100) },
		"join":    strings.Join,
		"lower":   strings.ToLower,
		// The vocabulary (api/vocab.go): every engine word a page shows.
		"when": when, "isoTime": isoTime, "longDate": longDate, "shortDate": shortDate,
		"monthName": monthName, "monthShort": monthShort,
		"duty": duty, "dutyName": dutyName, "statusName": statusName, "statusTag": statusTag,
		"roleName": roleName, "rolesIn": rolesIn, "lifecycleName": lifecycleName, "lifecycleOf": lifecycleOf,
		"eventName": eventName, "categoryName": categoryName, "cadence": cadence, "words": words,
		"complianceDuty": complianceDuty, "ruleURL": ruleURL, "reason": reason,
		"ruleOf": func(authority, id string) ruleRef { return ruleRef{Authority: authority, ID: id} },
		"itemsOf": func(items []models.DueItem, names people, label string) itemList {
			return itemList{items, names, label}
		},
		"drill": drillURL,
		// A fresh request id for each form a page renders: a retry of the
		// form is the same request, a second form never shares it.
		"newRequestID": newRequestID,
	}
	pages, err := fs.Glob(templateFS, "web/templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, p := range pages {
		name := strings.TrimSuffix(strings.TrimPrefix(p, "web/templates/"), ".html")
		if name == "layout" {
			continue
		}
		// parts/ holds the sections several pages share (each a {{define}});
		// a page's own partials live in the folder of its name (web/templates/supervisor/).
		t := template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "web/templates/layout.html", "web/templates/parts/*.html", p))
		if parts, _ := fs.Glob(templateFS, "web/templates/"+name+"/*.html"); len(parts) > 0 {
			t = template.Must(t.ParseFS(templateFS, parts...))
		}
		out[name] = t
	}
	return out
}

// view is what the layout needs besides the page's own data.
type view struct {
	Title     string
	Principal *Principal
	Me        string // the signed-in person's name (their id when the token names nobody)
	Nav       []dashboardPage
	Active    string
	Errors    []Problem // the error summary: each links to its field's id
	Page      any
}

// ruleRef is a rule a page links to: its id in an authority's pack.
type ruleRef struct{ Authority, ID string }

// itemList is a table of due items with the names of the people in them.
type itemList struct {
	Items []models.DueItem
	Names people
	Label string // the id of the heading that names the table
}

// dashboardRoutes adds the login, the pages and their static assets.
func (s *Server) dashboardRoutes(r *gin.Engine) {
	static, _ := fs.Sub(staticFS, "web/static")
	for _, f := range []string{"dashboard.css", "dashboard.js", "govuk/govuk-frontend.min.css"} { // files only: no directory listing
		r.StaticFileFS("/static/"+f, f, http.FS(static))
	}
	r.GET("/login", s.loginPage)
	r.POST("/login", s.login)
	r.POST("/logout", s.logout)
	r.GET("/", s.home)
	r.GET("/dashboard/supervisor", s.page(RoleSupervisor, "supervisor", s.supervisorPage))
	r.GET("/dashboard/supervisee", s.page(RoleSupervisee, "supervisee", s.superviseePage))
	r.GET("/dashboard/senior", s.page(RoleSeniorManager, "senior", s.seniorPage))
	r.GET("/dashboard/auditor", s.page(RoleAuditor, "auditor", s.auditorPage))
	r.GET("/dashboard/hr", s.page(RoleHR, "hr", s.hrPage))
	r.GET("/dashboard/senior/items", s.page(RoleSeniorManager, "senior_items", s.seniorItemsPage))
	r.GET("/dashboard/rules/:authority", s.page("", "rules", s.rulesPage)) // the policy is open to everyone signed in
	r.GET("/dashboard/find", s.page("", "find", s.findPage))               // api/dashboard_cases.go: the roles with a find box
}

// render writes a page: security headers that keep scripts, styles and
// forms to this origin, then the template.
func (s *Server) render(c *gin.Context, status int, name string, v view) {
	if e, ok := v.Page.(withErrors); ok {
		v.Errors = e.FieldErrors()
	}
	var buf bytes.Buffer
	if err := templates[name].ExecuteTemplate(&buf, "layout", v); err != nil {
		if s.Log != nil {
			s.Log.Error("render page", "page", name, "error", err)
		}
		c.String(http.StatusInternalServerError, "the page could not be rendered")
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// nav is the pages the principal holds a role for.
func nav(p *Principal) []dashboardPage {
	var out []dashboardPage
	for _, pg := range dashboardPages {
		if p.Has(pg.Role) {
			out = append(out, pg)
		}
	}
	return out
}

// signedIn is the principal of the login cookie (or a bearer token).
func (s *Server) signedIn(c *gin.Context) (Principal, bool) {
	p, err := s.principalFrom(c)
	return p, err == nil
}

// page serves a role's page (role "": anyone signed in): to /login without
// a valid login, 403 without the role, else the page build makes, or the
// error it met.
func (s *Server) page(role, name string, build func(*gin.Context, Principal) (any, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		p, ok := s.signedIn(c)
		if !ok {
			c.Redirect(http.StatusSeeOther, "/login")
			return
		}
		if role != "" && !p.Has(role) {
			s.forbidden(c, p, fmt.Sprintf("This page is for the %s role; you are signed in as %s.", strings.ToLower(roleName(role)), strings.ToLower(rolesIn(p.Roles))))
			return
		}
		v := view{Principal: &p, Me: s.displayName(c, p), Nav: nav(&p), Active: c.Request.URL.Path}
		for _, pg := range dashboardPages {
			if pg.Role == role {
				v.Title = pg.Title
			}
		}
		if t, ok := subPageTitles[name]; ok {
			v.Title = t
		}
		data, err := build(c, p)
		if err != nil {
			he := toHTTP(err)
			if he.status >= 500 && s.Log != nil {
				s.Log.Error("page failed", "page", name, "error", err)
			}
			v.Title, v.Page = "Something went wrong", he.body
			s.render(c, he.status, "error", v)
			return
		}
		v.Page = data
		if t, ok := data.(titled); ok && t.PageTitle() != "" {
			v.Title = t.PageTitle()
		}
		s.render(c, http.StatusOK, name, v)
	}
}

// subPageTitles title the pages that are not a role's own.
var subPageTitles = map[string]string{"senior_items": "The duties behind a number", "rules": "The policy", "find": "Find a person or a case"}

// titled is a page's data that names its own title.
type titled interface{ PageTitle() string }

// withErrors is a page's data that found problems in what was asked of it:
// the layout lists them in the error summary.
type withErrors interface{ FieldErrors() []Problem }

// displayName is how the header names the signed-in person: their name on
// the staff record, else the token's name, else their id.
func (s *Server) displayName(c *gin.Context, p Principal) string {
	if s.DB != nil {
		if st, err := s.me(c.Request.Context(), p); err == nil && st != nil && st.Name != "" {
			return st.Name
		}
	}
	if p.Name != "" {
		return p.Name
	}
	return p.ID
}

func (s *Server) forbidden(c *gin.Context, p Principal, why string) {
	s.render(c, http.StatusForbidden, "forbidden", view{Title: "This page is not for you", Principal: &p, Me: s.displayName(c, p), Nav: nav(&p), Page: why})
}

// home sends the signed-in person to their page.
func (s *Server) home(c *gin.Context) {
	p, ok := s.signedIn(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	pg, ok := pageFor(p)
	if !ok {
		s.forbidden(c, p, fmt.Sprintf("There is no dashboard page for the roles you sign in as (%s): use the API.", strings.Join(p.Roles, ", ")))
		return
	}
	c.Redirect(http.StatusSeeOther, pg.Path)
}

// loginData is the login form's state.
type loginData struct{ Error string }

// FieldErrors puts a failed sign-in in the error summary.
func (d loginData) FieldErrors() []Problem {
	if d.Error == "" {
		return nil
	}
	return []Problem{{Field: "token", Problem: d.Error}}
}

func (s *Server) loginPage(c *gin.Context) {
	s.render(c, http.StatusOK, "login", view{Title: "Sign in", Page: loginData{}})
}

// login verifies a pasted token and keeps it in the login cookies until it
// expires.
func (s *Server) login(c *gin.Context) {
	fail := func(msg string) {
		s.render(c, http.StatusUnauthorized, "login", view{Title: "Sign in", Page: loginData{Error: msg}})
	}
	if !sameOrigin(c) {
		fail("Sign in from this site's own login page.")
		return
	}
	raw := strings.TrimSpace(c.PostForm("token"))
	if raw == "" {
		fail("Paste your token to sign in.")
		return
	}
	if s.Auth == nil {
		fail("Sign-in is not configured on this server.")
		return
	}
	p, err := s.Auth.Verify(raw)
	if err != nil {
		fail("That token is not valid: " + err.Error())
		return
	}
	SetLoginCookies(c, raw, tokenTTL(raw))
	pg, ok := pageFor(p)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/")
		return
	}
	c.Redirect(http.StatusSeeOther, pg.Path)
}

// tokenTTL is how long a verified token has left: the cookie expires with it.
func tokenTTL(raw string) time.Duration {
	var claims Claims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &claims); err == nil && claims.ExpiresAt != nil {
		if d := time.Until(claims.ExpiresAt.Time); d > 0 {
			return d
		}
	}
	return time.Hour
}

func (s *Server) logout(c *gin.Context) {
	if !sameOrigin(c) {
		c.String(http.StatusForbidden, "sign out from this site's own pages")
		return
	}
	ClearLoginCookies(c)
	c.Redirect(http.StatusSeeOther, "/login")
}

// sameOrigin refuses a sign-in or sign-out posted from another site (a
// browser names the page's origin on every POST); the login cookies are
// SameSite=Strict, so this closes the one door they leave: logging a
// victim in as someone else.
func sameOrigin(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	if origin == "" {
		return true // not a browser's cross-site form post
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == c.Request.Host
}

// newRequestID names one action a page offers: rendered into its form, so
// a double click or a retry sends the same request and changes nothing twice.
func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "web-" + hex.EncodeToString(b)
}
