package sqlstore

import (
	"context"
	"fmt"

	"github.com/sluice-ci/sluice/internal/store"
)

// artifactStore implements store.ArtifactStore.
type artifactStore struct{ s *Store }

// PutArtifact records a, replacing the record of the same (RunID, JobID,
// Path). Its job must be stored, else store.ErrNotFound.
func (as artifactStore) PutArtifact(ctx context.Context, a *store.Artifact) error {
	_, err := as.s.w.ExecContext(ctx, `INSERT INTO artifacts
			(run_id, job_id, path, size, sha256, mode, stored_path)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, job_id, path) DO UPDATE SET
			size = excluded.size, sha256 = excluded.sha256, mode = excluded.mode,
			stored_path = excluded.stored_path`,
		a.RunID, a.JobID, a.Path, a.Size, a.SHA256, int64(a.Mode), a.StoredPath)
	if err != nil {
		return fmt.Errorf("put artifact %s of %s/%s: %w", a.Path, a.RunID, a.JobID,
			constraintErr(err, "job "+a.RunID+"/"+a.JobID))
	}
	return nil
}

// ListArtifacts returns a job's artifacts by path; with jobID empty, the
// run's artifacts in job order, then by path.
func (as artifactStore) ListArtifacts(ctx context.Context, runID, jobID string) ([]*store.Artifact, error) {
	q := `SELECT a.run_id, a.job_id, a.path, a.size, a.sha256, a.mode, a.stored_path
		FROM artifacts a JOIN jobs j ON j.run_id = a.run_id AND j.id = a.job_id
		WHERE a.run_id = ?`
	args := []any{runID}
	if jobID != "" {
		q += ` AND a.job_id = ?`
		args = append(args, jobID)
	}
	rows, err := as.s.r.QueryContext(ctx, q+` ORDER BY j.ordinal, a.path`, args...)
	if err != nil {
		return nil, fmt.Errorf("list artifacts of %s/%s: %w", runID, jobID, err)
	}
	defer rows.Close()
	var list []*store.Artifact
	for rows.Next() {
		var (
			a    store.Artifact
			mode int64
		)
		if err := rows.Scan(&a.RunID, &a.JobID, &a.Path, &a.Size, &a.SHA256, &mode,
			&a.StoredPath); err != nil {
			return nil, fmt.Errorf("list artifacts of %s/%s: %w", runID, jobID, err)
		}
		a.Mode = uint32(mode) // #nosec G115 -- written from a uint32 by PutArtifact
		list = append(list, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list artifacts of %s/%s: %w", runID, jobID, err)
	}
	return list, nil
}
