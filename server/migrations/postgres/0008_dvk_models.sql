-- danvan-server schema, version 8 (PostgreSQL): the register of "Dân vận khéo" (skilful mass
-- mobilisation) emulation models (ADR 0008, section "Dân vận khéo models"). Never edit once
-- released: add a new numbered file.
--
-- Dates are DATE; ended_on is the first day the model is no longer in force (exclusive), so
-- "in force on d" is `recognised_on <= d AND (ended_on IS NULL OR d < ended_on)` (a model
-- counts once recognised).
-- Text is validated by the server before it is written (lengths, no control characters), so
-- both backends hold the same values.

-- Mô hình "Dân vận khéo". unit + unit_on: the unit code (a commune, or the city / a legacy
-- district for models of higher-level bodies) as read on that day (codes are reused, like a
-- record's unit); resolved through successors as of a report's cut-off.
-- participants: tập thể, cá nhân thực hiện, one per line; may name individuals (personal
-- data, Decree 13/2023): never sent above the commune.
CREATE TABLE dvk_models (
    id               UUID PRIMARY KEY,
    unit             TEXT NOT NULL,
    unit_on          DATE NOT NULL,
    name             TEXT NOT NULL CHECK (length(name) > 0),
    field            TEXT NOT NULL CHECK (field IN ('economic', 'cultural_social',
                         'defence_security', 'political_system')),
    participants     TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    started_on       DATE NOT NULL,
    recognised_level TEXT CHECK (recognised_level IN ('commune', 'district', 'city', 'central')),
    recognised_by    TEXT NOT NULL DEFAULT '',
    recognised_on    DATE,
    commended        BOOLEAN NOT NULL,
    commended_by     TEXT NOT NULL DEFAULT '',
    commended_form   TEXT CHECK (commended_form IN ('certificate_of_merit', 'diploma_of_merit',
                         'other')),
    commended_on     DATE,
    ended_on         DATE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    created_by       TEXT NOT NULL,
    updated_by       TEXT NOT NULL,
    -- Recognised: level and day together.
    CHECK ((recognised_level IS NULL) = (recognised_on IS NULL)),
    CHECK (recognised_on IS NULL OR recognised_on >= started_on),
    -- Commended: form and day exactly when commended.
    CHECK (commended = (commended_on IS NOT NULL)),
    CHECK (commended = (commended_form IS NOT NULL)),
    CHECK (commended OR commended_by = ''),
    CHECK (commended_on IS NULL OR commended_on >= started_on),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    CHECK (ended_on IS NULL OR recognised_on IS NULL OR ended_on >= recognised_on)
);
CREATE INDEX dvk_models_by_unit ON dvk_models (unit);
