-- Initial schema of the PostgreSQL store: the same tables and meaning as the
-- SQLite store's migration of the same number.
--
-- Conventions: times are TIMESTAMPTZ (microseconds), NULL when unset; maps
-- and lists are JSON (the json type keeps the text as written, so every
-- string Go encodes, \u0000 included, round-trips); every table hangs off
-- runs with ON DELETE CASCADE. Keys that are sorted or searched by prefix
-- use the "C" collation, so order and prefixes are by bytes, as in SQLite,
-- whatever the database's default collation.

-- +goose Up
CREATE TABLE runs (
    id            TEXT COLLATE "C" PRIMARY KEY,
    number        BIGINT  NOT NULL UNIQUE,
    pipeline      TEXT    NOT NULL DEFAULT '',
    file          TEXT    NOT NULL DEFAULT '',
    spec          BYTEA,
    workdir       TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL,
    event         TEXT    NOT NULL DEFAULT '',
    branch        TEXT    NOT NULL DEFAULT '',
    commit_sha    TEXT    NOT NULL DEFAULT '',
    environment   TEXT    NOT NULL DEFAULT '',
    actor         TEXT    NOT NULL DEFAULT '',
    vars          JSON    NOT NULL DEFAULT '{}',
    secret_names  JSON    NOT NULL DEFAULT '[]',
    selected_jobs JSON    NOT NULL DEFAULT '[]',
    pid           INTEGER NOT NULL DEFAULT 0,
    host          TEXT    NOT NULL DEFAULT '',
    attempt       INTEGER NOT NULL DEFAULT 0,
    error         TEXT    NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);

CREATE INDEX runs_status_number ON runs (status, number);

-- One row per counter that must not be handed out twice: a writer locks its
-- row (SELECT ... FOR UPDATE) before reading the highest value in use, so
-- processes sharing the database take turns. 'runs' guards run numbers.
CREATE TABLE store_locks (
    name TEXT PRIMARY KEY
);

INSERT INTO store_locks (name) VALUES ('runs');

-- ordinal keeps the order jobs were first put in; a replaced job keeps it.
CREATE TABLE jobs (
    run_id      TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    id          TEXT COLLATE "C" NOT NULL,
    ordinal     BIGINT  NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    needs       JSON    NOT NULL DEFAULT '[]',
    matrix      JSON    NOT NULL DEFAULT '{}',
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    exit_code   INTEGER NOT NULL DEFAULT 0,
    outputs     JSON    NOT NULL DEFAULT '{}',
    attempt     INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, id),
    UNIQUE (run_id, ordinal)
);

CREATE TABLE steps (
    run_id      TEXT COLLATE "C" NOT NULL,
    job_id      TEXT COLLATE "C" NOT NULL,
    idx         INTEGER NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL,
    reason      TEXT    NOT NULL DEFAULT '',
    exit_code   INTEGER NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    pgid        INTEGER NOT NULL DEFAULT 0,
    started_at  TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, job_id, idx),
    FOREIGN KEY (run_id, job_id) REFERENCES jobs (run_id, id) ON DELETE CASCADE
);

-- Lines reference the run only: sluice may log for a job before (or without)
-- putting it. text is BYTEA: a line may hold bytes (NUL) that TEXT refuses.
CREATE TABLE log_lines (
    run_id TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    job_id TEXT COLLATE "C" NOT NULL,
    seq    BIGINT  NOT NULL,
    step   INTEGER NOT NULL DEFAULT 0,
    time   TIMESTAMPTZ,
    stream TEXT    NOT NULL DEFAULT '',
    text   BYTEA   NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, job_id, seq)
);

CREATE TABLE artifacts (
    run_id      TEXT COLLATE "C" NOT NULL,
    job_id      TEXT COLLATE "C" NOT NULL,
    path        TEXT COLLATE "C" NOT NULL,
    size        BIGINT  NOT NULL DEFAULT 0,
    sha256      TEXT    NOT NULL DEFAULT '',
    mode        BIGINT  NOT NULL DEFAULT 0,
    stored_path TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (run_id, job_id, path),
    FOREIGN KEY (run_id, job_id) REFERENCES jobs (run_id, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE artifacts;
DROP TABLE log_lines;
DROP TABLE steps;
DROP TABLE jobs;
DROP TABLE store_locks;
DROP TABLE runs;
