//! Monthly statements per user organisation, usage per product and user,
//! and the published price list (Art. 4; 2025 pricing notice).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};
use rongshu_domain::Actor;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, price_charged};
use rongshu_domain::workflow::AuthorizationStatus;
use rongshu_store::{Usage, UseScope, UseTotals};

use crate::oversight::{sees_all, use_followed_by};
use crate::{ProductError, Products};

/// One product's line on a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementLine {
    pub product_code: String,
    pub product_name: String,
    pub calls: i64,
    pub records: i64,
    pub downloads: i64,
    pub amount_fen: i64,
}

/// What one organisation used and owes for one month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    pub org_id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub lines: Vec<StatementLine>,
    pub total_fen: i64,
}

/// A product on the published price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceEntry {
    pub code: String,
    pub name: String,
    pub modes: Vec<ServiceMode>,
    pub billing_unit: BillingUnit,
    /// What is charged: the operator's price, never above the cap.
    pub price_fen: i64,
    pub price_cap_fen: Option<i64>,
}

/// The first and last day of a `YYYY-MM` month.
fn month_days(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    // Exactly `YYYY-MM`: chrono alone takes `2026-1`, `+2026-12` or `-2026-01`.
    let (year, number) = month.split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(year, 4) || !digits(number, 2) || year == "0000" {
        return None;
    }
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)?
    };
    Some((first, next.pred_opt()?))
}

impl Products {
    /// Metered use between two days: all of it for the parties that
    /// supervise, an organisation's own and the use of its data otherwise.
    pub async fn usage(
        &self,
        actor: &Actor,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<Usage>, ProductError> {
        if from > until {
            return Err(ProductError::Invalid {
                field: "until",
                problem: format!("{until} comes before from {from}"),
            });
        }
        Ok(self
            .store()
            .usage(
                use_followed_by(actor),
                &from.to_string(),
                &until.to_string(),
            )
            .await?)
    }

    pub async fn statement(
        &self,
        actor: &Actor,
        org_id: i64,
        month: &str,
    ) -> Result<Statement, ProductError> {
        if actor.org_id != org_id && !sees_all(actor) {
            return Err(ProductError::Forbidden(
                "an organisation sees its own statements only",
            ));
        }
        let (first, last) = month_days(month).ok_or_else(|| ProductError::Invalid {
            field: "month",
            problem: "is written YYYY-MM".into(),
        })?;
        // An organisation that does not exist has no statement, not an empty one.
        self.store().organization(org_id).await?;
        let used = self
            .store()
            .usage(UseScope::Own(org_id), &first.to_string(), &last.to_string())
            .await?;
        let products: BTreeMap<i64, (String, String)> = self
            .store()
            .products()
            .await?
            .into_iter()
            .map(|p| (p.id, (p.input.code, p.input.name)))
            .collect();
        let mut totals: BTreeMap<i64, UseTotals> = BTreeMap::new();
        for u in &used {
            totals.entry(u.product_id).or_default().add(u);
        }
        let lines: Vec<StatementLine> = (totals.into_iter())
            .map(|(product_id, t)| {
                let (code, name) = products.get(&product_id).cloned().unwrap_or_default();
                StatementLine {
                    product_code: code,
                    product_name: name,
                    calls: t.calls,
                    records: t.records,
                    downloads: t.downloads,
                    amount_fen: t.amount_fen,
                }
            })
            .collect();
        Ok(Statement {
            org_id,
            month: month.to_owned(),
            total_fen: (lines.iter()).fold(0, |total: i64, l| total.saturating_add(l.amount_fen)),
            lines,
        })
    }

    /// Products in service and their prices: none withdrawn, none on an
    /// authorization terminated (everything built on it stopped, Art. 16).
    pub async fn price_list(&self) -> Result<Vec<PriceEntry>, ProductError> {
        let products = self.store().products().await?;
        let authorizations: BTreeSet<i64> =
            products.iter().map(|p| p.input.authorization_id).collect();
        let mut terminated = BTreeSet::new();
        for id in authorizations {
            if self.store().authorization(id).await?.status == AuthorizationStatus::Terminated {
                terminated.insert(id);
            }
        }
        Ok(products
            .into_iter()
            .filter(|p| p.withdrawn.is_none() && !terminated.contains(&p.input.authorization_id))
            .map(|p| PriceEntry {
                price_fen: price_charged(p.input.price_fen, p.price_cap_fen),
                code: p.input.code,
                name: p.input.name,
                modes: p.input.modes,
                billing_unit: p.input.billing_unit,
                price_cap_fen: p.price_cap_fen,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::month_days;

    #[test]
    fn months_have_their_days() {
        let days = |m| month_days(m).map(|(a, b)| (a.to_string(), b.to_string()));
        assert_eq!(
            days("2026-02"),
            Some(("2026-02-01".into(), "2026-02-28".into()))
        );
        assert_eq!(
            days("2026-12"),
            Some(("2026-12-01".into(), "2026-12-31".into()))
        );
        assert_eq!(days("2026-13"), None);
        assert_eq!(days("November"), None);
        for odd in [
            "2026-1",
            "+2026-12",
            "-2026-01",
            "0000-01",
            "2026-012",
            "２０２６-01",
            "2026-1 ",
        ] {
            assert_eq!(days(odd), None, "{odd}");
        }
    }
}
