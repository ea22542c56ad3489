package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

// Roles a token may carry. Who may do what with them is api/access.go.
const (
	RoleHR            = "hr"             // onboards starters, records leavers
	RoleSupervisor    = "supervisor"     // acts for their own supervisees and their team's cases
	RoleSupervisee    = "supervisee"     // reads their own schedule, signs or disputes their own records
	RoleAuditor       = "auditor"        // reads everything, personal records included; changes nothing
	RoleSeniorManager = "senior_manager" // reads everything but personal information; changes nothing
	RoleAdmin         = "admin"          // runs the service: legal holds, staff corrections
)

// TokenRoles is every role a token may carry, in the order `dev` prints tokens for them.
var TokenRoles = []string{RoleHR, RoleSupervisor, RoleSupervisee, RoleAuditor, RoleSeniorManager, RoleAdmin}

// Principal is who is calling, from a verified token: the subject is the
// person (a staff id for staff), never a field of a request body.
type Principal struct {
	ID    string   `json:"id"`
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles"`
}

// Has reports whether the principal holds any of roles.
func (p Principal) Has(roles ...string) bool {
	for _, r := range roles {
		if slices.Contains(p.Roles, r) {
			return true
		}
	}
	return false
}

// Claims are what a securebase token carries besides the registered claims:
// sub is the person, roles what they may act as.
type Claims struct {
	Name  string   `json:"name,omitempty"`
	Roles []string `json:"roles"`
	jwt.RegisteredClaims
}

// AuthConfig says how tokens are verified: HS256 with a shared secret, or
// RS256 with keys from the identity provider's JWKS URL (refreshed in the
// background). Issuer and audience are checked when set.
type AuthConfig struct {
	Secret   []byte
	JWKSURL  string
	Issuer   string
	Audience string
}

// Authenticator verifies bearer tokens.
type Authenticator struct {
	keyfunc  jwt.Keyfunc
	methods  []string
	issuer   string
	audience string
}

// NewAuthenticator builds the verifier cfg describes; exactly one of Secret
// and JWKSURL must be set.
func NewAuthenticator(ctx context.Context, cfg AuthConfig) (*Authenticator, error) {
	a := &Authenticator{issuer: cfg.Issuer, audience: cfg.Audience}
	switch {
	case len(cfg.Secret) > 0 && cfg.JWKSURL != "":
		return nil, errors.New("tokens: set a secret (HS256) or a JWKS URL (RS256), not both")
	case len(cfg.Secret) > 0:
		if len(cfg.Secret) < 32 {
			return nil, errors.New("tokens: the HS256 secret must be at least 32 bytes")
		}
		secret := slices.Clone(cfg.Secret)
		a.keyfunc = func(*jwt.Token) (any, error) { return secret, nil }
		a.methods = []string{jwt.SigningMethodHS256.Alg()}
	case cfg.JWKSURL != "":
		k, err := keyfunc.NewDefaultCtx(ctx, []string{cfg.JWKSURL})
		if err != nil {
			return nil, fmt.Errorf("tokens: JWKS at %s: %w", cfg.JWKSURL, err)
		}
		a.keyfunc = k.Keyfunc
		a.methods = []string{jwt.SigningMethodRS256.Alg()}
	default:
		return nil, errors.New("tokens: no verifier configured: set SECUREBASE_JWT_SECRET (HS256) or SECUREBASE_JWKS_URL (RS256)")
	}
	return a, nil
}

// Verify checks a raw token's signature, algorithm, expiry, issuer and
// audience, and returns who it names.
func (a *Authenticator) Verify(raw string) (Principal, error) {
	opts := []jwt.ParserOption{jwt.WithValidMethods(a.methods), jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second)}
	if a.issuer != "" {
		opts = append(opts, jwt.WithIssuer(a.issuer))
	}
	if a.audience != "" {
		opts = append(opts, jwt.WithAudience(a.audience))
	}
	var claims Claims
	if _, err := jwt.ParseWithClaims(raw, &claims, a.keyfunc, opts...); err != nil {
		return Principal{}, err
	}
	if claims.Subject == "" {
		return Principal{}, errors.New("token has no subject")
	}
	var roles []string
	for _, r := range claims.Roles {
		if slices.Contains(TokenRoles, r) && !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return Principal{}, fmt.Errorf("token carries none of the roles %v", TokenRoles)
	}
	return Principal{ID: claims.Subject, Name: claims.Name, Roles: roles}, nil
}

// MintToken signs an HS256 token for p, valid for ttl from now. It is for
// `dev`, `securebase token` and tests; production tokens come from the
// council's identity provider.
func MintToken(secret []byte, p Principal, issuer, audience string, ttl time.Duration, now time.Time) (string, error) {
	claims := Claims{Name: p.Name, Roles: p.Roles, RegisteredClaims: jwt.RegisteredClaims{
		Subject: p.ID, Issuer: issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if audience != "" {
		claims.Audience = jwt.ClaimStrings{audience}
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
}

// The browser signs in once (the dashboard's login) and then carries the
// token in an HttpOnly cookie. A change made with the cookie must also
// carry the CSRF header, equal to the readable CSRF cookie set at login
// (double submit), so another site cannot act in the user's name.
const (
	TokenCookie = "securebase_token"
	CSRFCookie  = "securebase_csrf"
	CSRFHeader  = "X-CSRF-Token"
)

// SetLoginCookies stores a verified token for the browser, and a fresh CSRF
// value the dashboard's scripts echo in CSRFHeader.
func SetLoginCookies(c *gin.Context, raw string, ttl time.Duration) {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	secure := c.Request.TLS != nil
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(TokenCookie, raw, int(ttl.Seconds()), "/", "", secure, true)
	c.SetCookie(CSRFCookie, hex.EncodeToString(b), int(ttl.Seconds()), "/", "", secure, false)
}

// ClearLoginCookies signs the browser out.
func ClearLoginCookies(c *gin.Context) {
	c.SetSameSite(http.SameSiteStrictMode)
	c.SetCookie(TokenCookie, "", -1, "/", "", c.Request.TLS != nil, true)
	c.SetCookie(CSRFCookie, "", -1, "/", "", c.Request.TLS != nil, false)
}

const principalKey = "securebase.principal"

// authenticate admits a request only with a valid token: 401, changing
// nothing, otherwise.
func (s *Server) authenticate(c *gin.Context) {
	p, err := s.principalFrom(c)
	if he := (*httpError)(nil); errors.As(err, &he) {
		c.AbortWithStatusJSON(he.status, he.body) // a leaver (403), or the check could not be made (503)
		return
	}
	if err != nil {
		c.Header("WWW-Authenticate", `Bearer realm="securebase"`)
		c.AbortWithStatusJSON(http.StatusUnauthorized, ErrorBody{Error: err.Error(), Problems: []Problem{{Field: "authorization", Problem: err.Error()}}})
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

// principalFrom reads the bearer token (or the login cookie) and verifies it.
func (s *Server) principalFrom(c *gin.Context) (Principal, error) {
	if s.Auth == nil {
		return Principal{}, errors.New("authentication is not configured")
	}
	raw, fromCookie := "", false
	if h := c.GetHeader("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			return Principal{}, errors.New("the Authorization header must be 'Bearer <token>'")
		}
		raw = strings.TrimSpace(token)
	} else if ck, err := c.Cookie(TokenCookie); err == nil && ck != "" {
		raw, fromCookie = ck, true
	} else {
		return Principal{}, errors.New("a bearer token is required")
	}
	p, err := s.Auth.Verify(raw)
	if err != nil {
		return Principal{}, fmt.Errorf("the token is not valid: %v", err)
	}
	if fromCookie && !safeMethod(c.Request.Method) {
		want, err := c.Cookie(CSRFCookie)
		if err != nil || want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.GetHeader(CSRFHeader))) != 1 {
			return Principal{}, errors.New("a change made from the browser must carry the " + CSRFHeader + " header")
		}
	}
	if err := s.stillEmployed(c.Request.Context(), p); err != nil {
		return Principal{}, err
	}
	return p, nil
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// principal is the verified caller of an authenticated request.
func principal(c *gin.Context) Principal {
	if v, ok := c.Get(principalKey); ok {
		return v.(Principal)
	}
	return Principal{}
}

// actor is who is acting: the token's subject, never a field of the body.
// It is carried into every workflow input and so into every audit event.
func actor(c *gin.Context) string {
	return principal(c).ID
}
