//! The guard in front of `query_history`: people and assistants may read the
//! incident archive with SQL, and nothing else. A query passes only if it is
//! exactly one `SELECT` (with `WITH`, joins, subqueries and set operations
//! allowed), reads only allowlisted tables, calls only allowlisted
//! functions, and has a `LIMIT` no higher than [`MAX_ROWS`]: a missing or
//! higher limit is set to it. The checked query is printed back from the
//! parsed tree, so what runs is what was checked.
//!
//! The backend runs it read-only as well (a `query_only` SQLite connection;
//! an Athena workgroup whose role can only read the archive).

use std::ops::ControlFlow;

use sqlparser::ast::{
    Expr, LimitClause, ObjectName, ObjectNamePart, Query, SetExpr, Statement, TableFactor, Value,
    Visit, Visitor, visit_expressions,
};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::error::{ApiError, names};

/// The most rows a query returns.
pub const MAX_ROWS: u64 = 100;
/// The longest SQL text accepted.
pub const MAX_SQL_CHARS: usize = 4000;
/// The tables `query_history` may read: the incident archive.
pub const ALLOWED_TABLES: &[&str] = &["incident_history"];

/// Functions a query may call: aggregates, and scalar functions on text,
/// numbers and dates that exist in SQLite and in Athena (Trino).
pub const ALLOWED_FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "lower",
    "upper",
    "length",
    "substr",
    "substring",
    "trim",
    "coalesce",
    "round",
    "abs",
    "cast",
    "nullif",
    "date",
    "strftime",
    "julianday",
    "date_trunc",
    "date_diff",
    "from_iso8601_timestamp",
    "to_iso8601",
    "replace",
    "instr",
    "strpos",
    "approx_percentile",
    "percentile",
];

fn rejected(message: impl Into<String>) -> ApiError {
    ApiError::new(names::QUERY_REJECTED, message)
}

/// Checks `sql` and returns the query to run, with its `LIMIT` enforced.
pub fn check(sql: &str) -> Result<String, ApiError> {
    let length = sql.chars().count();
    if length > MAX_SQL_CHARS {
        return Err(rejected(format!(
            "sql is {length} characters; the limit is {MAX_SQL_CHARS}"
        )));
    }
    let mut statements = Parser::parse_sql(&GenericDialect {}, sql)
        .map_err(|e| rejected(format!("sql does not parse: {e}")))?;
    if statements.len() != 1 {
        return Err(rejected(format!(
            "sql must be exactly one statement, got {}",
            statements.len()
        )));
    }
    let Some(Statement::Query(query)) = statements.pop() else {
        return Err(rejected("sql must be a SELECT query"));
    };
    let mut query = *query;
    check_query_shape(&query)?;
    check_tables(&query)?;
    check_functions(&query)?;
    enforce_limit(&mut query);
    Ok(query.to_string())
}

/// No `SELECT ... INTO`, no locking clauses, no writes hidden in `WITH`.
fn check_query_shape(query: &Query) -> Result<(), ApiError> {
    if !query.locks.is_empty() {
        return Err(rejected("locking clauses (FOR UPDATE) are not allowed"));
    }
    check_body(&query.body)?;
    if let Some(with) = &query.with {
        for cte in &with.cte_tables {
            check_query_shape(&cte.query)?;
        }
    }
    Ok(())
}

fn check_body(body: &SetExpr) -> Result<(), ApiError> {
    match body {
        SetExpr::Select(select) if select.into.is_some() => {
            Err(rejected("SELECT ... INTO is not allowed"))
        }
        SetExpr::Select(_) | SetExpr::Values(_) => Ok(()),
        SetExpr::Query(query) => check_query_shape(query),
        SetExpr::SetOperation { left, right, .. } => {
            check_body(left)?;
            check_body(right)
        }
        _ => Err(rejected("only SELECT queries are allowed")),
    }
}

/// Every table read is allowlisted, or a name that a `WITH` defines *where
/// the read is in its scope*: the query that holds the `WITH` (its body and
/// every one of its CTEs, as SQLite sees them) and the queries nested inside
/// it. A name defined in a nested query is not in scope outside it: there
/// SQLite reads the real table of that name.
fn check_tables(query: &Query) -> Result<(), ApiError> {
    let mut scope = CteScope::default();
    match query.visit(&mut scope) {
        ControlFlow::Break(refused) => Err(rejected(refused)),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The CTE names in scope while walking a query: one frame per enclosing
/// query (pushed when the walk enters it, popped when it leaves).
#[derive(Default)]
struct CteScope {
    frames: Vec<Vec<String>>,
}

impl CteScope {
    fn defines(&self, name: &str) -> bool {
        self.frames.iter().flatten().any(|cte| cte == name)
    }
}

impl Visitor for CteScope {
    type Break = String;

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<String> {
        let names = query.with.as_ref().map_or_else(Vec::new, |with| {
            with.cte_tables
                .iter()
                .map(|cte| cte.alias.name.value.to_ascii_lowercase())
                .collect()
        });
        self.frames.push(names);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<String> {
        self.frames.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<String> {
        match factor {
            TableFactor::Table { args: None, .. }
            | TableFactor::Derived { .. }
            | TableFactor::NestedJoin { .. } => ControlFlow::Continue(()),
            // Table-valued functions (json_each, pragma_table_info, UNNEST,
            // TABLE(...)) read what their arguments name, not the archive.
            other => ControlFlow::Break(format!(
                "'{}' is not allowed in FROM; query_history reads the tables: {}",
                short(&other.to_string()),
                ALLOWED_TABLES.join(", ")
            )),
        }
    }

    fn pre_visit_relation(&mut self, name: &ObjectName) -> ControlFlow<String> {
        let refuse = || {
            ControlFlow::Break(format!(
                "table '{}' is not allowed; query_history reads: {}",
                short(&name.to_string()),
                ALLOWED_TABLES.join(", ")
            ))
        };
        // Only plain, unqualified names: `main.approvals` and the like
        // would name another schema or database.
        let [ObjectNamePart::Identifier(ident)] = name.0.as_slice() else {
            return refuse();
        };
        let table = ident.value.to_ascii_lowercase();
        if ALLOWED_TABLES.contains(&table.as_str()) || self.defines(&table) {
            ControlFlow::Continue(())
        } else {
            refuse()
        }
    }
}

/// A name or clause as quoted back in an error: at most 80 characters.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(80).collect();
    if text.chars().count() > 80 {
        out.push('…');
    }
    out
}

fn check_functions(query: &Query) -> Result<(), ApiError> {
    let outcome = visit_expressions(query, |expr: &Expr| match expr {
        Expr::Function(function) => {
            let name = function.name.to_string().to_ascii_lowercase();
            if ALLOWED_FUNCTIONS.contains(&name.as_str()) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(name)
            }
        }
        _ => ControlFlow::Continue(()),
    });
    match outcome {
        ControlFlow::Break(name) => Err(rejected(format!(
            "function '{name}' is not allowed; allowed: {}",
            ALLOWED_FUNCTIONS.join(", ")
        ))),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// Sets the outer `LIMIT` to [`MAX_ROWS`] when it is missing, not a number,
/// or higher; keeps a lower one and any `OFFSET`.
fn enforce_limit(query: &mut Query) {
    let max = || Expr::Value(Value::Number(MAX_ROWS.to_string(), false).into());
    let within = |expr: &Expr| match expr {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => n.parse::<u64>().is_ok_and(|n| n <= MAX_ROWS),
            _ => false,
        },
        _ => false,
    };
    match &mut query.limit_clause {
        Some(LimitClause::LimitOffset { limit, .. }) => {
            if !limit.as_ref().is_some_and(within) {
                *limit = Some(max());
            }
        }
        Some(LimitClause::OffsetCommaLimit { limit, .. }) => {
            if !within(limit) {
                *limit = max();
            }
        }
        None => {
            query.limit_clause = Some(LimitClause::LimitOffset {
                limit: Some(max()),
                offset: None,
                limit_by: Vec::new(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_of(sql: &str) -> String {
        match check(sql) {
            Ok(q) => panic!("accepted: {q}"),
            Err(e) => {
                assert_eq!(e.name, names::QUERY_REJECTED);
                e.message
            }
        }
    }

    #[test]
    fn a_select_on_the_archive_gets_a_limit() {
        assert_eq!(
            check("SELECT signature, count(*) AS n FROM incident_history GROUP BY signature")
                .unwrap(),
            "SELECT signature, count(*) AS n FROM incident_history GROUP BY signature LIMIT 100"
        );
    }

    #[test]
    fn a_lower_limit_is_kept_and_a_higher_one_lowered() {
        assert!(
            check("SELECT * FROM incident_history LIMIT 5")
                .unwrap()
                .ends_with("LIMIT 5")
        );
        assert!(
            check("SELECT * FROM incident_history LIMIT 100000 OFFSET 3")
                .unwrap()
                .ends_with("LIMIT 100 OFFSET 3")
        );
        assert!(
            check("SELECT * FROM incident_history LIMIT ALL")
                .unwrap()
                .ends_with("LIMIT 100")
        );
    }

    #[test]
    fn ctes_subqueries_and_unions_over_the_archive_pass() {
        check(
            "WITH recent AS (SELECT * FROM incident_history WHERE opened_at > '2026-01-01') \
             SELECT r.signature FROM recent r WHERE r.incident_id IN (SELECT incident_id FROM incident_history) \
             UNION SELECT signature FROM incident_history",
        )
        .unwrap();
    }

    #[test]
    fn writes_and_other_statements_are_refused() {
        for sql in [
            "DELETE FROM incident_history",
            "UPDATE incident_history SET root_cause = 'x'",
            "INSERT INTO incident_history VALUES (1)",
            "DROP TABLE incident_history",
            "PRAGMA writable_schema = 1",
            "ATTACH DATABASE '/tmp/x' AS x",
            "CREATE TABLE t AS SELECT * FROM incident_history",
        ] {
            let message = name_of(sql);
            assert!(
                message.contains("SELECT") || message.contains("parse"),
                "{sql}: {message}"
            );
        }
    }

    #[test]
    fn two_statements_are_refused() {
        assert_eq!(
            name_of("SELECT 1 FROM incident_history; DELETE FROM incident_history"),
            "sql must be exactly one statement, got 2"
        );
    }

    #[test]
    fn other_tables_are_refused_wherever_they_hide() {
        for sql in [
            "SELECT * FROM approvals",
            "SELECT * FROM incident_history JOIN sqlite_master ON 1 = 1",
            "SELECT * FROM incident_history WHERE incident_id IN (SELECT token FROM approvals)",
            "WITH x AS (SELECT * FROM idempotency) SELECT * FROM x",
            "SELECT * FROM main.incident_history",
            "SELECT * FROM pragma_database_list",
            "SELECT * FROM sqlite_master",
        ] {
            let message = name_of(sql);
            assert!(message.starts_with("table '"), "{sql}: {message}");
        }
    }

    #[test]
    fn a_cte_name_is_in_scope_only_inside_the_query_that_defines_it() {
        // SQLite resolves the outer `approvals` to the real table: the
        // nested definition must not make it look like a CTE.
        for sql in [
            "WITH a AS (WITH approvals AS (SELECT 1) SELECT 1) SELECT id, token, status FROM approvals",
            "SELECT (WITH approvals AS (SELECT 1 AS token) SELECT token FROM approvals), (SELECT token FROM approvals) FROM incident_history",
            "SELECT * FROM incident_history WHERE incident_id IN (WITH sfn_task_tokens AS (SELECT 1) SELECT 1) UNION SELECT token FROM sfn_task_tokens",
            "WITH a AS (WITH audit AS (SELECT 1) SELECT * FROM audit) SELECT * FROM a JOIN audit ON 1 = 1",
        ] {
            let message = name_of(sql);
            assert!(message.starts_with("table '"), "{sql}: {message}");
        }
    }

    #[test]
    fn ctes_see_each_other_and_nested_queries_see_outer_ctes() {
        for sql in [
            "WITH a AS (SELECT * FROM b), b AS (SELECT * FROM incident_history) SELECT * FROM a",
            "WITH r AS (SELECT * FROM incident_history) SELECT * FROM r WHERE incident_id IN (SELECT incident_id FROM r)",
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 5) SELECT x FROM n",
        ] {
            check(sql).unwrap();
        }
    }

    #[test]
    fn table_valued_functions_are_refused() {
        for sql in [
            "SELECT * FROM json_each('[1]')",
            "SELECT * FROM pragma_table_info('approvals')",
            "SELECT * FROM incident_history, json_each(incident_history.root_cause)",
        ] {
            let message = name_of(sql);
            assert!(message.contains("not allowed"), "{sql}: {message}");
        }
    }

    #[test]
    fn unknown_functions_are_refused() {
        assert!(
            name_of("SELECT load_extension('x') FROM incident_history")
                .starts_with("function 'load_extension' is not allowed")
        );
    }

    #[test]
    fn select_into_and_oversized_text_are_refused() {
        assert!(name_of("SELECT * INTO copy FROM incident_history").contains("INTO"));
        let long = format!(
            "SELECT '{}' FROM incident_history",
            "x".repeat(MAX_SQL_CHARS)
        );
        assert!(name_of(&long).contains("the limit is 4000"));
    }
}
