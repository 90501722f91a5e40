-- Terraform states kept by sluice's http backend: the current version of
-- each state, every version ever written (content sealed with the server
-- key), and the lock of each state — one row per state, so the primary key
-- makes a second lock impossible. Every change locks the state's tfstates
-- row first (SELECT ... FOR UPDATE), so changes to one state take turns
-- across processes.

-- +goose Up
CREATE TABLE tfstates (
    project    TEXT COLLATE "C" NOT NULL DEFAULT '',
    name       TEXT COLLATE "C" NOT NULL,
    version    BIGINT      NOT NULL DEFAULT 0,
    serial     BIGINT      NOT NULL DEFAULT 0,
    lineage    TEXT        NOT NULL DEFAULT '',
    sha256     TEXT        NOT NULL DEFAULT '',
    size       BIGINT      NOT NULL DEFAULT 0,
    updated_by TEXT        NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ,
    PRIMARY KEY (project, name)
);

CREATE TABLE tfstate_versions (
    project       TEXT COLLATE "C" NOT NULL DEFAULT '',
    name          TEXT COLLATE "C" NOT NULL,
    version       BIGINT      NOT NULL,
    serial        BIGINT      NOT NULL,
    lineage       TEXT        NOT NULL,
    sha256        TEXT        NOT NULL,
    size          BIGINT      NOT NULL,
    sealed        BYTEA       NOT NULL,
    actor         TEXT        NOT NULL DEFAULT '',
    restored_from BIGINT      NOT NULL DEFAULT 0,
    created_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, name, version)
);

CREATE TABLE tfstate_locks (
    project    TEXT COLLATE "C" NOT NULL DEFAULT '',
    name       TEXT COLLATE "C" NOT NULL,
    lock_id    TEXT        NOT NULL,
    info       TEXT        NOT NULL,
    actor      TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, name)
);

-- +goose Down
DROP TABLE tfstate_locks;
DROP TABLE tfstate_versions;
DROP TABLE tfstates;
