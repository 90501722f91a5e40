-- Secrets, sealed with the server key; scoped to a project and an
-- environment ('' for every one).

-- +goose Up
CREATE TABLE secrets (
    project    TEXT    NOT NULL DEFAULT '',
    env        TEXT    NOT NULL DEFAULT '',
    name       TEXT    NOT NULL,
    sealed     BLOB    NOT NULL,
    key_id     TEXT    NOT NULL,
    updated_by TEXT    NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (project, env, name)
);

-- +goose Down
DROP TABLE secrets;
