//! Data products (Art. 5, 15), suspensions of supply (Art. 17) and metered
//! use (Art. 4).

use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, Metered, SuspensionScope, SuspensionStatus};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{found, unchanged};
use crate::{Store, StoreError, WriteTx, by_id, parse_code};

/// What the operator sets on a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductInput {
    pub code: String,
    pub name: String,
    pub description: String,
    pub resource_id: i64,
    /// The authorization the product is built on.
    pub authorization_id: i64,
    pub modes: Vec<ServiceMode>,
    /// Output fields, in order.
    pub fields: Vec<String>,
    /// The pipeline document (JSON), as written.
    pub pipeline: String,
    /// Query API: fields a caller filters on by equality.
    pub query_parameters: Vec<String>,
    /// Query API: rows per call at most.
    pub max_rows: i64,
    /// Verification API: the field that finds the record (e.g. an ID number).
    pub verify_key_field: Option<String>,
    /// Verification API: fields compared against it.
    pub verify_fields: Vec<String>,
    pub daily_call_quota: Option<i64>,
    pub rate_per_minute: Option<i64>,
    pub billing_unit: BillingUnit,
    pub price_fen: i64,
}

/// A product as stored. `Debug` leaves the wrapped key out.
#[derive(Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub input: ProductInput,
    /// Set by the authorizing side; the price must stay at or below it.
    pub price_cap_fen: Option<i64>,
    pub wrapped_key: String,
    pub master_key_id: String,
    /// Bumped by every change, so caches and editors see a new product.
    pub revision: i64,
    pub created_by: Option<i64>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Set once the operator withdraws the product from service.
    pub withdrawn: Option<Withdrawal>,
}

/// When and why a product was withdrawn from service (注销).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Withdrawal {
    pub at_ms: i64,
    pub reason: String,
}

impl std::fmt::Debug for Product {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Product({} {} r{}: {:?})",
            self.id, self.input.code, self.revision, self.input.modes
        )
    }
}

/// A suspension of supply by the Big Data Center.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suspension {
    pub id: i64,
    pub scope: SuspensionScope,
    pub findings: String,
    pub suspended_by: Option<i64>,
    pub suspended_at_ms: i64,
    pub rectification: Option<String>,
    pub rectified_at_ms: Option<i64>,
    pub resumed_at_ms: Option<i64>,
}

impl Suspension {
    pub fn status(&self) -> SuspensionStatus {
        SuspensionStatus::of(self.rectified_at_ms.is_some(), self.resumed_at_ms.is_some())
    }
}

/// Whose use (or feedback on use) a reading covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UseScope {
    /// Every organisation's: the operator and the supervisors.
    All,
    /// One organisation's own: what its statement bills.
    Own(i64),
    /// One organisation's own, and everyone's use of products built on
    /// data it provides (Art. 17: usage goes back to providers).
    Overseen(i64),
}

impl UseScope {
    /// `org_id = $1 OR product_id IN (products on $2's data)`, 0 for none.
    pub(crate) fn binds(self) -> (i64, i64) {
        match self {
            UseScope::All => (0, 0),
            UseScope::Own(org) => (org, 0),
            UseScope::Overseen(org) => (org, org),
        }
    }
}

/// Rows of `product_id` and `org_id` a [`UseScope`] covers, bound as `$1`
/// and `$2` (`UseScope::binds`).
pub(crate) const IN_SCOPE: &str = "($1 = 0 OR org_id = $1 OR product_id IN \
     (SELECT p.id FROM products p JOIN resources r ON r.id = p.resource_id \
     WHERE r.provider_id = $2))";

/// Use of one product by one organisation on one day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    pub product_id: i64,
    pub org_id: i64,
    /// China Standard Time, `YYYY-MM-DD`.
    pub day: String,
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    pub amount_fen: i64,
}

impl Usage {
    /// Uses counted against a quota and a rate, as [`Metered::uses`].
    pub fn uses(&self) -> i64 {
        self.calls + self.downloads
    }

    /// Adds one use and its charge, saturating rather than wrapping.
    pub fn add(&mut self, used: Metered, amount_fen: i64) {
        self.calls = self.calls.saturating_add(used.calls);
        self.records = self.records.saturating_add(used.records);
        self.downloads = self.downloads.saturating_add(used.downloads);
        self.amount_fen = self.amount_fen.saturating_add(amount_fen);
    }
}

/// Metered use summed over days, organisations or products; sums of
/// saturated meters saturate too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UseTotals {
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    pub amount_fen: i64,
}

impl UseTotals {
    pub fn add(&mut self, u: &Usage) {
        self.calls = self.calls.saturating_add(u.calls);
        self.records = self.records.saturating_add(u.records);
        self.downloads = self.downloads.saturating_add(u.downloads);
        self.amount_fen = self.amount_fen.saturating_add(u.amount_fen);
    }
}

/// When an organisation first used a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FirstUse {
    pub org_id: i64,
    pub product_id: i64,
    /// China Standard Time, `YYYY-MM-DD`.
    pub day: String,
}

fn lines(list: &[String]) -> String {
    list.join("\n")
}

fn split_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Binds what the operator sets, from the name on, in column order.
fn bind_settings<'q, Q: Bindable<'q>>(query: Q, input: &ProductInput) -> Q {
    query
        .bind_value(input.name.clone())
        .bind_value(input.description.clone())
        .bind_value(input.resource_id)
        .bind_value(input.authorization_id)
        .bind_value(ServiceMode::join(&input.modes))
        .bind_value(lines(&input.fields))
        .bind_value(input.pipeline.clone())
        .bind_value(lines(&input.query_parameters))
        .bind_value(input.max_rows)
        .bind_value(input.verify_key_field.clone())
        .bind_value(lines(&input.verify_fields))
        .bind_value(input.daily_call_quota)
        .bind_value(input.rate_per_minute)
        .bind_value(input.billing_unit.as_str().to_owned())
        .bind_value(input.price_fen)
}

/// The two kinds of sqlx query a product's settings are bound to.
trait Bindable<'q>: Sized {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send;
}

impl<'q> Bindable<'q> for sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        self.bind(value)
    }
}

impl<'q, O> Bindable<'q>
    for sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments<'q>>
{
    fn bind_value<T>(self, value: T) -> Self
    where
        T: 'q + sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send,
    {
        self.bind(value)
    }
}

fn product(row: &AnyRow) -> Result<Product, StoreError> {
    let modes: String = row.try_get("modes")?;
    Ok(Product {
        id: row.try_get("id")?,
        input: ProductInput {
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            resource_id: row.try_get("resource_id")?,
            authorization_id: row.try_get("authorization_id")?,
            modes: ServiceMode::split(&modes).map_err(|_| StoreError::Corrupt {
                what: "service modes",
                value: modes.clone(),
            })?,
            fields: split_lines(&row.try_get::<String, _>("fields")?),
            pipeline: row.try_get("pipeline")?,
            query_parameters: split_lines(&row.try_get::<String, _>("query_parameters")?),
            max_rows: row.try_get("max_rows")?,
            verify_key_field: row.try_get("verify_key_field")?,
            verify_fields: split_lines(&row.try_get::<String, _>("verify_fields")?),
            daily_call_quota: row.try_get("daily_call_quota")?,
            rate_per_minute: row.try_get("rate_per_minute")?,
            billing_unit: parse_code("billing unit", row.try_get("billing_unit")?)?,
            price_fen: row.try_get("price_fen")?,
        },
        price_cap_fen: row.try_get("price_cap_fen")?,
        wrapped_key: row.try_get("wrapped_key")?,
        master_key_id: row.try_get("master_key_id")?,
        revision: row.try_get("revision")?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at")?,
        updated_at_ms: row.try_get("updated_at")?,
        withdrawn: match row.try_get::<Option<i64>, _>("withdrawn_at")? {
            Some(at_ms) => Some(Withdrawal {
                at_ms,
                reason: row
                    .try_get::<Option<String>, _>("withdrawal_reason")?
                    .unwrap_or_default(),
            }),
            None => None,
        },
    })
}

fn suspension(row: &AnyRow) -> Result<Suspension, StoreError> {
    let kind: String = row.try_get("scope")?;
    let target: Option<i64> = row.try_get("target_id")?;
    let scope = SuspensionScope::new(parse_code("suspension scope", kind.clone())?, target)
        .map_err(|_| StoreError::Corrupt {
            what: "suspension target",
            value: format!("{kind} {target:?}"),
        })?;
    Ok(Suspension {
        id: row.try_get("id")?,
        scope,
        findings: row.try_get("findings")?,
        suspended_by: row.try_get("suspended_by")?,
        suspended_at_ms: row.try_get("suspended_at")?,
        rectification: row.try_get("rectification")?,
        rectified_at_ms: row.try_get("rectified_at")?,
        resumed_at_ms: row.try_get("resumed_at")?,
    })
}

fn usage(row: &AnyRow) -> Result<Usage, StoreError> {
    Ok(Usage {
        product_id: row.try_get("product_id")?,
        org_id: row.try_get("org_id")?,
        day: row.try_get("day")?,
        calls: row.try_get("calls")?,
        records: row.try_get("records")?,
        downloads: row.try_get("downloads")?,
        amount_fen: row.try_get("amount_fen")?,
    })
}

impl Store {
    pub async fn products(&self) -> Result<Vec<Product>, StoreError> {
        sqlx::query("SELECT * FROM products ORDER BY code")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(product)
            .collect()
    }

    pub async fn product(&self, id: i64) -> Result<Product, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM products WHERE id = $1",
            id,
            "product",
            product,
        )
        .await
    }

    pub async fn product_by_code(&self, code: &str) -> Result<Product, StoreError> {
        sqlx::query("SELECT * FROM products WHERE code = $1")
            .bind(code.to_owned())
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(product)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound {
                what: "product",
                id: code.to_owned(),
            })
    }

    /// Open suspensions, newest first, and (when `all`) resumed ones too.
    pub async fn suspensions(&self, all: bool) -> Result<Vec<Suspension>, StoreError> {
        sqlx::query("SELECT * FROM suspensions WHERE $1 = 1 OR resumed_at IS NULL ORDER BY id DESC")
            .bind(i64::from(all))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(suspension)
            .collect()
    }

    pub async fn suspension(&self, id: i64) -> Result<Suspension, StoreError> {
        by_id(
            &self.pool,
            "SELECT * FROM suspensions WHERE id = $1",
            id,
            "suspension",
            suspension,
        )
        .await
    }

    /// The open suspension that covers a use, if any: one indexed read per
    /// call, so a suspension stops every server on its next call.
    pub async fn suspension_covering(
        &self,
        resource_id: i64,
        provider_org_id: i64,
        user_org_id: i64,
    ) -> Result<Option<Suspension>, StoreError> {
        sqlx::query(
            "SELECT * FROM suspensions WHERE resumed_at IS NULL AND (scope = 'platform' \
             OR (scope = 'resource' AND target_id = $1) \
             OR (scope = 'provider' AND target_id = $2) \
             OR (scope = 'user-org' AND target_id = $3)) ORDER BY id LIMIT 1",
        )
        .bind(resource_id)
        .bind(provider_org_id)
        .bind(user_org_id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(suspension)
        .transpose()
    }

    /// Metered use with days from `from` to `until` (inclusive, `YYYY-MM-DD`),
    /// of one organisation or all.
    pub async fn usage(
        &self,
        scope: UseScope,
        from: &str,
        until: &str,
    ) -> Result<Vec<Usage>, StoreError> {
        let (org, provider) = scope.binds();
        sqlx::query(&format!(
            "SELECT * FROM product_usage WHERE {IN_SCOPE} AND day >= $3 \
             AND day <= $4 ORDER BY day, product_id, org_id"
        ))
        .bind(org)
        .bind(provider)
        .bind(from.to_owned())
        .bind(until.to_owned())
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(usage)
        .collect()
    }
}

impl Store {
    /// The day each organisation first used each product (`YYYY-MM-DD`),
    /// `org_id`'s alone if given: feedback on a product is owed from it.
    pub async fn first_uses(&self, org_id: Option<i64>) -> Result<Vec<FirstUse>, StoreError> {
        let rows = sqlx::query(
            "SELECT org_id, product_id, MIN(day) AS first_day FROM product_usage \
             WHERE ($1 = 0 OR org_id = $1) GROUP BY org_id, product_id \
             ORDER BY org_id, product_id",
        )
        .bind(org_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FirstUse {
                    org_id: r.try_get("org_id")?,
                    product_id: r.try_get("product_id")?,
                    day: r.try_get("first_day")?,
                })
            })
            .collect()
    }
}

impl WriteTx<'_> {
    pub async fn insert_product(
        &mut self,
        input: &ProductInput,
        wrapped_key: &str,
        master_key_id: &str,
        created_by: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        let query = sqlx::query_scalar(
            "INSERT INTO products (code, name, description, resource_id, authorization_id, \
             modes, fields, pipeline, query_parameters, max_rows, verify_key_field, \
             verify_fields, daily_call_quota, rate_per_minute, billing_unit, price_fen, \
             wrapped_key, master_key_id, revision, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, 1, $19, $20, $20) RETURNING id",
        )
        .bind(input.code.clone());
        bind_settings(query, input)
            .bind(wrapped_key.to_owned())
            .bind(master_key_id.to_owned())
            .bind(created_by)
            .bind(now_ms)
            .fetch_one(&mut *self.tx)
            .await
            .map_err(StoreError::unique("product code", &input.code))
    }

    /// Replaces what the operator set, if the product is still at
    /// `revision`; the code and the key stay.
    pub async fn update_product(
        &mut self,
        id: i64,
        revision: i64,
        input: &ProductInput,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let query = sqlx::query(
            "UPDATE products SET name = $1, description = $2, resource_id = $3, \
             authorization_id = $4, modes = $5, fields = $6, pipeline = $7, \
             query_parameters = $8, max_rows = $9, verify_key_field = $10, \
             verify_fields = $11, daily_call_quota = $12, rate_per_minute = $13, \
             billing_unit = $14, price_fen = $15, revision = revision + 1, updated_at = $16 \
             WHERE id = $17 AND revision = $18",
        );
        let done = bind_settings(query, input)
            .bind(now_ms)
            .bind(id)
            .bind(revision)
            .execute(&mut *self.tx)
            .await?;
        unchanged(done.rows_affected(), "product", id)
    }

    /// The authorizing side's price cap (none lifts it).
    pub async fn set_price_cap(
        &mut self,
        id: i64,
        cap_fen: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE products SET price_cap_fen = $1, revision = revision + 1, updated_at = $2 \
             WHERE id = $3",
        )
        .bind(cap_fen)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        found(done.rows_affected(), "product", id)
    }

    /// Withdraws a product from service; a product withdrawn already is
    /// [`StoreError::Changed`], its first withdrawal kept.
    pub async fn withdraw_product(
        &mut self,
        id: i64,
        reason: &str,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE products SET withdrawn_at = $1, withdrawal_reason = $2, \
             revision = revision + 1, updated_at = $1 WHERE id = $3 AND withdrawn_at IS NULL",
        )
        .bind(now_ms)
        .bind(reason.to_owned())
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Changed {
                what: "product",
                id,
            });
        }
        Ok(())
    }

    pub async fn insert_suspension(
        &mut self,
        scope: SuspensionScope,
        findings: &str,
        by: Option<i64>,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "INSERT INTO suspensions (scope, target_id, findings, suspended_by, suspended_at) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(scope.kind.as_str())
        .bind(scope.target)
        .bind(findings.to_owned())
        .bind(by)
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await?)
    }

    /// The operator's account of what it put right, on an open suspension.
    pub async fn record_rectification(
        &mut self,
        id: i64,
        rectification: &str,
        by: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE suspensions SET rectification = $1, rectified_by = $2, rectified_at = $3 \
             WHERE id = $4 AND resumed_at IS NULL",
        )
        .bind(rectification.to_owned())
        .bind(by)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "suspension", id)
    }

    pub async fn resume_supply(
        &mut self,
        id: i64,
        by: Option<i64>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE suspensions SET resumed_by = $1, resumed_at = $2 \
             WHERE id = $3 AND resumed_at IS NULL",
        )
        .bind(by)
        .bind(now_ms)
        .bind(id)
        .execute(&mut *self.tx)
        .await?;
        unchanged(done.rows_affected(), "suspension", id)
    }
}
