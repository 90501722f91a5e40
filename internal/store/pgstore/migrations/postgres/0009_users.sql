-- User accounts (password hashes only), and the user an API key is a
-- login session of.

-- +goose Up
CREATE TABLE users (
    name          TEXT COLLATE "C" PRIMARY KEY,
    password_hash TEXT        NOT NULL,
    grants        JSON        NOT NULL DEFAULT '[]',
    created_by    TEXT        NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ,
    last_login_at TIMESTAMPTZ
);

ALTER TABLE api_keys ADD COLUMN user_name TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE INDEX api_keys_user_name ON api_keys (user_name) WHERE user_name <> '';

-- +goose Down
DROP INDEX api_keys_user_name;
ALTER TABLE api_keys DROP COLUMN user_name;
DROP TABLE users;
