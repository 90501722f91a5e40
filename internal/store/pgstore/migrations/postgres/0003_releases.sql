-- Progressive delivery: releases, their instances, environment state and
-- the quarantine of bad artifacts. Releases do not hang off runs: a run may
-- be deleted while its release is live.

-- +goose Up
-- ordinal breaks ties between releases created at the same instant (newest
-- first), as SQLite's rowid does.
CREATE TABLE releases (
    id         TEXT COLLATE "C" PRIMARY KEY,
    env        TEXT COLLATE "C" NOT NULL,
    version    TEXT        NOT NULL DEFAULT '',
    artifact   TEXT        NOT NULL DEFAULT '',
    digest     TEXT        NOT NULL DEFAULT '',
    run_id     TEXT        NOT NULL DEFAULT '',
    strategy   TEXT        NOT NULL DEFAULT '',
    config     BYTEA,
    state      TEXT        NOT NULL,
    step       INTEGER     NOT NULL DEFAULT 0,
    weight     INTEGER     NOT NULL DEFAULT 0,
    message    TEXT        NOT NULL DEFAULT '',
    request    TEXT        NOT NULL DEFAULT '',
    actor      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    ordinal    BIGINT GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX releases_env ON releases (env, created_at);

CREATE TABLE instances (
    release_id TEXT COLLATE "C" NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    replica    INTEGER     NOT NULL,
    state      TEXT        NOT NULL,
    addr       TEXT        NOT NULL DEFAULT '',
    data       BYTEA,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (release_id, replica)
);

CREATE TABLE environments (
    env        TEXT COLLATE "C" PRIMARY KEY,
    live       TEXT        NOT NULL DEFAULT '',
    previous   TEXT        NOT NULL DEFAULT '',
    candidate  TEXT        NOT NULL DEFAULT '',
    listen     TEXT        NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE quarantine (
    env        TEXT COLLATE "C" NOT NULL,
    digest     TEXT COLLATE "C" NOT NULL,
    release_id TEXT        NOT NULL DEFAULT '',
    reason     TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (env, digest)
);

-- +goose Down
DROP TABLE quarantine;
DROP TABLE environments;
DROP TABLE instances;
DROP TABLE releases;
