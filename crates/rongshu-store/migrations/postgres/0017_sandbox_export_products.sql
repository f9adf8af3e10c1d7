-- The products an export's result came from, one code per line: it leaves
-- (or is shown to its author) only while each is still supplied to the
-- workspace. NULL on exports filed before; those are held to the products
-- their lineage names.
ALTER TABLE sandbox_exports ADD COLUMN products TEXT;
