-- Released counts may be rounded (to a base such as 5); an export names
-- the base and the columns it rounded, one per line; empty when nothing
-- was rounded.
ALTER TABLE sandbox_exports ADD COLUMN rounded TEXT NOT NULL DEFAULT '';

-- An export filed in place of one a checker sent back (or the automatic
-- checks failed): the earlier one, which then stands as resubmitted.
ALTER TABLE sandbox_exports ADD COLUMN resubmits BIGINT REFERENCES sandbox_exports(id);
CREATE UNIQUE INDEX sandbox_exports_resubmits ON sandbox_exports(resubmits);
