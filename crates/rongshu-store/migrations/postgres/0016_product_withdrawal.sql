-- A product withdrawn from service (注销): every use is refused from then
-- on and it leaves the price list; when and why stay on the record.
ALTER TABLE products ADD COLUMN withdrawn_at BIGINT;
ALTER TABLE products ADD COLUMN withdrawal_reason TEXT;
