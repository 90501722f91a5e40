package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/pipeline/spec"
	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/tfstate"
	"github.com/spf13/cobra"
)

// secretPlace is the authenticated data a secret is sealed with: a sealed
// value copied to another name or scope does not open.
func secretPlace(project, env, name string) string {
	return "secret/" + project + "/" + env + "/" + name
}

// keyID names a server key without revealing it.
func keyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:4])
}

func (g *globals) sealKey(data string) ([]byte, error) {
	k, err := server.LoadSealKey(filepath.Join(data, "secret.key"))
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return k, nil
}

func newSecretsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secrets",
		Short: "Keep secrets in the store, encrypted, for an environment's jobs",
		Long: `Secrets kept in the store are encrypted at rest (AES-256-GCM with the server
key: SLUICE_SECRET_KEY, or DATA/secret.key) and bound to their name and scope.
A job bound to an environment (environment: in sluice.yaml) gets the secrets
that environment lists (environments.NAME.secrets) as environment variables,
masked in every log; every read and change is an audit record. Values are
read from standard input, never from the command line.`,
	}
	var env, project string
	set := &cobra.Command{
		Use:     "set NAME [--env ENV] [--project P]   (value on stdin)",
		Short:   "Store a secret (the value is read from standard input)",
		Example: `  printf %s "$TOKEN" | sluice secrets set GOODBOOKS_API_TOKEN --env production`,
		Args:    argsBetween(1, 1, "one secret name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !spec.ValidName(name) {
				return usageErr("secret name %q: letters, digits and _, not starting with a digit", name)
			}
			value, err := io.ReadAll(io.LimitReader(bufio.NewReader(g.s.in), 64<<10+1))
			if err != nil {
				return err
			}
			v := strings.TrimSuffix(strings.TrimSuffix(string(value), "\n"), "\r")
			if v == "" || len(value) > 64<<10 {
				return usageErr("give the value on standard input (1 byte to 64 KiB)")
			}
			data, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			st, _, err := g.openStore(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer st.Close()
			key, err := g.sealKey(data)
			if err != nil {
				return err
			}
			sealed, err := auth.SealSigningKey(key, secretPlace(project, env, name), []byte(v))
			if err != nil {
				return err
			}
			s := &store.Secret{Project: project, Env: env, Name: name, Sealed: sealed, KeyID: keyID(key), UpdatedBy: currentUser(), UpdatedAt: time.Now()}
			if err := st.Secrets().PutSecret(cmd.Context(), s, &store.AuditRecord{Time: time.Now(), Actor: currentUser(), Action: "secret.put",
				Subject: secretPlace(project, env, name)}); err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "stored %s for %s (encrypted with key %s)\n", name, scopeText(project, env), s.KeyID)
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List stored secrets (names, scopes and dates; never values)",
		Args:  argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			ss, err := st.Secrets().ListSecrets(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCOPE\tKEY\tUPDATED\tBY")
			for _, s := range ss {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, scopeText(s.Project, s.Env), s.KeyID, when(s.UpdatedAt), s.UpdatedBy)
			}
			return tw.Flush()
		},
	}
	rm := &cobra.Command{
		Use:   "rm NAME [--env ENV] [--project P]",
		Short: "Delete a stored secret",
		Args:  argsBetween(1, 1, "one secret name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			err = st.Secrets().DeleteSecret(cmd.Context(), project, env, args[0], &store.AuditRecord{Time: time.Now(), Actor: currentUser(),
				Action: "secret.delete", Subject: secretPlace(project, env, args[0])})
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("no secret %s for %s", args[0], scopeText(project, env))}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "deleted %s for %s\n", args[0], scopeText(project, env))
			return nil
		},
	}
	for _, c := range []*cobra.Command{set, rm} {
		c.Flags().StringVar(&env, "env", "", "environment the secret is for (default: every one)")
		c.Flags().StringVar(&project, "project", "", "project the secret is for (default: every one)")
	}
	cmd.AddCommand(set, list, rm, newRotateKeyCmd(g))
	return cmd
}

func scopeText(project, env string) string {
	p, e := project, env
	if p == "" {
		p = "every project"
	}
	if e == "" {
		e = "every environment"
	}
	return p + ", " + e
}

// envSecrets loads the stored secrets each environment of p lists (the
// environment's own value first, else one for every environment), opens
// them and audits each read. Names with no stored value are left to
// --secret.
func envSecrets(ctx context.Context, st store.Store, key []byte, p *spec.Pipeline, project, actor string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for _, e := range p.Environments {
		for _, name := range e.Secrets {
			var s *store.Secret
			var err error
			for _, scope := range [][2]string{{project, e.Name}, {project, ""}, {"", e.Name}, {"", ""}} {
				if s, err = st.Secrets().GetSecret(ctx, scope[0], scope[1], name); err == nil {
					break
				}
			}
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			v, err := auth.OpenSigningKey(key, secretPlace(s.Project, s.Env, s.Name), s.Sealed)
			if err != nil {
				return nil, fmt.Errorf("secret %s of %s cannot be decrypted with this server key (it was sealed with key %s): %w", name, e.Name, s.KeyID, err)
			}
			if out[e.Name] == nil {
				out[e.Name] = map[string]string{}
			}
			out[e.Name][name] = string(v)
			if err := st.Audit().AppendAudit(ctx, &store.AuditRecord{Time: time.Now(), Actor: actor, Action: "secret.read",
				Subject: secretPlace(s.Project, s.Env, s.Name), Data: map[string]string{"for": e.Name, "pipeline": p.Name}}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// newRotateKeyCmd re-seals everything sealed with the server key under a
// new key.
func newRotateKeyCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rotate-key",
		Short: "Seal every stored secret, webhook secret and signing key with a new server key",
		Long: `Make a new server key and seal everything the old one sealed with it: stored
secrets, projects' webhook secrets, API keys' request-signing keys and every
version of the Terraform states kept, in the store, then replace
DATA/secret.key (the old key is kept as DATA/secret.key.old until you delete
it). With SLUICE_SECRET_KEY set, give
the new key as SLUICE_NEW_SECRET_KEY (64 hex characters) and set it as
SLUICE_SECRET_KEY afterwards. Stop 'sluice up' first.`,
		Example: "  sluice secrets rotate-key",
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			data, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			st, _, err := g.openStore(ctx, data)
			if err != nil {
				return err
			}
			defer st.Close()
			old, err := g.sealKey(data)
			if err != nil {
				return err
			}
			fresh := make([]byte, auth.MasterKeyLen)
			if v := os.Getenv("SLUICE_NEW_SECRET_KEY"); v != "" {
				if fresh, err = hex.DecodeString(strings.TrimSpace(v)); err != nil || len(fresh) != auth.MasterKeyLen {
					return usageErr("SLUICE_NEW_SECRET_KEY: want 64 hex characters")
				}
			} else if _, err := rand.Read(fresh); err != nil {
				return err
			}
			reseal := func(place string, sealed []byte) ([]byte, error) {
				v, err := auth.OpenSigningKey(old, place, sealed)
				if err != nil {
					return nil, fmt.Errorf("%s does not open with the current key: %w", place, err)
				}
				return auth.SealSigningKey(fresh, place, v)
			}
			// Open everything first: nothing is changed unless all of it opens.
			secrets, err := st.Secrets().ListSecrets(ctx)
			if err != nil {
				return err
			}
			projects, err := st.Control().ListProjects(ctx)
			if err != nil {
				return err
			}
			keys, err := st.Control().ListKeys(ctx)
			if err != nil {
				return err
			}
			for _, s := range secrets {
				if s.Sealed, err = reseal(secretPlace(s.Project, s.Env, s.Name), s.Sealed); err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
				s.KeyID = keyID(fresh)
			}
			for _, p := range projects {
				if len(p.WebhookSecret) == 0 {
					continue
				}
				if p.WebhookSecret, err = reseal("project/"+p.Name, p.WebhookSecret); err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
			}
			for _, k := range keys {
				if len(k.SigningKey) == 0 || !k.RevokedAt.IsZero() {
					continue
				}
				if k.SigningKey, err = reseal(k.ID, k.SigningKey); err != nil {
					return &exitError{code: ExitFailed, err: err}
				}
			}
			tf := &tfstate.Backend{Store: st, Key: old}
			tfStates, err := tf.PrepareReseal(ctx, fresh)
			if err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			// Keep the new key safe before the store depends on it.
			keyFile := filepath.Join(data, "secret.key")
			if os.Getenv("SLUICE_SECRET_KEY") == "" {
				if err := os.Rename(keyFile, keyFile+".old"); err != nil {
					return err
				}
				if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(fresh)+"\n"), 0o600); err != nil { // #nosec G703 -- the data folder is the operator's own
					return err
				}
			}
			audit := &store.AuditRecord{Time: time.Now(), Actor: currentUser(), Action: "secret.key_rotated", Subject: "server-key",
				Data: map[string]string{"from": keyID(old), "to": keyID(fresh)}}
			for _, s := range secrets {
				if err := st.Secrets().PutSecret(ctx, s, nil); err != nil {
					return err
				}
			}
			for _, p := range projects {
				if err := st.Control().PutProject(ctx, p, nil); err != nil {
					return err
				}
			}
			for _, k := range keys {
				if err := st.Control().UpdateSigningKey(ctx, k.ID, k.SigningKey); err != nil {
					return err
				}
			}
			if err := tf.ApplyReseal(ctx, tfStates); err != nil {
				return err
			}
			if err := st.Audit().AppendAudit(ctx, audit); err != nil {
				return err
			}
			if len(tfStates) > 0 {
				fmt.Fprintf(g.s.out, "re-sealed %d Terraform state versions\n", len(tfStates))
			}
			fmt.Fprintf(g.s.out, "re-sealed %d secrets, %d webhook secrets and %d signing keys with key %s (was %s)\n",
				len(secrets), len(projects), len(keys), keyID(fresh), keyID(old))
			return nil
		},
	}
}

// deploySecrets returns the target's hook that opens an environment's
// stored secrets for its app, auditing each read.
func (g *globals) deploySecrets(st store.Store, data string) func(ctx context.Context, env string, names []string) (map[string]string, error) {
	return func(ctx context.Context, env string, names []string) (map[string]string, error) {
		stored, err := st.Secrets().ListSecrets(ctx)
		if err != nil || len(stored) == 0 {
			return nil, err
		}
		key, err := g.sealKey(data)
		if err != nil {
			return nil, err
		}
		p := &spec.Pipeline{Name: "deploy", Environments: []*spec.Environment{{Name: env, Secrets: names}}}
		all, err := envSecrets(ctx, st, key, p, "", currentUser())
		if err != nil {
			return nil, err
		}
		return all[env], nil
	}
}
