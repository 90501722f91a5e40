-- Terraform states kept by sluice's http backend: the current version of
-- each state, every version ever written (content sealed with the server
-- key), and the lock of each state — one row per state, so the primary key
-- makes a second lock impossible.

-- +goose Up
CREATE TABLE tfstates (
    project    TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL,
    version    INTEGER NOT NULL DEFAULT 0,
    serial     INTEGER NOT NULL DEFAULT 0,
    lineage    TEXT    NOT NULL DEFAULT '',
    sha256     TEXT    NOT NULL DEFAULT '',
    size       INTEGER NOT NULL DEFAULT 0,
    updated_by TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER,
    PRIMARY KEY (project, name)
);

CREATE TABLE tfstate_versions (
    project       TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL,
    version       INTEGER NOT NULL,
    serial        INTEGER NOT NULL,
    lineage       TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    sealed        BLOB    NOT NULL,
    actor         TEXT    NOT NULL DEFAULT '',
    restored_from INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (project, name, version)
);

CREATE TABLE tfstate_locks (
    project    TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL,
    lock_id    TEXT    NOT NULL,
    info       TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (project, name)
);

-- +goose Down
DROP TABLE tfstate_locks;
DROP TABLE tfstate_versions;
DROP TABLE tfstates;
