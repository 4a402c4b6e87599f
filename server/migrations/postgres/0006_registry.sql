-- danvan-server schema, version 6 (PostgreSQL): the registry of mediation teams and mediators
-- (ADR 0008). Never edit once released: add a new numbered file.
-- (0005 belongs to another change made at the same time.)
--
-- Dates are DATE; an end date is the first day no longer in force (exclusive), so "in force on d" is `from <= d AND (to IS NULL OR d < to)`.
-- Text is validated by the server before it is written (lengths, no control characters), so
-- both backends hold the same values.

-- Tổ hòa giải. village + village_on: the village unit code as read on that day (codes are
-- reused, like a record's unit); resolved through successors as of a report's cut-off.
CREATE TABLE mediation_teams (
    id             UUID PRIMARY KEY,
    name           TEXT NOT NULL,
    village        TEXT NOT NULL,
    village_on     DATE NOT NULL,
    established_on DATE NOT NULL,
    dissolved_on   DATE,
    notes          TEXT NOT NULL DEFAULT '',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    updated_by     TEXT NOT NULL,
    CHECK (dissolved_on IS NULL OR dissolved_on >= established_on)
);
CREATE INDEX mediation_teams_by_village ON mediation_teams (village);

-- Hòa giải viên: personal data (Decree 13/2023), never sent above the commune.
-- recognised_on: ngày được công nhận; left_on: ngày thôi làm hòa giải viên (exclusive).
CREATE TABLE mediators (
    id                  UUID PRIMARY KEY,
    full_name           TEXT NOT NULL,
    sex                 TEXT NOT NULL CHECK (sex IN ('female', 'male')),
    ethnicity           TEXT NOT NULL DEFAULT '',
    ethnic_minority     BOOLEAN NOT NULL,
    legal_qualification TEXT NOT NULL,
    trained             BOOLEAN NOT NULL,
    recognised_on       DATE NOT NULL,
    left_on             DATE,
    notes               TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    updated_by          TEXT NOT NULL,
    CHECK (left_on IS NULL OR left_on >= recognised_on)
);

-- Membership of a mediator in a team over time (a person may move teams): [from_on, to_on).
-- At most one open membership per mediator and one open leader per team.
CREATE TABLE team_memberships (
    id          UUID PRIMARY KEY,
    mediator_id UUID NOT NULL REFERENCES mediators (id) ON DELETE CASCADE,
    team_id     UUID NOT NULL REFERENCES mediation_teams (id),
    role        TEXT NOT NULL CHECK (role IN ('leader', 'member')),
    from_on     DATE NOT NULL,
    to_on       DATE,
    CHECK (to_on IS NULL OR to_on >= from_on)
);
CREATE INDEX team_memberships_by_team ON team_memberships (team_id);
CREATE INDEX team_memberships_by_mediator ON team_memberships (mediator_id, from_on);
CREATE UNIQUE INDEX team_memberships_one_open ON team_memberships (mediator_id)
    WHERE to_on IS NULL;
CREATE UNIQUE INDEX team_memberships_one_leader ON team_memberships (team_id)
    WHERE to_on IS NULL AND role = 'leader';
