//! What a sandbox user may ask: a query, or a table made from one.

use datafusion::sql::parser::{DFParser, Statement as Parsed};
use datafusion::sql::sqlparser::ast::Statement as Sql;
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::EngineError;

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

/// A workspace table's name: letters (any script), digits and `_`, not
/// starting with a digit, at most 64 characters.
pub fn table_name(name: &str) -> Result<String, EngineError> {
    let name = name.trim_matches('"');
    let fits = !name.is_empty()
        && name.chars().count() <= 64
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    if fits {
        Ok(name.to_owned())
    } else {
        Err(EngineError::NotAllowed(format!(
            "{name:?} is no table name: letters, digits and _ only, not starting with a digit"
        )))
    }
}
