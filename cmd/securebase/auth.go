package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/securebase/securebase/api"
)

// Token settings. A council's identity provider issues RS256 tokens whose
// keys securebase reads from SECUREBASE_JWKS_URL; or tokens are HS256 with a
// shared SECUREBASE_JWT_SECRET. Issuer and audience are checked when set.
const (
	envJWTSecret   = "SECUREBASE_JWT_SECRET"
	envJWKSURL     = "SECUREBASE_JWKS_URL"
	envJWTIssuer   = "SECUREBASE_JWT_ISSUER"
	envJWTAudience = "SECUREBASE_JWT_AUDIENCE"
)

func authConfigFromEnv() api.AuthConfig {
	return api.AuthConfig{
		Secret: []byte(os.Getenv(envJWTSecret)), JWKSURL: os.Getenv(envJWKSURL),
		Issuer: os.Getenv(envJWTIssuer), Audience: os.Getenv(envJWTAudience),
	}
}

// devSecret is what dev signs and verifies its tokens with when no identity
// provider is configured: SECUREBASE_JWT_SECRET, else a random secret kept in
// the data directory so tokens outlive a restart.
func devSecret(dataDir string) ([]byte, error) {
	if s := os.Getenv(envJWTSecret); s != "" {
		return []byte(s), nil
	}
	path := filepath.Join(dataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil {
		return []byte(strings.TrimSpace(string(b))), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	secret := hex.EncodeToString(b)
	return []byte(secret), os.WriteFile(path, []byte(secret+"\n"), 0o600)
}

// devTokenTTL is how long the tokens dev prints stay valid.
const devTokenTTL = 24 * time.Hour

// devSubject is the person dev's token for a role names: onboard staff with
// supervisor_id dev-supervisor and id dev-supervisee to act as both parties.
func devSubject(role string) string { return "dev-" + strings.ReplaceAll(role, "_", "-") }

// printDevTokens prints a ready token for each role.
func printDevTokens(out io.Writer, cfg api.AuthConfig) error {
	fmt.Fprintf(out, "  tokens (valid %s; send as 'Authorization: Bearer <token>', or paste into the dashboard's login):\n", devTokenTTL)
	for _, role := range api.TokenRoles {
		tok, err := api.MintToken(cfg.Secret, api.Principal{ID: devSubject(role), Roles: []string{role}}, cfg.Issuer, cfg.Audience, devTokenTTL, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "    %-15s %-20s %s\n", role, devSubject(role), tok)
	}
	return nil
}

// newTokenCmd mints an HS256 token with SECUREBASE_JWT_SECRET or dev's
// secret: for development, tests and scripts; production tokens come from
// the council's identity provider.
func newTokenCmd() *cobra.Command {
	var sub, name, dataDir string
	var roles []string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "token --sub ID --role ROLE[,ROLE]",
		Short: "Mint an HS256 bearer token (SECUREBASE_JWT_SECRET, or the secret dev keeps in --data-dir)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sub == "" {
				return errors.New("--sub is required: the person the token names")
			}
			for _, r := range roles {
				if !slices.Contains(api.TokenRoles, r) {
					return fmt.Errorf("--role %q is not one of %v", r, api.TokenRoles)
				}
			}
			if len(roles) == 0 {
				return fmt.Errorf("--role is required: one or more of %v", api.TokenRoles)
			}
			secret := []byte(os.Getenv(envJWTSecret))
			if len(secret) == 0 {
				b, err := os.ReadFile(filepath.Join(dataDir, "jwt-secret"))
				if err != nil {
					return fmt.Errorf("no %s and no dev secret in %s: %w", envJWTSecret, dataDir, err)
				}
				secret = []byte(strings.TrimSpace(string(b)))
			}
			tok, err := api.MintToken(secret, api.Principal{ID: sub, Name: name, Roles: roles}, os.Getenv(envJWTIssuer), os.Getenv(envJWTAudience), ttl, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), tok)
			return nil
		},
	}
	cmd.Flags().StringVar(&sub, "sub", "", "the person (staff id) the token names")
	cmd.Flags().StringVar(&name, "name", "", "their display name")
	cmd.Flags().StringSliceVar(&roles, "role", nil, fmt.Sprintf("roles: %v", api.TokenRoles))
	cmd.Flags().DurationVar(&ttl, "ttl", 12*time.Hour, "how long the token is valid")
	cmd.Flags().StringVar(&dataDir, "data-dir", envOr("SECUREBASE_DATA_DIR", "./data"), "where dev keeps its secret")
	return cmd
}
