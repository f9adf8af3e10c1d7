-- The provider's cap on uses (calls and downloads) a day by each user
-- organisation, across every product made under the authorization. NULL:
-- no cap beyond the products' own quotas.
ALTER TABLE authorizations ADD COLUMN daily_use_limit BIGINT;
