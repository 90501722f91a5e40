-- Initial schema of the embedded store.
--
-- Conventions: times are INTEGER unix nanoseconds in UTC, NULL when unset, so
-- they sort and compare as numbers; maps and lists are JSON text; every table
-- hangs off runs with ON DELETE CASCADE so deleting a run removes all of it.

-- +goose Up
CREATE TABLE runs (
    id            TEXT    PRIMARY KEY,
    number        INTEGER NOT NULL UNIQUE,
    pipeline      TEXT    NOT NULL DEFAULT '',
    file          TEXT    NOT NULL DEFAULT '',
    spec          BLOB,
    workdir       TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    event         TEXT    NOT NULL DEFAULT '',
    branch        TEXT    NOT NULL DEFAULT '',
    commit_sha    TEXT    NOT NULL DEFAULT '',
    environment   TEXT    NOT NULL DEFAULT '',
    actor         TEXT    NOT NULL DEFAULT '',
    vars          TEXT    NOT NULL DEFAULT '{}',
    secret_names  TEXT    NOT NULL DEFAULT '[]',
    selected_jobs TEXT    NOT NULL DEFAULT '[]',
    pid           INTEGER NOT NULL DEFAULT 0,
    host          TEXT    NOT NULL DEFAULT '',
    attempt       INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER
);

CREATE INDEX runs_status_number ON runs (status, number);

-- ordinal keeps the order jobs were first put in; a replaced job keeps it.
CREATE TABLE jobs (
    run_id      TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    ordinal     INTEGER NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    needs       TEXT    NOT NULL DEFAULT '[]',
    matrix      TEXT    NOT NULL DEFAULT '{}',
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    exit_code   INTEGER NOT NULL DEFAULT 0,
    outputs     TEXT    NOT NULL DEFAULT '{}',
    attempt     INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, id),
    UNIQUE (run_id, ordinal)
);

CREATE TABLE steps (
    run_id      TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    exit_code   INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    pgid        INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER,
    finished_at INTEGER,
    PRIMARY KEY (run_id, job_id, idx),
    FOREIGN KEY (run_id, job_id) REFERENCES jobs (run_id, id) ON DELETE CASCADE
);

-- Lines reference the run only: sluice may log for a job before (or without)
-- putting it. The unique index serves "a job's log in order" and "after seq".
CREATE TABLE log_lines (
    run_id TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    step   INTEGER NOT NULL DEFAULT 0,
    time   INTEGER,
    stream TEXT    NOT NULL DEFAULT '',
    text   TEXT    NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX log_lines_job_seq ON log_lines (run_id, job_id, seq);

CREATE TABLE artifacts (
    run_id      TEXT    NOT NULL,
    job_id      TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    size        INTEGER NOT NULL DEFAULT 0,
    sha256      TEXT    NOT NULL DEFAULT '',
    mode        INTEGER NOT NULL DEFAULT 0,
    stored_path TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, job_id, path),
    FOREIGN KEY (run_id, job_id) REFERENCES jobs (run_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE artifacts;
DROP TABLE log_lines;
DROP TABLE steps;
DROP TABLE jobs;
DROP TABLE runs;
