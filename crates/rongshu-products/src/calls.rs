//! The query and verification APIs, and what every call leaves behind: a
//! ledger entry (segment operator → user) and the meter, in one
//! transaction, before the answer goes out.

use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{BillingUnit, Metered, charge, is_free_for};
use rongshu_formats::OutputColumn;
use rongshu_ledger::{Attribution, EntryDraft, Segment};
use rongshu_store::{Resource, Usage, Version};

use crate::access::Admission;
use crate::build::{exceeds, parse_pipeline};
use crate::serving::{key_digest, value_digest};
use crate::{Caller, ProductError, Products};

/// A query's answer: the rows found (at most the product's maximum).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryAnswer {
    pub columns: Vec<OutputColumn>,
    pub rows: Vec<Vec<Option<String>>>,
    /// More rows matched than one call returns.
    pub truncated: bool,
    pub citation: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Match,
    NoMatch,
}

impl Verdict {
    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::NoMatch => "no-match",
        }
    }
}

/// A verification's answer: per field, match or no match; never data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyAnswer {
    pub fields: Vec<(String, Verdict)>,
    pub citation: String,
}

fn invalid(field: &'static str, problem: String) -> ProductError {
    ProductError::Invalid { field, problem }
}

/// The citation line every delivery carries (Art. 15).
pub(crate) fn citation(resource: &Resource, version: &Version, day: chrono::NaiveDate) -> String {
    format!(
        "数据来源：蓉数公共数据运营服务平台；提供单位：{}；数据资源：{}（{}）第 {} 版；引用日期：{}",
        resource.provider_name, resource.about.title, resource.code, version.number, day
    )
}

impl Products {
    /// Checks again, at run time, that the product's output meets the
    /// authorization this caller's agreement rests on.
    pub(crate) async fn recheck(
        &self,
        admission: &Admission,
        version: &Version,
    ) -> Result<(), ProductError> {
        let authorization = self
            .store()
            .authorization(admission.grant.authorization_id)
            .await?;
        let kinds = self.store().version_fields(version.id).await?;
        let pipeline = parse_pipeline(&admission.product.input.pipeline)?;
        exceeds(
            &pipeline,
            &self.visible_fields(admission),
            &kinds,
            &authorization,
        )
    }

    /// The product's fields this caller's authorization lets out.
    pub(crate) fn visible_fields(&self, admission: &Admission) -> Vec<String> {
        let allowed = &admission.grant.fields;
        admission
            .product
            .input
            .fields
            .iter()
            .filter(|f| allowed.is_empty() || allowed.contains(f))
            .cloned()
            .collect()
    }

    pub async fn query(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        code: &str,
        parameters: &[(String, String)],
    ) -> Result<QueryAnswer, ProductError> {
        let admission = self.admit(caller, code, ServiceMode::QueryApi).await?;
        let input = &admission.product.input;
        for (name, _) in parameters {
            if !input.query_parameters.contains(name) {
                return Err(invalid(
                    "parameters",
                    format!("{name} is not a parameter of {code}"),
                ));
            }
        }
        let key: Vec<String> = input
            .query_parameters
            .iter()
            .map(|p| {
                parameters
                    .iter()
                    .find(|(n, _)| n == p)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| invalid("parameters", format!("{p} is required")))
            })
            .collect::<Result<_, _>>()?;
        let serving = self
            .serving(&admission.product, &admission.resource)
            .await?;
        self.recheck(&admission, &serving.version).await?;
        let visible = self.visible_fields(&admission);
        let keep: Vec<usize> = (0..input.fields.len())
            .filter(|i| visible.contains(&input.fields[*i]))
            .collect();
        let found = serving.index.get(&key).map_or(&[][..], Vec::as_slice);
        let max = usize::try_from(input.max_rows).unwrap_or(usize::MAX);
        let rows: Vec<Vec<Option<String>>> = found
            .iter()
            .take(max)
            .map(|r| {
                keep.iter()
                    .map(|c| serving.rows[*r as usize][*c].clone())
                    .collect()
            })
            .collect();
        self.record_use(
            caller,
            by,
            &admission,
            "product.query",
            &serving.version,
            Metered {
                calls: 1,
                records: rows.len() as i64,
                ..Metered::default()
            },
        )
        .await?;
        Ok(QueryAnswer {
            columns: keep.iter().map(|c| serving.columns[*c].clone()).collect(),
            truncated: found.len() > rows.len(),
            rows,
            citation: citation(
                &admission.resource,
                &serving.version,
                self.workflow().today(),
            ),
        })
    }

    pub async fn verify(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        code: &str,
        facts: &[(String, String)],
    ) -> Result<VerifyAnswer, ProductError> {
        let admission = self
            .admit(caller, code, ServiceMode::VerificationApi)
            .await?;
        let input = &admission.product.input;
        let key_field = input
            .verify_key_field
            .as_deref()
            .ok_or(ProductError::ModeNotOffered("verification-api"))?;
        let key = facts
            .iter()
            .find(|(n, _)| n == key_field)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| invalid("facts", format!("{key_field} is required")))?;
        for (name, _) in facts {
            if name != key_field && !input.verify_fields.contains(name) {
                return Err(invalid(
                    "facts",
                    format!("{name} is not compared by {code}"),
                ));
            }
        }
        let serving = self
            .serving(&admission.product, &admission.resource)
            .await?;
        let record = serving.verify.get(&key_digest(&serving.keys, key));
        let mut fields = vec![(
            key_field.to_owned(),
            if record.is_some() {
                Verdict::Match
            } else {
                Verdict::NoMatch
            },
        )];
        for (name, value) in facts.iter().filter(|(n, _)| n != key_field) {
            let at = input
                .verify_fields
                .iter()
                .position(|f| f == name)
                .expect("checked above");
            let digest = value_digest(&serving.keys, name, key, value);
            let matched = record.is_some_and(|r| r.iter().any(|(f, d)| *f == at && *d == digest));
            fields.push((
                name.clone(),
                if matched {
                    Verdict::Match
                } else {
                    Verdict::NoMatch
                },
            ));
        }
        self.record_use(
            caller,
            by,
            &admission,
            "product.verify",
            &serving.version,
            Metered {
                calls: 1,
                records: i64::from(record.is_some()),
                ..Metered::default()
            },
        )
        .await?;
        Ok(VerifyAnswer {
            fields,
            citation: citation(
                &admission.resource,
                &serving.version,
                self.workflow().today(),
            ),
        })
    }

    /// Ledgers and meters one use, durably, before its answer goes out.
    pub(crate) async fn record_use(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        admission: &Admission,
        action: &str,
        version: &Version,
        mut used: Metered,
    ) -> Result<(), ProductError> {
        let product = &admission.product;
        let today = self.workflow().today();
        if product.input.billing_unit == BillingUnit::PerPeriod {
            let month_start = today.format("%Y-%m-01").to_string();
            used.first_this_month = !self
                .store()
                .usage(Some(caller.org_id), &month_start, &today.to_string())
                .await?
                .iter()
                .any(|u| u.product_id == product.id);
        }
        let price = product
            .price_cap_fen
            .map_or(product.input.price_fen, |cap| {
                cap.min(product.input.price_fen)
            });
        let amount = charge(
            product.input.billing_unit,
            price,
            used,
            is_free_for(caller.party),
        );
        let mut tx = self.store().begin().await?;
        tx.append(EntryDraft {
            segment: Some(Segment::Operator),
            reason: Some(format!(
                "{} v{} under agreement {} (authorization {}): {} records",
                admission.resource.code,
                version.number,
                admission.grant.agreement_id,
                admission.grant.authorization_id,
                used.records
            )),
            ..by.entry(action, "product", Some(product.input.code.clone()))
        })
        .await?;
        tx.meter(&Usage {
            product_id: product.id,
            org_id: caller.org_id,
            day: today.to_string(),
            calls: used.calls,
            records: used.records,
            downloads: used.downloads,
            amount_fen: amount,
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
