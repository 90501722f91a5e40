-- Evidence a gate judges, the gate's decisions, and the audit trail.

-- +goose Up
CREATE TABLE evidence (
    run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id     TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    body       BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, job_id, kind)
);

CREATE TABLE decisions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id     TEXT    NOT NULL DEFAULT '',
    env        TEXT    NOT NULL,
    outcome    TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    digests    TEXT    NOT NULL DEFAULT '{}',
    body       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE INDEX decisions_run ON decisions (run_id, id);

-- The audit trail does not hang off runs: deleting a run keeps its records.
-- Records are only ever appended; the hash chain shows any other change.
CREATE TABLE audit (
    seq       INTEGER PRIMARY KEY,
    time      INTEGER NOT NULL,
    actor     TEXT    NOT NULL DEFAULT '',
    action    TEXT    NOT NULL,
    subject   TEXT    NOT NULL DEFAULT '',
    data      TEXT    NOT NULL DEFAULT '{}',
    prev_hash TEXT    NOT NULL DEFAULT '',
    hash      TEXT    NOT NULL
);

CREATE INDEX audit_subject ON audit (subject, seq);

-- +goose Down
DROP TABLE audit;
DROP TABLE decisions;
DROP TABLE evidence;
