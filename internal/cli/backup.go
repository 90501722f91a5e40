package cli

import (
	"fmt"
	"path/filepath"

	"github.com/sluice-ci/sluice/internal/store/sqlstore"
	"github.com/spf13/cobra"
)

func newBackupCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to FILE, while sluice keeps running",
		Long: `Copy the SQLite store of the data folder to FILE (a snapshot: runs, audit
trail, releases, keys, sealed secrets), while other sluice processes keep
working. The server key (SLUICE_SECRET_KEY or DATA/secret.key) is not in
the copy: keep it apart, or sealed secrets cannot be opened after a restore.
With --database (PostgreSQL) use pg_dump instead.`,
		Example: "  sluice backup /backups/sluice-$(date +%F).db",
		Args:    argsBetween(1, 1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.database != "" {
				return usageErr("the store is in PostgreSQL: back it up with pg_dump")
			}
			st, err := g.existingStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			s, ok := st.(*sqlstore.Store)
			if !ok {
				return usageErr("this store cannot be backed up here")
			}
			if err := s.Backup(cmd.Context(), args[0]); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			fmt.Fprintf(g.s.out, "backed up the store of %s to %s\n", s.Dir(), args[0])
			return nil
		},
	}
}

func newRestoreCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "restore FILE",
		Short: "Replace the data folder's store with a backup",
		Long: `Replace the store of the data folder with a backup made by 'sluice backup'.
Stop 'sluice up' and every other sluice process using the folder first.`,
		Example: "  sluice restore /backups/sluice-2026-11-23.db",
		Args:    argsBetween(1, 1, "one FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if g.database != "" {
				return usageErr("the store is in PostgreSQL: restore it with pg_restore")
			}
			dir, err := filepath.Abs(g.dataDir(""))
			if err != nil {
				return err
			}
			if err := sqlstore.Restore(cmd.Context(), dir, args[0]); err != nil {
				return &exitError{code: ExitFailed, err: err}
			}
			st, _, err := g.openStore(cmd.Context(), dir)
			if err != nil {
				return err
			}
			st.Close()
			fmt.Fprintf(g.s.out, "restored the store of %s from %s\n", dir, args[0])
			return nil
		},
	}
}
