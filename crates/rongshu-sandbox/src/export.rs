//! Results leaving the sandbox: an export request runs the automatic
//! disclosure checks on the traced result; the operator's output checkers
//! review what passed; an approved result is released with its citation
//! lines and lineage.

use std::sync::Arc;

use rongshu_classify::{ColumnScanner, IdentifierKind};
use rongshu_crypto::sm3_hex;
use rongshu_domain::PartyType;
use rongshu_domain::output::{
    CheckFailure, DisclosureRules, ExportStatus, Review, ReviewDecision, after_checks, check,
    review, round_count,
};
use rongshu_engine::{Batch, Earlier, OutputColumn, Table};
use rongshu_formats::{ColumnType, OutputFormat, Package};
use rongshu_ledger::{Attribution, EntryDraft, Segment};
use rongshu_products::{Caller, ProductError, Refusal, SandboxSource};
use rongshu_store::{NewSandboxExport, NewSandboxQuery, SandboxExport, SealedFile};
use tokio_util::sync::CancellationToken;

use rongshu_workflow::sandbox_export_context;

use crate::query::Ran;
use crate::workspace::{Opened, table_name};
use crate::{Sandbox, SandboxError};

/// An export of another workspace that read a product's table this one
/// has not: how the checks name it, and the products it came from.
struct Apart {
    label: String,
    came_from: Vec<String>,
}

/// One failed automatic check, as stored and shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFailure {
    pub code: String,
    pub column: Option<String>,
    pub rows: Vec<usize>,
}

impl ExportFailure {
    /// `code|column|rows` lines, as the export row keeps them.
    fn encode(failures: &[CheckFailure]) -> String {
        failures
            .iter()
            .map(|f| {
                let rows: Vec<String> = f.rows.iter().map(ToString::to_string).collect();
                format!(
                    "{}|{}|{}",
                    f.code,
                    f.column.as_deref().unwrap_or(""),
                    rows.join(",")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn decode(lines: &str) -> Vec<ExportFailure> {
        lines
            .lines()
            .filter_map(|line| {
                let mut parts = line.splitn(3, '|');
                let code = parts.next()?.to_owned();
                let column = parts.next().filter(|c| !c.is_empty()).map(str::to_owned);
                let rows = parts
                    .next()
                    .unwrap_or("")
                    .split(',')
                    .filter_map(|r| r.parse().ok())
                    .collect();
                Some(ExportFailure { code, column, rows })
            })
            .collect()
    }
}

/// A released result: a ZIP with `data.csv` and `metadata.json`.
#[derive(Debug)]
pub struct Release {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Identifier kinds that name a person or a company directly.
const DIRECT: [IdentifierKind; 8] = [
    IdentifierKind::ResidentId,
    IdentifierKind::Mobile,
    IdentifierKind::Landline,
    IdentifierKind::BankCard,
    IdentifierKind::CreditCode,
    IdentifierKind::Email,
    IdentifierKind::LicencePlate,
    IdentifierKind::PersonName,
];

/// Columns of a result whose values, or names, hold direct identifiers.
fn identifier_columns(columns: &[OutputColumn], batches: &[Batch]) -> Vec<String> {
    columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.column_type == ColumnType::Text)
        .filter_map(|(at, column)| {
            let mut scanner = ColumnScanner::default();
            for batch in batches {
                for value in batch.columns[at].iter().flatten() {
                    scanner.push(value);
                }
            }
            let found = scanner.finish(&column.name).detection?;
            DIRECT.contains(&found.kind).then(|| column.name.clone())
        })
        .collect()
}

/// Rounds the released counts as the rules ask (the checks have already
/// seen them exact); the base and the columns rounded, if any were.
fn round_counts(
    columns: &[OutputColumn],
    batches: &mut [Batch],
    count_columns: &[usize],
    rules: &DisclosureRules,
) -> Option<(u64, Vec<String>)> {
    let base = rules.round_counts_to;
    if base <= 1 || count_columns.is_empty() {
        return None;
    }
    for batch in batches.iter_mut() {
        for at in count_columns {
            for value in batch.columns[*at].iter_mut().flatten() {
                // A count summed from decimal ones reads "12.00".
                if let Ok(count) = value.parse::<f64>()
                    && count.is_finite()
                {
                    *value = round_count(count.round() as i64, base).to_string();
                }
            }
        }
    }
    Some((
        base,
        count_columns
            .iter()
            .map(|at| columns[*at].name.clone())
            .collect(),
    ))
}

fn csv_of(columns: &[OutputColumn], batches: &[Batch]) -> Result<String, SandboxError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| SandboxError::Sealed(e.to_string());
    out.write_record(columns.iter().map(|c| c.name.as_str()))
        .map_err(failed)?;
    for batch in batches {
        for r in 0..batch.rows {
            out.write_record(batch.columns.iter().map(|c| c[r].as_deref().unwrap_or("")))
                .map_err(failed)?;
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| SandboxError::Sealed(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| SandboxError::Sealed(e.to_string()))
}

impl Sandbox {
    /// Asks for a query's result to be released: runs it whole, traced,
    /// checks it, seals it, and files it for the checkers (or as failed).
    /// `resubmits` names an earlier export of the workspace sent back for
    /// changes (or failed by the checks) that this one is filed in place of.
    pub async fn request_export(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        agreement_id: i64,
        sql: &str,
        purpose: &str,
        resubmits: Option<i64>,
    ) -> Result<SandboxExport, SandboxError> {
        let purpose = purpose.trim();
        if purpose.is_empty() {
            return Err(SandboxError::Invalid {
                field: "purpose",
                problem: "must say what the result is for".into(),
            });
        }
        let earlier = match resubmits {
            Some(id) => Some(self.resubmittable(caller, agreement_id, id).await?),
            None => None,
        };
        let (_slot, cancel) = self.slot(caller, None)?;
        let ran = self.traced(caller, agreement_id, sql, &cancel).await;
        let ran = self.metered(caller, by, ran).await;
        let (traced, query_id) = self
            .settle(caller, by, agreement_id, sql, "sandbox.export.query", ran)
            .await?;
        let master = self.products().deliveries().master();
        let sealed = master.seal_secret(
            traced.csv.as_bytes(),
            &sandbox_export_context(agreement_id, query_id),
        );
        let new = NewSandboxExport {
            agreement_id,
            org_id: caller.org_id,
            author_id: caller.account_id,
            query_id,
            purpose: purpose.to_owned(),
            status: after_checks(&traced.failures).as_str().to_owned(),
            checks: ExportFailure::encode(&traced.failures),
            lineage: traced.lineage.join("\n"),
            products: Some(traced.products.clone()),
            row_count: traced.rows as i64,
            rounded: traced.rounded.clone(),
            resubmits,
            result: SealedFile {
                file_name: String::new(),
                byte_size: traced.csv.len() as i64,
                digest: sm3_hex(&traced.csv),
                sealed: hex::encode(sealed),
                master_key_id: master.id(),
            },
        };
        let mut tx = self.store().begin_aside().await?;
        // Each later release is compared with this one over the tables it
        // read: one dropped (or made again) since it ran would end that.
        for (name, id) in &traced.kept_read {
            if tx.sandbox_table_id(agreement_id, name).await? != Some(*id) {
                return Err(SandboxError::TableGone(name.clone()));
            }
        }
        // Nor was it compared with an export filed while it ran: two filed
        // at once would each pass without the other.
        if tx.newest_sandbox_export(caller.org_id).await? != traced.compared_up_to {
            return Err(SandboxError::FiledMeanwhile);
        }
        if let Some((id, status)) = earlier {
            tx.set_sandbox_export_status(
                id,
                status.as_str(),
                ExportStatus::Resubmitted.as_str(),
                self.now_ms(),
            )
            .await?;
        }
        let id = tx.insert_sandbox_export(&new, self.now_ms()).await?;
        tx.append(EntryDraft {
            segment: Some(Segment::User),
            reason: Some(format!(
                "export {id} of query {query_id}{}: {}{}",
                resubmits.map_or(String::new(), |e| format!(" in place of export {e}")),
                new.status,
                if traced.failures.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        traced
                            .failures
                            .iter()
                            .map(|f| f.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )),
            ..by.entry(
                "sandbox.export.request",
                "sandbox-export",
                Some(id.to_string()),
            )
        })
        .await?;
        tx.commit().await?;
        Ok(self.store().sandbox_export(id).await?)
    }

    /// An export the caller may file a changed one in place of, and its
    /// status.
    async fn resubmittable(
        &self,
        caller: &Caller,
        agreement_id: i64,
        id: i64,
    ) -> Result<(i64, ExportStatus), SandboxError> {
        let earlier = self.store().sandbox_export(id).await?;
        let invalid = |problem: String| SandboxError::Invalid {
            field: "resubmits",
            problem,
        };
        if earlier.export.agreement_id != agreement_id || earlier.export.org_id != caller.org_id {
            return Err(invalid(format!(
                "export {id} is not one of this workspace's"
            )));
        }
        let status: ExportStatus = earlier
            .export
            .status
            .parse()
            .map_err(|_| invalid(format!("export {id} has an unknown status")))?;
        if !status.may_resubmit() {
            return Err(invalid(format!(
                "export {id} is {status}; only one sent back for changes or failed by the checks is resubmitted"
            )));
        }
        Ok((id, status))
    }

    async fn traced(
        &self,
        caller: &Caller,
        agreement_id: i64,
        sql: &str,
        cancel: &CancellationToken,
    ) -> Result<Ran<Traced>, SandboxError> {
        let opened = self.open(caller, agreement_id, sql).await?;
        let rules = &self.inner.config.rules;
        let (earlier, elsewhere, compared_up_to) =
            self.may_have_left(caller, &opened, agreement_id).await?;
        let release = self
            .inner
            .engine
            .run_for_release(&opened.tables, sql, &earlier, cancel, rules.max_rows)
            .await?;
        let result = &release.outcome.result;
        let columns = result.columns().to_vec();
        let mut batches = result.text().collect::<Result<Vec<_>, _>>()?;
        let behind = opened.behind(&release.outcome.read);
        let mut facts = release.facts;
        facts.identifier_columns = identifier_columns(&columns, &batches);
        facts.uncompared = self.over_the_same_data(elsewhere, &behind).await?;
        let failures = check(&facts, rules);
        let rounded = round_counts(&columns, &mut batches, &facts.count_columns, rules);
        let lineage = opened.lineage(&release.outcome.read);
        let products = behind
            .iter()
            .map(|s| s.product().input.code.clone())
            .collect();
        let kept_read = release
            .outcome
            .read
            .iter()
            .filter_map(|t| opened.kept_of(t))
            .map(|k| (k.table.name.clone(), k.id))
            .collect();
        let traced = Traced {
            csv: csv_of(&columns, &batches)?,
            rounded,
            rows: result.rows(),
            failures,
            lineage,
            products,
            kept_read,
            compared_up_to,
        };
        Ok(Ran::new(traced, &opened, &release.outcome))
    }

    /// The organisation's exports that have left or may yet, each to be
    /// compared with a new one (a difference of the two could show what
    /// neither shows): the workspace's own, and those of its other
    /// workspaces (other agreements) that came from a product held here,
    /// with the tables their workspace keeps that they read. Those that
    /// read another product's table are returned apart.
    async fn may_have_left(
        &self,
        caller: &Caller,
        opened: &Opened,
        agreement_id: i64,
    ) -> Result<(Vec<Earlier>, Vec<Apart>, Option<i64>), SandboxError> {
        let (mut earlier, mut apart) = (Vec::new(), Vec::new());
        let exports = self
            .store()
            .organisation_sandbox_exports(caller.org_id)
            .await?;
        let newest = exports.iter().map(|e| e.id).max();
        for (export, query) in self.that_may_leave(exports).await? {
            let theirs = export.export.agreement_id;
            let (label, tables) = if theirs == agreement_id {
                (format!("export {}", export.id), Vec::new())
            } else {
                let label = format!("export {} (agreement {theirs})", export.id);
                let came_from = self.came_from(&export.export).await?;
                // Of uploads alone: no records of any product here.
                if came_from.is_empty() {
                    continue;
                }
                let held = |code: &String| opened.is_product_table(&table_name(code));
                let tables = if came_from.iter().all(held) {
                    self.kept_elsewhere(theirs, &query.tables_read, opened)
                        .await?
                } else {
                    None
                };
                let Some(tables) = tables else {
                    apart.push(Apart { label, came_from });
                    continue;
                };
                (label, tables)
            };
            earlier.push(Earlier {
                label,
                sql: query.statement,
                tables,
            });
        }
        Ok((earlier, apart, newest))
    }

    /// The tables workspace `agreement_id` keeps among those `read`, each
    /// read back; none if one read is neither kept there nor a product's
    /// table here. (Those an export read are never dropped while it may
    /// leave.)
    async fn kept_elsewhere(
        &self,
        agreement_id: i64,
        read: &[String],
        opened: &Opened,
    ) -> Result<Option<Vec<Arc<Table>>>, SandboxError> {
        let records = self.store().sandbox_tables(Some(agreement_id)).await?;
        let mut tables = Vec::new();
        for name in read {
            match records.iter().find(|r| r.table.name == *name) {
                Some(record) => tables.push(self.kept_table(record).await?),
                None if opened.is_product_table(name) => {}
                None => return Ok(None),
            }
        }
        Ok(Some(tables))
    }

    /// The labels of the exports `apart` that came from a product over a
    /// resource one of `behind` reads: made from another product's table
    /// over the same data, they cannot be compared with a result here,
    /// and the two could be subtracted.
    async fn over_the_same_data(
        &self,
        apart: Vec<Apart>,
        behind: &[SandboxSource],
    ) -> Result<Vec<String>, SandboxError> {
        if apart.is_empty() || behind.is_empty() {
            return Ok(Vec::new());
        }
        let read: Vec<i64> = behind
            .iter()
            .map(|s| s.product().input.resource_id)
            .collect();
        let products = self.store().products().await?;
        let same_data = |code: &String| {
            products
                .iter()
                .any(|p| &p.input.code == code && read.contains(&p.input.resource_id))
        };
        Ok(apart
            .into_iter()
            .filter(|export| export.came_from.iter().any(same_data))
            .map(|export| export.label)
            .collect())
    }

    /// The `exports` that have left or may yet, with their queries.
    async fn that_may_leave(
        &self,
        exports: Vec<SandboxExport>,
    ) -> Result<Vec<(SandboxExport, NewSandboxQuery)>, SandboxError> {
        let mut leaving = Vec::new();
        for export in exports {
            let status = export.export.status.parse::<ExportStatus>();
            if status.is_ok_and(ExportStatus::may_leave) {
                let query = self.store().sandbox_query(export.export.query_id).await?;
                leaving.push((export, query.query));
            }
        }
        Ok(leaving)
    }

    /// An output checker's decision. Checkers are the operator's; the
    /// author never reviews their own output.
    pub async fn review(
        &self,
        checker: &Caller,
        by: &impl Attribution,
        export_id: i64,
        decision: ReviewDecision,
        comment: &str,
    ) -> Result<ExportStatus, SandboxError> {
        if checker.party != PartyType::Operator {
            return Err(SandboxError::Forbidden(
                "only the operator's output checkers review exports",
            ));
        }
        let export = self.store().sandbox_export(export_id).await?;
        let status: ExportStatus =
            export
                .export
                .status
                .parse()
                .map_err(|_| SandboxError::Invalid {
                    field: "status",
                    problem: format!("{} is no export status", export.export.status),
                })?;
        let mut tx = self.store().begin_aside().await?;
        let earlier: Vec<Review> = tx
            .sandbox_reviews_locked(export_id)
            .await?
            .iter()
            .filter_map(|r| {
                Some(Review {
                    checker: r.checker_id,
                    decision: r.decision.parse().ok()?,
                })
            })
            .collect();
        let next = review(
            status,
            export.export.author_id,
            &earlier,
            self.inner.config.approvals_required,
            Review {
                checker: checker.account_id,
                decision,
            },
        )?;
        let now = self.now_ms();
        tx.insert_sandbox_review(
            export_id,
            checker.account_id,
            decision.as_str(),
            comment,
            now,
        )
        .await?;
        if next != status {
            tx.set_sandbox_export_status(export_id, status.as_str(), next.as_str(), now)
                .await?;
        }
        tx.append(EntryDraft {
            segment: Some(Segment::Operator),
            reason: Some(format!(
                "{decision}: export {export_id} now {next}; {comment}"
            )),
            ..by.entry(
                "sandbox.export.review",
                "sandbox-export",
                Some(export_id.to_string()),
            )
        })
        .await?;
        tx.commit().await?;
        Ok(next)
    }

    /// Exports of the caller's organisation in a workspace (or, for the
    /// operator's checkers, every workspace's), newest first.
    pub async fn exports(
        &self,
        caller: &Caller,
        agreement_id: Option<i64>,
        status: Option<ExportStatus>,
    ) -> Result<Vec<SandboxExport>, SandboxError> {
        let exports = self
            .store()
            .sandbox_exports(agreement_id, status.map(ExportStatus::as_str))
            .await?;
        Ok(exports
            .into_iter()
            .filter(|e| caller.party == PartyType::Operator || e.export.org_id == caller.org_id)
            .collect())
    }

    /// An approved export as a package: the result and, beside it, the
    /// citation lines, lineage, checks and reviews. Ledgered (segment
    /// operator → user).
    pub async fn release(
        &self,
        caller: &Caller,
        by: &impl Attribution,
        export_id: i64,
    ) -> Result<Release, SandboxError> {
        let export = self.store().sandbox_export(export_id).await?;
        let record = &export.export;
        if record.org_id != caller.org_id {
            return Err(SandboxError::Forbidden(
                "an export is released to its author's organisation only",
            ));
        }
        if record.status != ExportStatus::Approved.as_str() {
            return Err(SandboxError::NotReleased {
                id: export_id,
                status: record.status.clone(),
            });
        }
        self.still_supplied(caller, &export).await?;
        let (columns, batch) = self.opened(&export)?;
        let reviews = self.store().sandbox_reviews(export_id).await?;
        let metadata = serde_json::json!({
            "export": export_id,
            "workspace_agreement": record.agreement_id,
            "query": record.query_id,
            "purpose": record.purpose,
            "citations": record.lineage.lines().map(|l| l.split(" | ").next().unwrap_or(l)).collect::<Vec<_>>(),
            "lineage": record.lineage.lines().collect::<Vec<_>>(),
            "rows": record.row_count,
            "counts_rounded": record.rounded.as_ref().map(|(base, columns)| serde_json::json!({
                "to_multiple_of": base, "columns": columns,
            })),
            "result_sm3": record.result.digest,
            "reviews": reviews.iter().map(|r| serde_json::json!({
                "checker": r.checker_id, "decision": r.decision, "comment": r.comment,
            })).collect::<Vec<_>>(),
        });
        let mut package = Package::start(OutputFormat::Csv, columns, Vec::new())
            .map_err(|e| SandboxError::Sealed(e.to_string()))?;
        package
            .write(&batch)
            .map_err(|e| SandboxError::Sealed(e.to_string()))?;
        let bytes = package
            .finish(&serde_json::to_string_pretty(&metadata).unwrap_or_default())
            .map_err(|e| SandboxError::Sealed(e.to_string()))?;
        self.store()
            .append(EntryDraft {
                segment: Some(Segment::Operator),
                reason: Some(format!(
                    "released export {export_id}: {} rows, SM3 {}",
                    record.row_count, record.result.digest
                )),
                ..by.entry(
                    "sandbox.export.release",
                    "sandbox-export",
                    Some(export_id.to_string()),
                )
            })
            .await?;
        Ok(Release {
            file_name: format!("sandbox-export-{export_id}.zip"),
            bytes,
        })
    }
}

impl Sandbox {
    /// An export's result, for its checkers (the operator) and its
    /// author's organisation to look at before it is released.
    pub async fn export_result(
        &self,
        caller: &Caller,
        export_id: i64,
    ) -> Result<(SandboxExport, Vec<OutputColumn>, Batch), SandboxError> {
        let export = self.store().sandbox_export(export_id).await?;
        if caller.party != PartyType::Operator && export.export.org_id != caller.org_id {
            return Err(SandboxError::Forbidden(
                "an export is shown to its checkers and its author's organisation only",
            ));
        }
        if caller.party != PartyType::Operator {
            self.still_supplied(caller, &export).await?;
        }
        let (columns, batch) = self.opened(&export)?;
        Ok((export, columns, batch))
    }

    /// Refuses an export's result to its author's organisation once the
    /// chain refuses a product it came from (suspended, terminated,
    /// withdrawn, out of term), with the chain's own reason, or the
    /// workspace no longer reads it, or, for a result of uploads alone,
    /// once its workspace is gone: supply cut off is cut off for results
    /// approved before, too.
    async fn still_supplied(
        &self,
        caller: &Caller,
        export: &SandboxExport,
    ) -> Result<(), SandboxError> {
        let record = &export.export;
        let came_from = self.came_from(record).await?;
        self.store().refresh_epoch().await?;
        let (sources, mut refused) = self.products().sandbox_sources(caller).await?;
        if came_from.is_empty() {
            // Uploads alone: they leave while their workspace stands.
            if sources
                .iter()
                .any(|s| s.agreement_id() == record.agreement_id)
            {
                return Ok(());
            }
            let refusal = self
                .own_refusal(record.agreement_id, &mut refused, |_| true)
                .await?;
            return Err(refusal.unwrap_or(SandboxError::NoWorkspace(record.agreement_id)));
        }
        for code in &came_from {
            let supplied = sources.iter().any(|s| {
                s.agreement_id() == record.agreement_id && s.product().input.code == *code
            });
            if supplied {
                continue;
            }
            match refused.iter().position(|(c, _)| c == code) {
                // The chain admitted it; only this minute's calls are spent.
                Some(at)
                    if matches!(
                        refused[at].1,
                        ProductError::Refused(Refusal::RateLimited { .. })
                    ) => {}
                Some(at) => return Err(refused.swap_remove(at).1.into()),
                None => {
                    return Err(SandboxError::ExportWithheld {
                        export: export.id,
                        product: code.clone(),
                    });
                }
            }
        }
        Ok(())
    }

    /// The codes of the products an export's result came from: recorded
    /// with it or, on exports filed before they were, named in its lineage.
    async fn came_from(&self, record: &NewSandboxExport) -> Result<Vec<String>, SandboxError> {
        Ok(match &record.products {
            Some(codes) => codes.clone(),
            None => self
                .store()
                .products()
                .await?
                .into_iter()
                .map(|p| p.input.code)
                .filter(|code| named_in_lineage(&record.lineage, code))
                .collect(),
        })
    }

    /// The sealed result, opened.
    fn opened(&self, export: &SandboxExport) -> Result<(Vec<OutputColumn>, Batch), SandboxError> {
        let record = &export.export;
        let sealed =
            hex::decode(&record.result.sealed).map_err(|e| SandboxError::Sealed(e.to_string()))?;
        let csv = self
            .products()
            .deliveries()
            .master()
            .open_secret(
                &sealed,
                &sandbox_export_context(record.agreement_id, record.query_id),
            )
            .map_err(|e| SandboxError::Sealed(e.to_string()))?;
        parse_csv(&csv)
    }
}

/// Whether an export's lineage names the product `code`.
fn named_in_lineage(lineage: &str, code: &str) -> bool {
    lineage.contains(&format!("| product {code} revision "))
}

/// What a traced run gave.
struct Traced {
    csv: String,
    rounded: Option<(u64, Vec<String>)>,
    rows: usize,
    failures: Vec<CheckFailure>,
    lineage: Vec<String>,
    /// The codes of the products behind the tables read.
    products: Vec<String>,
    /// The workspace's kept tables it read, by name and id.
    kept_read: Vec<(String, i64)>,
    /// The newest export of the organisation when it was compared.
    compared_up_to: Option<i64>,
}

/// The sealed CSV back as text columns.
fn parse_csv(csv: &[u8]) -> Result<(Vec<OutputColumn>, Batch), SandboxError> {
    let mut reader = csv::Reader::from_reader(csv);
    let failed = |e: csv::Error| SandboxError::Sealed(e.to_string());
    let columns: Vec<OutputColumn> = reader
        .headers()
        .map_err(failed)?
        .iter()
        .map(|name| OutputColumn {
            name: name.to_owned(),
            column_type: ColumnType::Text,
        })
        .collect();
    let mut batch = Batch {
        rows: 0,
        columns: vec![Vec::new(); columns.len()],
    };
    for record in reader.records() {
        let record = record.map_err(failed)?;
        for (at, value) in record.iter().enumerate().take(columns.len()) {
            batch.columns[at].push((!value.is_empty()).then(|| value.to_owned()));
        }
        batch.rows += 1;
    }
    Ok((columns, batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lineage_names_its_products_by_whole_code() {
        let lineage = "数据来源：… | product reg-lab revision 2 | resource registrations version 1 (SM3 00) | authorization 1 | agreement 1\n\
                       uploaded by the user: a.csv | table a | SM3 00";
        assert!(named_in_lineage(lineage, "reg-lab"));
        assert!(!named_in_lineage(lineage, "reg"));
        assert!(!named_in_lineage(lineage, "lab"));
        assert!(!named_in_lineage(lineage, "registrations"));
    }

    #[test]
    fn counts_are_rounded_whether_they_read_as_integers_or_decimals() {
        let columns = vec![
            OutputColumn {
                name: "区县".into(),
                column_type: ColumnType::Text,
            },
            OutputColumn {
                name: "n".into(),
                column_type: ColumnType::Decimal,
            },
        ];
        let mut batches = vec![Batch {
            rows: 3,
            columns: vec![
                vec![Some("锦江区".into()), Some("青羊区".into()), None],
                vec![Some("12".into()), Some("13.00".into()), None],
            ],
        }];
        let rules = DisclosureRules {
            round_counts_to: 5,
            ..DisclosureRules::default()
        };
        let rounded = round_counts(&columns, &mut batches, &[1], &rules);
        assert_eq!(rounded, Some((5, vec!["n".to_owned()])));
        assert_eq!(
            batches[0].columns[1],
            vec![Some("10".into()), Some("15".into()), None]
        );
    }
}
