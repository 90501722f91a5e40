-- Evidence a gate judges, the gate's decisions, and the audit trail.

-- +goose Up
CREATE TABLE evidence (
    run_id     TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id     TEXT COLLATE "C" NOT NULL,
    kind       TEXT COLLATE "C" NOT NULL,
    digest     TEXT        NOT NULL,
    body       BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, job_id, kind)
);

CREATE TABLE decisions (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id     TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id     TEXT        NOT NULL DEFAULT '',
    env        TEXT        NOT NULL,
    outcome    TEXT        NOT NULL,
    actor      TEXT        NOT NULL DEFAULT '',
    digests    JSON        NOT NULL DEFAULT '{}',
    body       BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX decisions_run ON decisions (run_id, id);

-- The audit trail does not hang off runs: deleting a run keeps its records.
-- Records are only ever appended; the hash chain shows any other change.
-- An appender locks the 'audit' row of store_locks first, so appends from
-- every connection and process form one chain.
CREATE TABLE audit (
    seq       BIGINT      PRIMARY KEY,
    time      TIMESTAMPTZ NOT NULL,
    actor     TEXT        NOT NULL DEFAULT '',
    action    TEXT        NOT NULL,
    subject   TEXT COLLATE "C" NOT NULL DEFAULT '',
    data      JSON        NOT NULL DEFAULT '{}',
    prev_hash TEXT        NOT NULL DEFAULT '',
    hash      TEXT        NOT NULL
);

CREATE INDEX audit_subject ON audit (subject, seq);

INSERT INTO store_locks (name) VALUES ('audit');

-- +goose Down
DELETE FROM store_locks WHERE name = 'audit';
DROP TABLE audit;
DROP TABLE decisions;
DROP TABLE evidence;
