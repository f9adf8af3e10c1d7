//! The query and verification APIs, and what every call leaves behind: a
//! ledger entry (segment operator → user) and the meter, in one
//! transaction, before the answer goes out.

use rongshu_deid::Probe;
use rongshu_domain::resource::ServiceMode;
use rongshu_domain::supply::{Metered, is_free_for, price_charged};
use rongshu_formats::OutputColumn;
use rongshu_ledger::{Attribution, EntryDraft, Segment};
use rongshu_store::{Product, Resource, Version};
use rongshu_workflow::UseGrant;

use crate::access::{Admission, minute_of};
use crate::build::{RowsGo, check_probes, exceeds, parse_pipeline};
use crate::recorder::{Recorded, Recorder, Use};
use crate::serving::{key_digest, value_digest};
use crate::{Caller, ProductError, Products, Refusal};

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

/// The product's fields the caller's authorization lets out.
pub(crate) fn visible_fields(product: &Product, grant: &UseGrant) -> Vec<String> {
    let allowed = &grant.fields;
    product
        .input
        .fields
        .iter()
        .filter(|f| allowed.is_empty() || allowed.contains(f))
        .cloned()
        .collect()
}

impl Products {
    /// Checks again, at run time, that the product's output meets the
    /// authorization the caller's agreement rests on.
    pub(crate) async fn recheck(
        &self,
        product: &Product,
        grant: &UseGrant,
        version: &Version,
        mode: ServiceMode,
    ) -> Result<(), ProductError> {
        let pipeline = parse_pipeline(&product.input.pipeline)?;
        let probe = match mode {
            ServiceMode::QueryApi => Some(Probe::Lookup),
            ServiceMode::VerificationApi => Some(Probe::Verification),
            _ => None,
        };
        if let Some(probe) = probe {
            // Saved, perhaps, before probes were held to this.
            check_probes(&pipeline, &product.input, &[probe])?;
        }
        let Some(rows) = RowsGo::of(mode) else {
            return Ok(());
        };
        let authorization = self.store().authorization(grant.authorization_id).await?;
        let kinds = self.store().version_fields(version.id).await?;
        exceeds(
            &pipeline,
            &visible_fields(product, grant),
            &kinds,
            &authorization,
            rows,
        )
    }

    pub async fn query(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        code: &str,
        parameters: &[(String, String)],
    ) -> Result<QueryAnswer, ProductError> {
        self.retried(caller, || self.query_once(caller, by, code, parameters))
            .await
    }

    async fn query_once(
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
        let serving = self.serving(&admission).await?;
        let visible = visible_fields(&admission.product, &admission.grant);
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
                &admission.version,
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
        self.retried(caller, || self.verify_once(caller, by, code, facts))
            .await
    }

    async fn verify_once(
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
        let serving = self.serving(&admission).await?;
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
                &admission.version,
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
        used: Metered,
    ) -> Result<(), ProductError> {
        self.record_uses(caller, by, action, &[(admission, used)])
            .await
    }

    /// Ledgers and meters the uses of one answer made of several products,
    /// durably and together: one refused, none is kept.
    pub(crate) async fn record_uses(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        action: &str,
        uses: &[(&Admission, Metered)],
    ) -> Result<(), ProductError> {
        if uses.is_empty() {
            // A sandbox statement over uploads alone uses no product.
            return Ok(());
        }
        let recorder = self
            .inner
            .recorder
            .get_or_init(|| Recorder::start(self.store()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| ProductError::Recording(format!("the recorder did not start: {e}")))?;
        let minute = minute_of(self.workflow().now_ms());
        let together = uses
            .iter()
            .map(|(admission, used)| self.use_of(caller, by, admission, action, *used, minute))
            .collect();
        match recorder.record(together).await {
            Recorded::Done => {
                for (admission, _) in uses {
                    let product = &admission.product;
                    if product.input.rate_per_minute.is_some() {
                        self.inner.rates.count(caller.org_id, product.id, minute);
                    }
                }
                Ok(())
            }
            Recorded::Stale => Err(ProductError::Stale),
            Recorded::QuotaExceeded(quota) => Err(Refusal::QuotaExceeded { quota }.into()),
            Recorded::LimitReached {
                authorization_id,
                limit,
            } => Err(Refusal::LimitReached {
                authorization_id,
                limit,
            }
            .into()),
            Recorded::RateLimited(per_minute) => Err(Refusal::RateLimited { per_minute }.into()),
            Recorded::Failed(problem) => Err(ProductError::Recording(problem)),
        }
    }

    /// One product's use, with its ledger entry, as the recorder takes it.
    fn use_of(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        admission: &Admission,
        action: &str,
        used: Metered,
        minute: i64,
    ) -> Use {
        let product = &admission.product;
        let entry = EntryDraft {
            segment: Some(Segment::Operator),
            reason: Some(format!(
                "{} v{} under agreement {} (authorization {}): {} records",
                admission.resource.code,
                admission.version.number,
                admission.grant.agreement_id,
                admission.grant.authorization_id,
                used.records
            )),
            ..by.entry(action, "product", Some(product.input.code.clone()))
        };
        Use {
            entry,
            product_id: product.id,
            org_id: caller.org_id,
            day: admission.day(),
            used,
            unit: product.input.billing_unit,
            price_fen: price_charged(product.input.price_fen, product.price_cap_fen),
            free: is_free_for(caller.party) || admission.grant.public_interest,
            daily_call_quota: product.input.daily_call_quota,
            authorization_id: admission.grant.authorization_id,
            daily_use_limit: admission.grant.daily_use_limit,
            rate_per_minute: product.input.rate_per_minute,
            minute,
            stamp: admission.stamp_with(caller),
        }
    }
}
