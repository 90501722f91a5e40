package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sluice-ci/sluice/internal/auth"
	"github.com/sluice-ci/sluice/internal/server"
	"github.com/sluice-ci/sluice/internal/store"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newUsersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Add, list and disable user accounts of the control plane",
		Long: `A user account lets a person log in to the web UI (or POST /api/v1/sessions)
with a name and a password instead of an API key. A user holds grants as a
key does: a role (viewer, developer, approver, admin) optionally scoped to a
project and an environment, written role, role@project or role@project/env.
Each login gets a key of its own that expires after 12 hours and acts as the
user in the audit trail.

Passwords have at least 12 characters. They are read from the terminal
(twice, without echo), or from the first line of standard input with
--password-stdin, never from the command line. Only an argon2id hash is
stored. Disabling a user or setting their password ends their sessions.

These commands work on the data folder directly (as its owner you may add
the first admin); through the API, users need the admin role.`,
		Example: `  sluice users add ana --grant developer@goodbooks --grant approver@*/staging
  printf '%s\n' "$PASSWORD" | sluice users add ci-viewer --grant viewer --password-stdin
  sluice users list
  sluice users passwd ana
  sluice users disable ana`,
	}
	cmd.AddCommand(newUsersAddCmd(g), newUsersListCmd(g), newUsersDisableCmd(g), newUsersPasswdCmd(g))
	return cmd
}

func newUsersAddCmd(g *globals) *cobra.Command {
	var (
		grants []string
		stdin  bool
	)
	cmd := &cobra.Command{
		Use:   "add NAME --grant ROLE[@PROJECT[/ENV]]... [--password-stdin]",
		Short: "Add a user with grants and a password",
		Example: `  sluice users add ana --grant developer@goodbooks --grant approver@*/staging
  sluice users add ops --grant admin
  printf '%s\n' "$PASSWORD" | sluice users add bo --grant viewer --password-stdin`,
		Args: argsBetween(1, 1, "the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if !server.ValidUserName(name) {
				return usageErr("user name %q: lowercase letters, digits, '.', '_' and '-', at most 63", name)
			}
			if len(grants) == 0 {
				return usageErr("give at least one --grant, like developer or approver@goodbooks/production")
			}
			for _, gr := range grants {
				if _, err := auth.ParseGrant(gr); err != nil {
					return usageErr("--grant %s: %v", gr, err)
				}
			}
			password, err := g.readPassword(name, stdin)
			if err != nil {
				return err
			}
			u, err := server.NewUser(time.Now(), name, password, grants, currentUser())
			if err != nil {
				return usageErr("%v", err)
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
			err = st.Control().CreateUser(cmd.Context(), u, auditUser(name, "user.create", map[string]string{"grants": strings.Join(grants, ",")}))
			if errors.Is(err, store.ErrConflict) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("there is already a user %s (perhaps disabled): choose another name", name)}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "added user %s with %s\n", name, strings.Join(grants, ", "))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&grants, "grant", nil, "role[@project[/env]] (repeatable)")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func newUsersListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List users (never their password hashes)",
		Example: `  sluice users list`,
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			users, err := st.Control().ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tGRANTS\tCREATED BY\tCREATED\tLAST LOGIN\tSTATE")
			for _, u := range users {
				state := "active"
				if !u.DisabledAt.IsZero() {
					state = "disabled " + when(u.DisabledAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Name, strings.Join(u.Grants, ","), u.CreatedBy, when(u.CreatedAt), when(u.LastLoginAt), state)
			}
			return tw.Flush()
		},
	}
}

func newUsersDisableCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "disable NAME",
		Short: "Disable a user: no more logins, and their sessions end now",
		Long: `Disable a user account. The user can no longer log in, and the keys of
their login sessions are revoked at once, so a web UI session of theirs ends
at its next page. The name stays taken.`,
		Example: `  sluice users disable ana`,
		Args:    argsBetween(1, 1, "the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			err = st.Control().DisableUser(cmd.Context(), args[0], time.Now(), auditUser(args[0], "user.disable", nil))
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("no active user %s", args[0])}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "disabled user %s; their sessions are ended\n", args[0])
			return nil
		},
	}
}

func newUsersPasswdCmd(g *globals) *cobra.Command {
	var stdin bool
	cmd := &cobra.Command{
		Use:   "passwd NAME [--password-stdin]",
		Short: "Set a user's password; their sessions end",
		Example: `  sluice users passwd ana
  printf '%s\n' "$NEW_PASSWORD" | sluice users passwd ana --password-stdin`,
		Args: argsBetween(1, 1, "the user's name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			if _, err := st.Control().GetUser(cmd.Context(), name); errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("no user %s", name)}
			} else if err != nil {
				return err
			}
			password, err := g.readPassword(name, stdin)
			if err != nil {
				return err
			}
			hash, err := auth.HashPassword(password)
			if err != nil {
				return usageErr("%v", err)
			}
			err = st.Control().UpdateUserPassword(cmd.Context(), name, hash, time.Now(), auditUser(name, "user.password", nil))
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("no active user %s: a disabled user's password is not set", name)}
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(g.s.out, "set the password of %s; their sessions are ended\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

// readPassword reads a new password for user: the first line of standard
// input with fromStdin, else from the terminal, typed twice without echo.
// It refuses one shorter than auth.MinPasswordLen.
func (g *globals) readPassword(user string, fromStdin bool) (string, error) {
	var password string
	if fromStdin {
		line, err := bufio.NewReader(io.LimitReader(g.s.in, auth.MaxPasswordLen+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password: %w", err)
		}
		password = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	} else {
		f, ok := g.s.in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return "", usageErr("standard input is not a terminal: give the password on it with --password-stdin")
		}
		ask := func(prompt string) (string, error) {
			fmt.Fprint(g.s.err, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(g.s.err)
			if err != nil {
				return "", fmt.Errorf("read the password: %w", err)
			}
			return string(b), nil
		}
		first, err := ask("New password for " + user + ": ")
		if err != nil {
			return "", err
		}
		if err := auth.CheckPasswordRules(first); err != nil {
			return "", usageErr("%v", err)
		}
		again, err := ask("The same password again: ")
		if err != nil {
			return "", err
		}
		if again != first {
			return "", usageErr("the two passwords differ; nothing was changed")
		}
		password = first
	}
	if err := auth.CheckPasswordRules(password); err != nil {
		return "", usageErr("%v", err)
	}
	return password, nil
}

// auditUser is the audit record of a user change made on the command line.
func auditUser(name, action string, data map[string]string) *store.AuditRecord {
	return &store.AuditRecord{Time: time.Now(), Actor: currentUser(), Action: action, Subject: "user/" + name, Data: data}
}
