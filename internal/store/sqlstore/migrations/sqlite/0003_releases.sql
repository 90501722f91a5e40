-- Progressive delivery: releases, their instances, environment state and
-- the quarantine of bad artifacts. Releases do not hang off runs: a run may
-- be deleted while its release is live.

-- +goose Up
CREATE TABLE releases (
    id         TEXT    PRIMARY KEY,
    env        TEXT    NOT NULL,
    version    TEXT    NOT NULL DEFAULT '',
    artifact   TEXT    NOT NULL DEFAULT '',
    digest     TEXT    NOT NULL DEFAULT '',
    run_id     TEXT    NOT NULL DEFAULT '',
    strategy   TEXT    NOT NULL DEFAULT '',
    config     BLOB,
    state      TEXT    NOT NULL,
    step       INTEGER NOT NULL DEFAULT 0,
    weight     INTEGER NOT NULL DEFAULT 0,
    message    TEXT    NOT NULL DEFAULT '',
    request    TEXT    NOT NULL DEFAULT '',
    actor      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE INDEX releases_env ON releases (env, created_at);

CREATE TABLE instances (
    release_id TEXT    NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    replica    INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    addr       TEXT    NOT NULL DEFAULT '',
    data       BLOB,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (release_id, replica)
);

CREATE TABLE environments (
    env        TEXT    PRIMARY KEY,
    live       TEXT    NOT NULL DEFAULT '',
    previous   TEXT    NOT NULL DEFAULT '',
    candidate  TEXT    NOT NULL DEFAULT '',
    listen     TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL
);

CREATE TABLE quarantine (
    env        TEXT    NOT NULL,
    digest     TEXT    NOT NULL,
    release_id TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (env, digest)
);

-- +goose Down
DROP TABLE quarantine;
DROP TABLE environments;
DROP TABLE instances;
DROP TABLE releases;
