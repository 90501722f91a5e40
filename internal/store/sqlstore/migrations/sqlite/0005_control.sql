-- The control plane: API keys (hashes only), projects, webhook deliveries.

-- +goose Up
CREATE TABLE api_keys (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL,
    grants       TEXT    NOT NULL DEFAULT '[]',
    signing_key  BLOB,
    created_by   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE projects (
    name           TEXT    PRIMARY KEY,
    repo           TEXT    NOT NULL,
    pipeline       TEXT    NOT NULL DEFAULT 'sluice.yaml',
    webhook_secret BLOB,
    created_at     INTEGER NOT NULL
);

CREATE TABLE deliveries (
    provider TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    PRIMARY KEY (provider, id)
);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE projects;
DROP TABLE api_keys;
