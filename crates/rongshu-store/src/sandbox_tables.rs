//! Tables a sandbox workspace keeps: uploads and tables made from query
//! results, each a sealed object this row describes.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError, WriteTx};

/// Where a kept table came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableOrigin {
    /// A file a user of the workspace uploaded.
    Upload,
    /// `CREATE TABLE … AS` over the workspace's tables.
    Query,
}

impl TableOrigin {
    pub const fn as_str(self) -> &'static str {
        match self {
            TableOrigin::Upload => "upload",
            TableOrigin::Query => "query",
        }
    }

    fn parse(value: &str) -> Result<TableOrigin, StoreError> {
        match value {
            "upload" => Ok(TableOrigin::Upload),
            "query" => Ok(TableOrigin::Query),
            _ => Err(StoreError::Corrupt {
                what: "sandbox table origin",
                value: value.to_owned(),
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSandboxTable {
    pub agreement_id: i64,
    pub name: String,
    pub origin: TableOrigin,
    pub made_by: i64,
    /// The statement that made it (origin query).
    pub query_id: Option<i64>,
    /// The uploaded file's name (origin upload).
    pub file_name: String,
    /// Product codes a made table was computed from.
    pub derived_from: Vec<String>,
    /// `(field, identifier kind)` found in an upload.
    pub identifiers: Vec<(String, String)>,
    pub row_count: i64,
    /// The sealed Parquet object.
    pub object_name: String,
    pub byte_size: i64,
    /// SM3 of the plaintext Parquet.
    pub digest: String,
    pub wrapped_key: String,
    pub master_key_id: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SandboxTable {
    pub id: i64,
    pub table: NewSandboxTable,
    pub created_at_ms: i64,
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.is_empty())
}

fn table(row: &AnyRow) -> Result<SandboxTable, StoreError> {
    let derived: String = row.try_get("derived_from")?;
    let identifiers: String = row.try_get("identifiers")?;
    Ok(SandboxTable {
        id: row.try_get("id")?,
        table: NewSandboxTable {
            agreement_id: row.try_get("agreement_id")?,
            name: row.try_get("name")?,
            origin: TableOrigin::parse(&row.try_get::<String, _>("origin")?)?,
            made_by: row.try_get("made_by")?,
            query_id: row.try_get("query_id")?,
            file_name: row.try_get("file_name")?,
            derived_from: lines(&derived).map(str::to_owned).collect(),
            identifiers: lines(&identifiers)
                .filter_map(|l| l.split_once('='))
                .map(|(field, kind)| (field.to_owned(), kind.to_owned()))
                .collect(),
            row_count: row.try_get("row_count")?,
            object_name: row.try_get("object_name")?,
            byte_size: row.try_get("byte_size")?,
            digest: row.try_get("digest")?,
            wrapped_key: row.try_get("wrapped_key")?,
            master_key_id: row.try_get("master_key_id")?,
        },
        created_at_ms: row.try_get("created_at")?,
    })
}

impl Store {
    /// The tables one workspace keeps (or every workspace's), oldest
    /// first.
    pub async fn sandbox_tables(
        &self,
        agreement_id: Option<i64>,
    ) -> Result<Vec<SandboxTable>, StoreError> {
        sqlx::query("SELECT * FROM sandbox_tables WHERE ($1 = 0 OR agreement_id = $1) ORDER BY id")
            .bind(agreement_id.unwrap_or(0))
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(table)
            .collect()
    }
}

impl WriteTx<'_> {
    /// Keeps a table; a name the workspace already has is a
    /// [`StoreError::Duplicate`].
    pub async fn insert_sandbox_table(
        &mut self,
        new: &NewSandboxTable,
        now_ms: i64,
    ) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO sandbox_tables (agreement_id, name, origin, made_by, query_id, \
             file_name, derived_from, identifiers, row_count, object_name, byte_size, digest, \
             wrapped_key, master_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             RETURNING id",
        )
        .bind(new.agreement_id)
        .bind(new.name.clone())
        .bind(new.origin.as_str())
        .bind(new.made_by)
        .bind(new.query_id)
        .bind(new.file_name.clone())
        .bind(new.derived_from.join("\n"))
        .bind(
            new.identifiers
                .iter()
                .map(|(field, kind)| format!("{field}={kind}"))
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .bind(new.row_count)
        .bind(new.object_name.clone())
        .bind(new.byte_size)
        .bind(new.digest.clone())
        .bind(new.wrapped_key.clone())
        .bind(new.master_key_id.clone())
        .bind(now_ms)
        .fetch_one(&mut *self.tx)
        .await
        .map_err(StoreError::unique("sandbox table", &new.name))
    }

    /// The id of a workspace's table of `name`, as this transaction sees
    /// it: none where there is none.
    pub async fn sandbox_table_id(
        &mut self,
        agreement_id: i64,
        name: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sandbox_tables WHERE agreement_id = $1 AND name = $2",
        )
        .bind(agreement_id)
        .bind(name.to_owned())
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// Removes a workspace's table; its object is the caller's to discard
    /// once this commits.
    pub async fn delete_sandbox_table(
        &mut self,
        agreement_id: i64,
        name: &str,
    ) -> Result<SandboxTable, StoreError> {
        let row = sqlx::query(
            "DELETE FROM sandbox_tables WHERE agreement_id = $1 AND name = $2 RETURNING *",
        )
        .bind(agreement_id)
        .bind(name.to_owned())
        .fetch_optional(&mut *self.tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "sandbox table",
            id: name.to_owned(),
        })?;
        table(&row)
    }
}
