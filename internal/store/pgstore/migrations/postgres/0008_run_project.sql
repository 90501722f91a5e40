-- The control plane's project a run belongs to.

-- +goose Up
ALTER TABLE runs ADD COLUMN project TEXT COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE runs DROP COLUMN project;
