//! `WHERE` clauses built from optional filters, with their parameters
//! numbered in the order they are bound.

use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

enum Bind {
    Int(i64),
    Text(String),
}

/// Conditions joined by `AND`, each with the parameters it binds.
#[derive(Default)]
pub(crate) struct Conditions {
    clauses: Vec<String>,
    binds: Vec<Bind>,
}

impl Conditions {
    /// Adds `condition`, which takes no parameter.
    pub fn push(&mut self, condition: impl Into<String>) {
        self.clauses.push(condition.into());
    }

    /// Adds the condition `make` writes around the placeholder of `value`.
    pub fn push_int(&mut self, value: i64, make: impl FnOnce(&str) -> String) {
        self.push_bound(Bind::Int(value), make);
    }

    /// Adds the condition `make` writes around the placeholder of `value`.
    pub fn push_text(&mut self, value: impl Into<String>, make: impl FnOnce(&str) -> String) {
        self.push_bound(Bind::Text(value.into()), make);
    }

    fn push_bound(&mut self, value: Bind, make: impl FnOnce(&str) -> String) {
        self.binds.push(value);
        let condition = make(&format!("${}", self.binds.len()));
        self.clauses.push(condition);
    }

    /// ` WHERE …`, or nothing when there is no condition.
    pub fn clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// `sql` (written around [`Conditions::clause`]) with the parameters bound.
    pub fn bound<'q>(&self, sql: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        self.binds
            .iter()
            .fold(sqlx::query(sql), |query, bind| match bind {
                Bind::Int(i) => query.bind(*i),
                Bind::Text(t) => query.bind(t.clone()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_binding_order() {
        let mut c = Conditions::default();
        assert_eq!(c.clause(), "");
        c.push_int(3, |p| format!("a = {p}"));
        c.push("b IS NULL");
        c.push_text("x", |p| format!("(c = {p} OR d = {p})"));
        assert_eq!(
            c.clause(),
            " WHERE a = $1 AND b IS NULL AND (c = $2 OR d = $2)"
        );
    }
}
