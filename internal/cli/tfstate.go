package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"github.com/sluice-ci/sluice/internal/store"
	"github.com/sluice-ci/sluice/internal/tfstate"
	"github.com/spf13/cobra"
)

// backendBlock is the snippet users put in a .tf file to keep its state in
// sluice; docs/terraform.md shows the same.
const backendBlock = `  terraform {
    backend "http" {
      address        = "http://127.0.0.1:8080/api/v1/tfstate/network"
      lock_address   = "http://127.0.0.1:8080/api/v1/tfstate/network/lock"
      unlock_address = "http://127.0.0.1:8080/api/v1/tfstate/network/lock"
      username       = "terraform" # any name: Terraform sends the password only with one
    }
  }

  # the API key is the password; keep it out of the file:
  export TF_HTTP_PASSWORD="$SLUICE_KEY"`

func newTFCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tf",
		Short: "Terraform with sluice: the states sluice keeps as their http backend",
		Long: `sluice up is a Terraform state backend (Terraform's built-in "http" backend):
locking, every version kept encrypted, stale writes refused, history, diff
and restore. 'sluice tf state' works with the states kept. See
docs/terraform.md.`,
		Example: `  sluice tf state list
  sluice tf state --help     # the backend block to put in a .tf file`,
	}
	cmd.AddCommand(newTFStateCmd(g))
	return cmd
}

// tfFlags are the flags the state commands share.
type tfFlags struct {
	project string
	version int64
	force   bool
}

func newTFStateCmd(g *globals) *cobra.Command {
	var f tfFlags
	cmd := &cobra.Command{
		Use:   "state",
		Short: "List, show, compare and restore the Terraform states kept by sluice; release a stale lock",
		Long: `sluice up serves Terraform's http backend at /api/v1/tfstate/NAME (states of
no project; a key needs a grant without a project) and at
/api/v1/projects/PROJECT/tfstate/NAME (a project's states; its grants do).
Every version written is kept, encrypted with the server key (SLUICE_SECRET_KEY
or DATA/secret.key); a write with a lower serial than the stored one, or of
another lineage, is refused, and so is one by anybody but the lock's holder.
Put this in a .tf file, with an API key holding tfstate:write (developer):

` + backendBlock + `

These commands work on the data folder (or --database) directly, as its
owner; each read and change is an audit record. See docs/terraform.md.`,
		Example: `  sluice tf state list
  sluice tf state history network
  sluice tf state diff network 3 5
  sluice tf state show network --version 3 > old.tfstate
  sluice tf state restore network --version 3
  sluice tf state unlock network --force`,
	}
	open := func(ctx context.Context) (*tfstate.Backend, func(), error) {
		data, err := filepath.Abs(g.dataDir(""))
		if err != nil {
			return nil, nil, err
		}
		st, err := g.existingStore(ctx)
		if err != nil {
			return nil, nil, err
		}
		key, err := g.sealKey(data)
		if err != nil {
			_ = st.Close()
			return nil, nil, err
		}
		return &tfstate.Backend{Store: st, Key: key}, func() { _ = st.Close() }, nil
	}
	ref := func(name string) (tfstate.Ref, error) {
		r, err := tfstate.NewRef(f.project, name)
		if err != nil {
			return r, usageErr("%v", err)
		}
		return r, nil
	}
	// fail turns the backend's errors into exit codes: what the user can
	// fix is a usage error, a refusal a failure.
	fail := func(r tfstate.Ref, err error) error {
		switch {
		case errors.Is(err, store.ErrNotFound):
			return &exitError{code: ExitFailed, err: fmt.Errorf("%s: %w (sluice tf state list shows the states kept)", r, err)}
		case errors.Is(err, tfstate.ErrBadInput):
			return usageErr("%v", err)
		case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrConflict):
			return &exitError{code: ExitFailed, err: err}
		}
		return err
	}

	list := &cobra.Command{
		Use:     "list",
		Short:   "List the states: current version and serial, who wrote it, and who holds the lock",
		Example: "  sluice tf state list",
		Args:    argsBetween(0, 0, "no arguments"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			states, err := st.TFState().ListTFStates(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "STATE\tVERSION\tSERIAL\tUPDATED\tBY\tLOCK")
			for _, x := range states {
				r := tfstate.Ref{Project: x.Project, Name: x.Name}
				v := strconv.FormatInt(x.Version, 10)
				if x.Version == 0 {
					v = "none"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", r, v, x.Serial, when(x.UpdatedAt), dash(x.UpdatedBy), lockText(x.Lock))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(states) == 0 {
				fmt.Fprintln(g.s.out, "no Terraform state is kept here yet")
			}
			return nil
		},
	}

	show := &cobra.Command{
		Use:   "show NAME [--version N] [--project P]",
		Short: "Print a state's content (the current version, or --version N) as Terraform wrote it",
		Example: `  sluice tf state show network
  sluice tf state show network --version 3 > network-v3.tfstate`,
		Args: argsBetween(1, 1, "one state name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ref(args[0])
			if err != nil {
				return err
			}
			b, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			content, _, err := b.Read(cmd.Context(), r, f.version, currentUser())
			if err != nil {
				return fail(r, err)
			}
			_, err = g.s.out.Write(content)
			return err
		},
	}
	show.Flags().Int64Var(&f.version, "version", 0, "version to show (default: the current one)")

	history := &cobra.Command{
		Use:     "history NAME [--project P]",
		Short:   "List a state's versions: serial, lineage, digest, size, who wrote it and when",
		Example: "  sluice tf state history network",
		Args:    argsBetween(1, 1, "one state name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ref(args[0])
			if err != nil {
				return err
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			cur, err := st.TFState().GetTFState(cmd.Context(), r.Project, r.Name)
			if err != nil {
				return fail(r, err)
			}
			vs, err := st.TFState().ListTFStateVersions(cmd.Context(), r.Project, r.Name)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(g.s.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tSERIAL\tLINEAGE\tSHA256\tSIZE\tBY\tWRITTEN\tNOTE")
			for _, v := range vs {
				var note string
				if v.RestoredFrom > 0 {
					note = fmt.Sprintf("restores version %d", v.RestoredFrom)
				}
				if v.Version == cur.Version {
					note = joinNote(note, "current")
				}
				fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%d\t%s\t%s\t%s\n", v.Version, v.Serial, truncate(v.Lineage, 13), v.SHA256[:12], v.Size,
					dash(v.Actor), when(v.CreatedAt), dash(note))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if cur.Lock != nil {
				fmt.Fprintf(g.s.out, "locked: %s\n", lockText(cur.Lock))
			}
			return nil
		},
	}

	diff := &cobra.Command{
		Use:   "diff NAME A B [--project P]",
		Short: "List the resources and outputs added (+), removed (-) and changed (~, with the attributes' names) from version A to B",
		Example: `  sluice tf state diff network 3 5
  sluice tf state diff network 3 current`,
		Args: argsBetween(3, 3, "a state name and two versions"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ref(args[0])
			if err != nil {
				return err
			}
			var vs [2]int64
			for i, a := range args[1:] {
				if a == "current" {
					continue
				}
				if vs[i], err = tfstate.VersionArg(a); err != nil {
					return usageErr("%v", err)
				}
			}
			b, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			c, err := b.DiffVersions(cmd.Context(), r, vs[0], vs[1], currentUser())
			if err != nil {
				return fail(r, err)
			}
			return c.Write(g.s.out)
		},
	}

	restore := &cobra.Command{
		Use:   "restore NAME --version N [--project P]",
		Short: "Make an earlier version current again, as a new version with the next serial",
		Long: `Make version N of a state current again. Its content is stored as a new
version, with the serial after the current one so that Terraform accepts it
as the newest; the next plan compares the configuration with it. Refused
while someone holds the state's lock. Recorded in the audit trail as
tfstate.restore.`,
		Example: "  sluice tf state restore network --version 3",
		Args:    argsBetween(1, 1, "one state name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ref(args[0])
			if err != nil {
				return err
			}
			if f.version < 1 {
				return usageErr("--version N is required: the version to restore (sluice tf state history %s lists them)", args[0])
			}
			b, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			v, err := b.Restore(cmd.Context(), r, f.version, currentUser())
			if err != nil {
				return fail(r, err)
			}
			fmt.Fprintf(g.s.out, "restored version %d of %s as version %d (serial %d)\n", f.version, r, v.Version, v.Serial)
			return nil
		},
	}
	restore.Flags().Int64Var(&f.version, "version", 0, "version to restore (required)")

	unlock := &cobra.Command{
		Use:   "unlock NAME --force [--project P]",
		Short: "Release a state's lock left by a Terraform that was killed or lost its connection",
		Long: `Release the lock held on a state whatever its id: for a lock left behind by a
Terraform that was killed (kill -9, a lost CI runner) and can no longer
unlock. Make sure nobody still runs with it: its next write is refused.
Recorded in the audit trail as tfstate.force_unlock. Terraform's own
'terraform force-unlock ID' releases a lock by its id through the API.`,
		Example: "  sluice tf state unlock network --force",
		Args:    argsBetween(1, 1, "one state name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := ref(args[0])
			if err != nil {
				return err
			}
			if !f.force {
				return usageErr("unlocking without the lock's id needs --force (make sure no Terraform still runs with the lock)")
			}
			b, done, err := open(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			held, err := b.Unlock(cmd.Context(), r, "", true, currentUser())
			if errors.Is(err, store.ErrNotFound) {
				return &exitError{code: ExitFailed, err: fmt.Errorf("%s is not locked", r)}
			}
			if err != nil {
				return fail(r, err)
			}
			fmt.Fprintf(g.s.out, "released the lock of %s: %s\n", r, lockText(held))
			return nil
		},
	}
	unlock.Flags().BoolVar(&f.force, "force", false, "release the lock whatever its id (required)")

	for _, c := range []*cobra.Command{show, history, diff, restore, unlock} {
		c.Flags().StringVar(&f.project, "project", "", "project of the state (default: a state of no project)")
	}
	cmd.AddCommand(list, show, history, diff, restore, unlock)
	return cmd
}

// lockText says who holds a lock and since when, or "-".
func lockText(l *store.TFLock) string {
	if l == nil {
		return "-"
	}
	li, err := tfstate.ParseLockInfo(tfstate.LockInfoOf(l))
	if err != nil {
		return l.ID
	}
	s := fmt.Sprintf("%s by %s", li.ID, dash(l.Actor))
	if li.Who != "" {
		s += " (" + li.Who
		if li.Operation != "" {
			s += ", " + li.Operation
		}
		s += ")"
	}
	return s + " since " + when(l.CreatedAt)
}

func joinNote(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}
