-- Approvals: requests for people to let a run into an environment, and
-- their verdicts. One verdict per approver per request.

-- +goose Up
CREATE TABLE approval_requests (
    run_id     TEXT COLLATE "C" NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    env        TEXT COLLATE "C" NOT NULL,
    job_id     TEXT        NOT NULL DEFAULT '',
    min        INTEGER     NOT NULL,
    roles      JSON        NOT NULL DEFAULT '[]',
    not_author BOOLEAN     NOT NULL DEFAULT FALSE,
    author     TEXT        NOT NULL DEFAULT '',
    deadline   TIMESTAMPTZ,
    state      TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    decided_at TIMESTAMPTZ,
    PRIMARY KEY (run_id, env)
);

CREATE INDEX approval_requests_state ON approval_requests (state, created_at);

CREATE TABLE approvals (
    run_id     TEXT COLLATE "C" NOT NULL,
    env        TEXT COLLATE "C" NOT NULL,
    approver   TEXT COLLATE "C" NOT NULL,
    role       TEXT        NOT NULL DEFAULT '',
    verdict    TEXT        NOT NULL,
    comment    TEXT        NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, env, approver),
    FOREIGN KEY (run_id, env) REFERENCES approval_requests (run_id, env) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE approvals;
DROP TABLE approval_requests;
