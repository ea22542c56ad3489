package api

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"
)

var testKey = []byte("api-test-secret-0123456789abcdefghij")

func hsAuth(t *testing.T, cfg AuthConfig) *Authenticator {
	t.Helper()
	cfg.Secret = testKey
	a, err := NewAuthenticator(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestVerifyHS256(t *testing.T) {
	a := hsAuth(t, AuthConfig{Issuer: "https://idp.example", Audience: "securebase"})
	now := time.Now()
	good, _ := MintToken(testKey, Principal{ID: "tm-1", Name: "Team Manager", Roles: []string{"supervisor", "not-a-role", "supervisor"}}, "https://idp.example", "securebase", time.Hour, now)
	p, err := a.Verify(good)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "tm-1" || p.Name != "Team Manager" || len(p.Roles) != 1 || !p.Has(RoleSupervisor) || p.Has(RoleAuditor) {
		t.Fatalf("principal %+v: want tm-1 with the one known role supervisor", p)
	}

	bad := map[string]string{}
	bad["expired"], _ = MintToken(testKey, Principal{ID: "tm-1", Roles: []string{"hr"}}, "https://idp.example", "securebase", time.Hour, now.Add(-2*time.Hour))
	bad["wrong secret"], _ = MintToken([]byte("another-secret-0123456789abcdefghij"), Principal{ID: "tm-1", Roles: []string{"hr"}}, "https://idp.example", "securebase", time.Hour, now)
	bad["wrong issuer"], _ = MintToken(testKey, Principal{ID: "tm-1", Roles: []string{"hr"}}, "https://evil.example", "securebase", time.Hour, now)
	bad["wrong audience"], _ = MintToken(testKey, Principal{ID: "tm-1", Roles: []string{"hr"}}, "https://idp.example", "other-app", time.Hour, now)
	bad["no roles"], _ = MintToken(testKey, Principal{ID: "tm-1", Roles: []string{"superuser"}}, "https://idp.example", "securebase", time.Hour, now)
	bad["no subject"], _ = MintToken(testKey, Principal{Roles: []string{"hr"}}, "https://idp.example", "securebase", time.Hour, now)
	noExp := jwt.NewWithClaims(jwt.SigningMethodHS256, Claims{Roles: []string{"hr"}, RegisteredClaims: jwt.RegisteredClaims{Subject: "tm-1", Issuer: "https://idp.example", Audience: jwt.ClaimStrings{"securebase"}}})
	bad["no expiry"], _ = noExp.SignedString(testKey)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, Claims{Roles: []string{"hr"}, RegisteredClaims: jwt.RegisteredClaims{Subject: "tm-1", ExpiresAt: jwt.NewNumericDate(now.Add(time.Hour))}})
	bad["alg none"], _ = none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	bad["garbage"] = "not.a.token"
	for name, tok := range bad {
		if tok == "" {
			t.Fatalf("%s: could not build the token", name)
		}
		if p, err := a.Verify(tok); err == nil {
			t.Errorf("%s: verified as %+v, want refused", name, p)
		}
	}
}

// TestVerifyRS256FromJWKS: a council's identity provider signs with RS256
// and publishes its keys; an HS256 token made with the public key as the
// secret (algorithm confusion) is refused.
func TestVerifyRS256FromJWKS(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "idp-1", ALG: jwkset.AlgRS256}})
	if err != nil {
		t.Fatal(err)
	}
	store := jwkset.NewMemoryStorage()
	if err := store.KeyWrite(context.Background(), jwk); err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := store.JSONPublic(r.Context())
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(raw)
	}))
	defer idp.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := NewAuthenticator(ctx, AuthConfig{JWKSURL: idp.URL})
	if err != nil {
		t.Fatal(err)
	}
	claims := Claims{Roles: []string{"auditor"}, RegisteredClaims: jwt.RegisteredClaims{Subject: "aud-7", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour))}}
	signed := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	signed.Header["kid"] = "idp-1"
	tok, err := signed.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Verify(tok)
	if err != nil || p.ID != "aud-7" || !p.Has(RoleAuditor) {
		t.Fatalf("RS256 token: %+v %v", p, err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged, _ := signed.SignedString(other)
	if _, err := a.Verify(forged); err == nil {
		t.Error("a token signed by another key verified")
	}
	hs, _ := MintToken([]byte(strings.Repeat("k", 40)), Principal{ID: "aud-7", Roles: []string{"admin"}}, "", "", time.Hour, time.Now())
	if _, err := a.Verify(hs); err == nil {
		t.Error("an HS256 token verified against the JWKS verifier")
	}
}

func TestNewAuthenticatorNeedsOneVerifier(t *testing.T) {
	for name, cfg := range map[string]AuthConfig{
		"none":         {},
		"both":         {Secret: testKey, JWKSURL: "http://127.0.0.1:1/jwks"},
		"short secret": {Secret: []byte("short")},
	} {
		if _, err := NewAuthenticator(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestAuthenticate: no token, a bad header and a bad token are 401 with the
// one error shape, and the handler is never reached; a browser's cookie
// works for reads, and for changes only with the CSRF header.
func TestAuthenticate(t *testing.T) {
	s := &Server{Auth: hsAuth(t, AuthConfig{})}
	reached := 0
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(s.authenticate)
	r.Any("/x", func(c *gin.Context) { reached++; c.JSON(200, gin.H{"actor": actor(c)}) })
	tok, _ := MintToken(testKey, Principal{ID: "sw-1", Roles: []string{"supervisee"}}, "", "", time.Hour, time.Now())
	do := func(method string, header map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/x", nil)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	for name, h := range map[string]map[string]string{
		"no token":                {},
		"basic scheme":            {"Authorization": "Basic dXNlcjpwYXNz"},
		"empty bearer":            {"Authorization": "Bearer "},
		"bad token":               {"Authorization": "Bearer abc.def.ghi"},
		"cookie, no csrf on POST": {"Cookie": TokenCookie + "=" + tok + "; " + CSRFCookie + "=abc"},
		"cookie, wrong csrf":      {"Cookie": TokenCookie + "=" + tok + "; " + CSRFCookie + "=abc", CSRFHeader: "abd"},
	} {
		w := do("POST", h)
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), `"field":"authorization"`) {
			t.Errorf("%s: %d %s, want 401 naming authorization", name, w.Code, w.Body)
		}
	}
	if reached != 0 {
		t.Fatalf("the handler ran %d times for refused requests", reached)
	}
	for name, c := range map[string]struct {
		method string
		h      map[string]string
	}{
		"bearer":           {"POST", map[string]string{"Authorization": "Bearer " + tok}},
		"cookie read":      {"GET", map[string]string{"Cookie": TokenCookie + "=" + tok}},
		"cookie with csrf": {"POST", map[string]string{"Cookie": TokenCookie + "=" + tok + "; " + CSRFCookie + "=abc", CSRFHeader: "abc"}},
	} {
		w := do(c.method, c.h)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"actor":"sw-1"`) {
			t.Errorf("%s: %d %s, want 200 acting as sw-1", name, w.Code, w.Body)
		}
	}
}
