-- Suppressions kept in the store: risk acceptances of a project's findings,
-- made through the API, the web UI or sluice suppressions. A row is never
-- deleted; revoking it sets revoked_at and revoked_by.

-- +goose Up
CREATE TABLE suppressions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project     TEXT COLLATE "C" NOT NULL DEFAULT '',
    fingerprint TEXT        NOT NULL DEFAULT '',
    rule        TEXT        NOT NULL DEFAULT '',
    path        TEXT        NOT NULL DEFAULT '',
    advisory    TEXT        NOT NULL DEFAULT '',
    package     TEXT        NOT NULL DEFAULT '',
    reason      TEXT        NOT NULL,
    owner       TEXT        NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    created_by  TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ,
    revoked_by  TEXT        NOT NULL DEFAULT ''
);

CREATE INDEX suppressions_project ON suppressions (project, id);

-- +goose Down
DROP TABLE suppressions;
