-- The control plane: API keys (hashes only), projects, webhook deliveries.

-- +goose Up
CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT        NOT NULL DEFAULT '',
    hash         TEXT        NOT NULL,
    grants       JSON        NOT NULL DEFAULT '[]',
    signing_key  BYTEA,
    created_by   TEXT        NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE projects (
    name           TEXT COLLATE "C" PRIMARY KEY,
    repo           TEXT        NOT NULL,
    pipeline       TEXT        NOT NULL DEFAULT 'sluice.yaml',
    webhook_secret BYTEA,
    created_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE deliveries (
    provider TEXT COLLATE "C" NOT NULL,
    id       TEXT COLLATE "C" NOT NULL,
    at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, id)
);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE projects;
DROP TABLE api_keys;
