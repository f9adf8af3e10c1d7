-- Released counts may be rounded (to a base such as 5); an export names
-- the base and the columns it rounded, one per line; empty when
-- nothing was rounded.
ALTER TABLE sandbox_exports ADD COLUMN rounded TEXT NOT NULL DEFAULT '';
