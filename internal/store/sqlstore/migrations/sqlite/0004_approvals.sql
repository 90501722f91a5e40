-- Approvals: requests for people to let a run into an environment, and
-- their verdicts. One verdict per approver per request.

-- +goose Up
CREATE TABLE approval_requests (
    run_id     TEXT    NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    env        TEXT    NOT NULL,
    job_id     TEXT    NOT NULL DEFAULT '',
    min        INTEGER NOT NULL,
    roles      TEXT    NOT NULL DEFAULT '[]',
    not_author INTEGER NOT NULL DEFAULT 0,
    author     TEXT    NOT NULL DEFAULT '',
    deadline   INTEGER,
    state      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    PRIMARY KEY (run_id, env)
);

CREATE INDEX approval_requests_state ON approval_requests (state, created_at);

CREATE TABLE approvals (
    run_id     TEXT    NOT NULL,
    env        TEXT    NOT NULL,
    approver   TEXT    NOT NULL,
    role       TEXT    NOT NULL DEFAULT '',
    verdict    TEXT    NOT NULL,
    comment    TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, env, approver),
    FOREIGN KEY (run_id, env) REFERENCES approval_requests (run_id, env) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE approvals;
DROP TABLE approval_requests;
