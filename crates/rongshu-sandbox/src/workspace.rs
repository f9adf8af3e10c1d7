//! Workspaces and their tables: the products an agreement grants the
//! sandbox over, read through their pipelines once per process and kept
//! in memory while the version, the product and the authorization stay
//! the same; and the tables users make from query results.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rongshu_engine::{ColumnType, Table};
use rongshu_products::{Caller, SandboxSource};

use crate::{Sandbox, SandboxError};

/// A table as the schema browser shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceTable {
    pub name: String,
    /// The product it reads; none for a table made from a query.
    pub product_code: Option<String>,
    pub resource_code: Option<String>,
    pub version: Option<i64>,
    /// Name, type and the resource field's sensitivity grade (where the
    /// output field keeps a resource field's name).
    pub columns: Vec<(String, ColumnType, Option<String>)>,
    pub rows: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Workspace {
    /// The data use agreement.
    pub agreement_id: i64,
    pub tables: Vec<WorkspaceTable>,
}

/// A product's output, by product, revision, version and authorization:
/// any change of these makes another table.
type TableKey = (i64, i64, i64, i64);

#[derive(Debug, Default)]
pub(crate) struct TableCache {
    products: Mutex<HashMap<TableKey, Arc<Table>>>,
    /// Tables made from query results, by agreement. Held by this process
    /// only, for the life of the process.
    made: Mutex<HashMap<i64, Vec<Arc<Table>>>>,
}

/// A workspace opened for one statement: its sources (each admitted now)
/// and its tables.
pub(crate) struct Opened {
    pub sources: Vec<SandboxSource>,
    pub tables: Vec<Arc<Table>>,
}

/// The SQL name of a product's table: its code with `-` as `_`.
pub(crate) fn table_name(product_code: &str) -> String {
    product_code.replace('-', "_")
}

fn key(source: &SandboxSource) -> TableKey {
    (
        source.product().id,
        source.product().revision,
        source.version().id,
        source.authorization_id(),
    )
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
            let source = opened
                .sources
                .iter()
                .find(|s| table_name(&s.product().input.code) == table.name());
            let grades = match source {
                Some(source) => self
                    .store()
                    .resource_fields(source.resource().id)
                    .await?
                    .into_iter()
                    .map(|f| (f.name, f.sensitivity.to_string()))
                    .collect(),
                None => HashMap::new(),
            };
            tables.push(WorkspaceTable {
                name: table.name().to_owned(),
                product_code: source.map(|s| s.product().input.code.clone()),
                resource_code: source.map(|s| s.resource().code.clone()),
                version: source.map(|s| s.version().number),
                columns: table
                    .columns()
                    .iter()
                    .map(|c| (c.name.clone(), c.column_type, grades.get(&c.name).cloned()))
                    .collect(),
                rows: table.rows(),
            });
        }
        Ok(Workspace {
            agreement_id,
            tables,
        })
    }

    /// Admits the caller to every product of the workspace and loads their
    /// tables. A product the statement names that the chain now refuses
    /// (suspended, terminated, out of term) refuses the statement with
    /// the chain's own reason.
    pub(crate) async fn open(
        &self,
        caller: &Caller,
        agreement_id: i64,
        statement: &str,
    ) -> Result<Opened, SandboxError> {
        let (sources, refused) = self.products().sandbox_sources(caller).await?;
        let sources: Vec<SandboxSource> = sources
            .into_iter()
            .filter(|s| s.agreement_id() == agreement_id)
            .collect();
        if let Some((_, refusal)) = refused
            .into_iter()
            .find(|(code, _)| sources.is_empty() || statement.contains(&table_name(code)))
        {
            return Err(refusal.into());
        }
        if sources.is_empty() {
            return Err(SandboxError::NoWorkspace(agreement_id));
        }
        let mut tables = Vec::with_capacity(sources.len());
        for source in &sources {
            tables.push(self.table(source).await?);
        }
        let made = self
            .inner
            .tables
            .made
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        tables.extend(made.get(&agreement_id).into_iter().flatten().cloned());
        Ok(Opened { sources, tables })
    }

    /// A product's table, from the cache or read now.
    async fn table(&self, source: &SandboxSource) -> Result<Arc<Table>, SandboxError> {
        let key = key(source);
        if let Some(table) = self
            .inner
            .tables
            .products
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return Ok(table.clone());
        }
        let (columns, batches) = self.products().sandbox_output(source).await?;
        let table = Arc::new(Table::from_text(
            table_name(&source.product().input.code),
            columns,
            batches,
        )?);
        let mut products = self
            .inner
            .tables
            .products
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        // An older revision or version of the product is no longer read.
        products.retain(|k, _| k.0 != key.0 || *k == key);
        products.insert(key, table.clone());
        Ok(table)
    }

    /// Keeps a table made from a query in its workspace; a name in use is
    /// refused.
    pub(crate) fn keep_made(
        &self,
        agreement_id: i64,
        table: Table,
        taken: &[Arc<Table>],
    ) -> Result<(), SandboxError> {
        if taken.iter().any(|t| t.name() == table.name()) {
            return Err(SandboxError::Invalid {
                field: "statement",
                problem: format!(
                    "makes table {}, a name the workspace already has",
                    table.name()
                ),
            });
        }
        let mut made = self
            .inner
            .tables
            .made
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        made.entry(agreement_id).or_default().push(Arc::new(table));
        Ok(())
    }
}
