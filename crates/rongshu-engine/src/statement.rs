//! What a sandbox user may ask: a query, or a table made from one.

use datafusion::sql::parser::{DFParser, Statement as Parsed};
use datafusion::sql::resolve::resolve_table_references;
use datafusion::sql::sqlparser::ast::Statement as Sql;
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::{EngineError, Table};

/// A statement the sandbox runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    Query {
        sql: String,
    },
    /// `CREATE TABLE name AS SELECT …`: the result kept in the workspace.
    CreateTable {
        name: String,
        sql: String,
    },
}

impl Statement {
    /// One statement; anything but a query or a table made from one is
    /// refused before it is planned.
    pub fn parse(text: &str, max_bytes: usize) -> Result<Statement, EngineError> {
        if text.len() > max_bytes {
            return Err(EngineError::NotAllowed(format!(
                "the statement is {} bytes, more than the {max_bytes} allowed",
                text.len()
            )));
        }
        let mut parsed = DFParser::parse_sql_with_dialect(text, &GenericDialect {})
            .map_err(|e| EngineError::Sql(e.to_string()))?;
        let (Some(statement), None) = (parsed.pop_front(), parsed.pop_front()) else {
            return Err(EngineError::NotAllowed(
                "send exactly one statement at a time".into(),
            ));
        };
        let Parsed::Statement(statement) = statement else {
            return Err(refused(&statement.to_string()));
        };
        match *statement {
            Sql::Query(query) => Ok(Statement::Query {
                sql: query.to_string(),
            }),
            Sql::CreateTable(create)
                if !create.external && !create.or_replace && create.columns.is_empty() =>
            {
                let Some(query) = create.query else {
                    return Err(refused("CREATE TABLE without AS SELECT"));
                };
                let name = table_name(&create.name.to_string())?;
                Ok(Statement::CreateTable {
                    name,
                    sql: query.to_string(),
                })
            }
            other => Err(refused(&other.to_string())),
        }
    }

    /// The query to plan.
    pub fn query(&self) -> &str {
        match self {
            Statement::Query { sql } | Statement::CreateTable { sql, .. } => sql,
        }
    }
}

fn refused(what: &str) -> EngineError {
    let mut what = what.to_owned();
    if what.len() > 80 {
        let cut = (0..=80)
            .rev()
            .find(|i| what.is_char_boundary(*i))
            .unwrap_or(0);
        what.truncate(cut);
        what.push('…');
    }
    EngineError::NotAllowed(what)
}

/// The name `CREATE TABLE` gives, held to the rule of kept tables'
/// names ([`Table::check_name`]).
fn table_name(name: &str) -> Result<String, EngineError> {
    let name = name.trim_matches('"');
    Table::check_name(name)
        .map_err(|problem| EngineError::NotAllowed(format!("table name {name:?} {problem}")))?;
    Ok(name.to_owned())
}

/// The workspace tables a statement names (not its CTEs), as SQL reads
/// them; none when it does not parse (running it will say why).
pub fn tables_named(text: &str) -> Vec<String> {
    let Ok(mut parsed) = DFParser::parse_sql_with_dialect(text, &GenericDialect {}) else {
        return Vec::new();
    };
    let Some(statement) = parsed.pop_front() else {
        return Vec::new();
    };
    resolve_table_references(&statement, true)
        .map(|(tables, _)| tables.iter().map(|t| t.table().to_owned()).collect())
        .unwrap_or_default()
}
