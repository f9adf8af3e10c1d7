-- Feedback may come with a file (the report, the paper) instead of or
-- beside a link (Art. 15), sealed under the master key with the SM3
-- digest of what was uploaded, like consulting deliverables.
ALTER TABLE usage_feedback ADD COLUMN file_name TEXT;
ALTER TABLE usage_feedback ADD COLUMN byte_size BIGINT;
ALTER TABLE usage_feedback ADD COLUMN digest TEXT;
ALTER TABLE usage_feedback ADD COLUMN sealed TEXT;
ALTER TABLE usage_feedback ADD COLUMN master_key_id TEXT;
