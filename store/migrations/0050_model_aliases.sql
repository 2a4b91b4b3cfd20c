-- Advisory aliases of a catalog model: other names advisories use for it
-- (marketing name, model number, former name), "|"-separated, tried by
-- the advisory matcher like the model itself. Issue 10.
ALTER TABLE models ADD COLUMN advisory_aliases TEXT NOT NULL DEFAULT '';
