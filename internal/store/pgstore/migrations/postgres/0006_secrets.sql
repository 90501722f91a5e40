-- Secrets, sealed with the server key; scoped to a project and an
-- environment ('' for every one).

-- +goose Up
CREATE TABLE secrets (
    project    TEXT COLLATE "C" NOT NULL DEFAULT '',
    env        TEXT COLLATE "C" NOT NULL DEFAULT '',
    name       TEXT COLLATE "C" NOT NULL,
    sealed     BYTEA       NOT NULL,
    key_id     TEXT        NOT NULL,
    updated_by TEXT        NOT NULL DEFAULT '',
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project, env, name)
);

-- +goose Down
DROP TABLE secrets;
