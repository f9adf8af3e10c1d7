//! Workspaces and their tables: the products an agreement grants the
//! sandbox over, read through their pipelines once per process and kept
//! in memory while the version, the product and the authorization stay
//! the same; and the tables the workspace keeps (uploads, tables made from
//! query results), opened from their sealed files once per process.

use std::collections::HashMap;
use std::sync::Arc;

use rongshu_engine::{ColumnType, Table};
use rongshu_products::{Caller, ProductError, SandboxSource};
use rongshu_store::{SandboxTable, StoreError, TableOrigin};

use crate::cache::Key;
use crate::{Sandbox, SandboxError};

/// A table as the schema browser shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceTable {
    pub name: String,
    pub origin: Origin,
    /// Name, type and what is known of its sensitivity: the resource
    /// field's grade (where the output field keeps a resource field's
    /// name), or the identifier kind found in an uploaded field.
    pub columns: Vec<(String, ColumnType, Option<String>)>,
    pub rows: usize,
}

/// Where a workspace table comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Product {
        product: String,
        resource: String,
        version: i64,
    },
    Upload {
        file_name: String,
    },
    Query {
        query_id: Option<i64>,
        /// The products its rows were computed from.
        derived_from: Vec<String>,
        /// Made from an aggregation, its rows keep the records behind
        /// them: releasing them is checked as that aggregation. Otherwise
        /// each row counts as one record.
        traced: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The data use agreement.
    pub agreement_id: i64,
    pub tables: Vec<WorkspaceTable>,
}

/// A workspace opened for one statement: its sources (each admitted now)
/// and its tables.
pub(crate) struct Opened {
    pub sources: Vec<SandboxSource>,
    pub tables: Vec<Arc<Table>>,
    /// The kept tables among `tables`.
    pub kept: Vec<SandboxTable>,
}

/// The SQL name of a product's table in a workspace: its code with `-`
/// as `_`.
pub fn table_name(product_code: &str) -> String {
    product_code.replace('-', "_")
}

fn key(source: &SandboxSource) -> Key {
    Key::Product {
        product: source.product().id,
        revision: source.product().revision,
        version: source.version().id,
        authorization: source.authorization_id(),
    }
}

impl Opened {
    /// Whether `table` is one of the products' tables (not one made or
    /// uploaded in the workspace).
    pub(crate) fn is_product_table(&self, table: &str) -> bool {
        self.source_of(table).is_some()
    }

    fn source_of(&self, table: &str) -> Option<&SandboxSource> {
        self.sources
            .iter()
            .find(|s| table_name(&s.product().input.code) == table)
    }

    pub(crate) fn kept_of(&self, table: &str) -> Option<&SandboxTable> {
        self.kept.iter().find(|k| k.table.name == table)
    }

    /// The products behind the tables `read`: read directly, or through
    /// a table made from them.
    pub fn behind(&self, read: &[String]) -> Vec<SandboxSource> {
        self.sources
            .iter()
            .filter(|s| {
                let code = &s.product().input.code;
                read.iter().any(|table| {
                    *table == table_name(code)
                        || self
                            .kept_of(table)
                            .is_some_and(|k| k.table.derived_from.contains(code))
                })
            })
            .cloned()
            .collect()
    }

    /// What each table read rests on, for the ledger.
    pub fn described(&self, read: &[String]) -> String {
        if read.is_empty() {
            return "nothing".to_owned();
        }
        let described: Vec<String> = read
            .iter()
            .map(|table| match (self.source_of(table), self.kept_of(table)) {
                (Some(s), _) => format!(
                    "{table} ({} version {}, SM3 {})",
                    s.resource().code,
                    s.version().number,
                    s.version().digest
                ),
                (None, Some(kept)) => {
                    format!("{table} ({}, SM3 {})", kept_origin(kept), kept.table.digest)
                }
                (None, None) => table.clone(),
            })
            .collect();
        described.join(", ")
    }

    /// A release's lineage, one line per product behind the tables read
    /// (its citation first) and per kept table read.
    pub fn lineage(&self, read: &[String]) -> Vec<String> {
        let products = self.behind(read).into_iter().map(|s| {
            format!(
                "{} | product {} revision {} | resource {} version {} (SM3 {}) | authorization {} | agreement {}",
                s.citation(),
                s.product().input.code,
                s.product().revision,
                s.resource().code,
                s.version().number,
                s.version().digest,
                s.authorization_id(),
                s.agreement_id()
            )
        });
        let kept = read.iter().filter_map(|t| self.kept_of(t)).map(|k| {
            format!(
                "{} | table {} | SM3 {}",
                kept_origin(k),
                k.table.name,
                k.table.digest
            )
        });
        products.chain(kept).collect()
    }
}

fn kept_origin(kept: &SandboxTable) -> String {
    match (kept.table.origin, kept.table.query_id) {
        (TableOrigin::Upload, _) => format!("uploaded by the user: {}", kept.table.file_name),
        (TableOrigin::Query, Some(id)) => format!("made by query {id}"),
        (TableOrigin::Query, None) => "made by a query".to_owned(),
    }
}

impl Sandbox {
    /// The caller's workspaces with their tables.
    pub async fn workspaces(&self, caller: &Caller) -> Result<Vec<Workspace>, SandboxError> {
        let (sources, _) = self.products().sandbox_sources(caller).await?;
        let mut agreements: Vec<i64> = sources.iter().map(SandboxSource::agreement_id).collect();
        agreements.sort_unstable();
        agreements.dedup();
        let mut workspaces = Vec::new();
        for agreement_id in agreements {
            workspaces.push(self.workspace(caller, agreement_id).await?);
        }
        Ok(workspaces)
    }

    /// One workspace, its tables loaded.
    pub async fn workspace(
        &self,
        caller: &Caller,
        agreement_id: i64,
    ) -> Result<Workspace, SandboxError> {
        let opened = self.open(caller, agreement_id, "").await?;
        let mut tables = Vec::new();
        for table in &opened.tables {
            tables.push(self.describe(&opened, table).await?);
        }
        Ok(Workspace {
            agreement_id,
            tables,
        })
    }

    /// A table of an opened workspace as the schema browser shows it.
    pub(crate) async fn describe(
        &self,
        opened: &Opened,
        table: &Table,
    ) -> Result<WorkspaceTable, SandboxError> {
        let (origin, sensitivity): (Origin, HashMap<String, String>) =
            match (opened.source_of(table.name()), opened.kept_of(table.name())) {
                (Some(source), _) => (
                    Origin::Product {
                        product: source.product().input.code.clone(),
                        resource: source.resource().code.clone(),
                        version: source.version().number,
                    },
                    self.store()
                        .resource_fields(source.resource().id)
                        .await?
                        .into_iter()
                        .map(|f| (f.name, f.sensitivity.to_string()))
                        .collect(),
                ),
                (None, Some(kept)) => (
                    match kept.table.origin {
                        TableOrigin::Upload => Origin::Upload {
                            file_name: kept.table.file_name.clone(),
                        },
                        TableOrigin::Query => Origin::Query {
                            query_id: kept.table.query_id,
                            derived_from: kept.table.derived_from.clone(),
                            traced: table.is_traced(),
                        },
                    },
                    kept.table.identifiers.iter().cloned().collect(),
                ),
                (None, None) => (
                    Origin::Query {
                        query_id: None,
                        derived_from: Vec::new(),
                        traced: table.is_traced(),
                    },
                    HashMap::new(),
                ),
            };
        Ok(WorkspaceTable {
            name: table.name().to_owned(),
            origin,
            columns: table
                .columns()
                .iter()
                .map(|c| {
                    let known = sensitivity.get(&c.name).cloned();
                    (c.name.clone(), c.column_type, known)
                })
                .collect(),
            rows: table.rows(),
        })
    }

    /// Admits the caller to every product of the workspace and loads its
    /// tables. A product the statement names that the chain now refuses
    /// (suspended, terminated, out of term), or a kept table made from
    /// one, refuses the statement with the chain's own reason; otherwise
    /// such tables are left out of the workspace.
    pub(crate) async fn open(
        &self,
        caller: &Caller,
        agreement_id: i64,
        statement: &str,
    ) -> Result<Opened, SandboxError> {
        // What the workspace shows and reads rests on the newest access
        // epoch, not on the last one this process happened to see.
        self.store().refresh_epoch().await?;
        let (sources, mut refused) = self.products().sandbox_sources(caller).await?;
        let sources: Vec<SandboxSource> = sources
            .into_iter()
            .filter(|s| s.agreement_id() == agreement_id)
            .collect();
        let named_tables = rongshu_engine::tables_named(statement);
        let named = |table: &str| named_tables.iter().any(|t| t == table);
        let telling = |code: &String| sources.is_empty() || named(&table_name(code));
        if let Some(refusal) = self
            .own_refusal(agreement_id, &mut refused, telling)
            .await?
        {
            return Err(refusal);
        }
        if sources.is_empty() {
            return Err(SandboxError::NoWorkspace(agreement_id));
        }
        let mut tables = Vec::with_capacity(sources.len());
        for source in &sources {
            tables.push(self.table(source).await?);
        }
        let mut kept = Vec::new();
        for record in self.store().sandbox_tables(Some(agreement_id)).await? {
            let missing = record
                .table
                .derived_from
                .iter()
                .find(|code| !sources.iter().any(|s| s.product().input.code == **code));
            match missing {
                Some(code) if named(&record.table.name) => {
                    return Err(match refused.iter().position(|(c, _)| c == code) {
                        Some(at) => refused.swap_remove(at).1.into(),
                        None => SandboxError::Withheld {
                            table: record.table.name.clone(),
                            product: code.clone(),
                        },
                    });
                }
                Some(_) => continue,
                None => {
                    tables.push(self.kept_table(&record).await?);
                    kept.push(record);
                }
            }
        }
        self.forget_dropped(agreement_id, &kept);
        Ok(Opened {
            sources,
            tables,
            kept,
        })
    }

    /// The chain's refusal of one of the workspace's own products that
    /// `telling` picks, if any: another agreement's product is no table of
    /// it and says nothing of it.
    pub(crate) async fn own_refusal(
        &self,
        agreement_id: i64,
        refused: &mut Vec<(String, ProductError)>,
        telling: impl Fn(&String) -> bool,
    ) -> Result<Option<SandboxError>, SandboxError> {
        if !refused.iter().any(|(code, _)| telling(code)) {
            return Ok(None);
        }
        let own = self.made_under_agreement(agreement_id).await?;
        let at = refused
            .iter()
            .position(|(code, _)| own.contains(code) && telling(code));
        Ok(at.map(|at| refused.swap_remove(at).1.into()))
    }

    /// The codes of the products made under the authorization of
    /// `agreement_id` (none for an agreement that is not there).
    async fn made_under_agreement(&self, agreement_id: i64) -> Result<Vec<String>, SandboxError> {
        let authorization = match self.store().agreement(agreement_id).await {
            Ok(agreement) => agreement.authorization_id,
            Err(StoreError::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(e.into()),
        };
        let products = self.store().products().await?;
        Ok(products
            .into_iter()
            .filter(|p| p.input.authorization_id == authorization)
            .map(|p| p.input.code)
            .collect())
    }

    /// A product's table, from the cache or read now.
    async fn table(&self, source: &SandboxSource) -> Result<Arc<Table>, SandboxError> {
        let key = key(source);
        let cache = &self.inner.tables;
        if let Some(table) = cache.get(&key) {
            return Ok(table);
        }
        let (columns, batches) = self.products().sandbox_output(source).await?;
        let table = Arc::new(Table::from_text(
            table_name(&source.product().input.code),
            columns,
            batches,
        )?);
        // An older revision or version of the product is no longer read.
        let product = source.product().id;
        cache.retain(|k| match k {
            Key::Product { product: p, .. } => *p != product || *k == key,
            Key::Kept { .. } => true,
        });
        cache.put(key, table.clone());
        Ok(table)
    }
}
