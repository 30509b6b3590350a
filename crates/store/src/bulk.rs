//! Multi-row statements written once for both backends.
//!
//! A statement is written as `before` ROWS `after`, where ROWS stands for the
//! rows' tuples, given column by column. SQLite gets `VALUES (?, …), (?, …)`
//! in chunks under its bound-parameter limit. PostgreSQL gets `SELECT * FROM
//! UNNEST($1::text[], $2::bigint[], …)`: one text whatever the number of
//! rows, so each statement is parsed and planned once per connection and
//! then only executed, where a `VALUES` list would be a new statement for
//! every batch size (and churn the connection's statement cache).

use crate::StoreError;
use sqlx::{PgConnection, SqliteConnection};
use std::future::Future;

/// Rows per SQLite statement: well under its 32,766 bound parameters for
/// the widest row the writer sends (eight columns).
pub const SQLITE_ROWS_PER_STATEMENT: usize = 500;

/// One column's values, a row each.
pub enum Column {
    Text(Vec<String>),
    Int(Vec<i64>),
}

impl Column {
    fn len(&self) -> usize {
        match self {
            Column::Text(v) => v.len(),
            Column::Int(v) => v.len(),
        }
    }

    fn pg_array_type(&self) -> &'static str {
        match self {
            Column::Text(_) => "text[]",
            Column::Int(_) => "bigint[]",
        }
    }
}

/// A statement over many rows: `before` ROWS `after`.
pub struct Bulk {
    before: &'static str,
    after: &'static str,
    columns: Vec<Column>,
}

impl Bulk {
    pub fn new(before: &'static str, after: &'static str) -> Bulk {
        Bulk {
            before,
            after,
            columns: Vec::new(),
        }
    }

    pub fn text(mut self, values: Vec<String>) -> Bulk {
        self.columns.push(Column::Text(values));
        self
    }

    pub fn int(mut self, values: Vec<i64>) -> Bulk {
        self.columns.push(Column::Int(values));
        self
    }

    /// Rows, or an error when the columns disagree (a bug in the caller:
    /// refusing is better than pairing one row's values with another's).
    fn rows(&self) -> Result<usize, StoreError> {
        let n = self.columns.first().map_or(0, Column::len);
        if self.columns.iter().any(|c| c.len() != n) {
            return Err(StoreError::Invalid(format!(
                "bulk statement `{}` has columns of different lengths",
                self.before.trim()
            )));
        }
        Ok(n)
    }

    /// The PostgreSQL text: the same for every number of rows.
    fn postgres_sql(&self) -> String {
        self.postgres_sql_from(1)
    }

    /// The PostgreSQL text with its arrays numbered from `$first`.
    fn postgres_sql_from(&self, first: usize) -> String {
        let arrays: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", first + i, c.pg_array_type()))
            .collect();
        format!(
            "{}SELECT * FROM UNNEST({}){}",
            self.before,
            arrays.join(", "),
            self.after
        )
    }
}

/// A row given back by a part of [`Together`]: every part that gives rows
/// gives them in this one shape (three or four texts and two counts, with
/// `''` and `CAST(0 AS BIGINT)` where a part has less), so that PostgreSQL
/// can send all parts' rows as one result.
pub type PartRow = (String, String, String, String, i64, i64);

/// Bulk statements that do not depend on one another's effects, sent
/// together: on SQLite one after another (a call costs no round trip), on
/// PostgreSQL as one statement of data-modifying CTEs, so the parts cost one
/// round trip instead of one each. PostgreSQL runs the parts on one snapshot:
/// no part sees what another changes, and the caller puts two parts on one
/// table together only when that cannot matter (a read placed before a
/// delete sees the same rows either way).
#[derive(Default)]
pub struct Together<'a> {
    parts: Vec<(&'a Bulk, bool)>,
}

impl<'a> Together<'a> {
    pub fn new() -> Together<'a> {
        Together::default()
    }

    /// A part whose rows ([`PartRow`]) the caller wants back.
    pub fn fetch(mut self, statement: &'a Bulk) -> Together<'a> {
        self.parts.push((statement, true));
        self
    }

    /// A part run for its effect alone.
    pub fn execute(mut self, statement: &'a Bulk) -> Together<'a> {
        self.parts.push((statement, false));
        self
    }

    /// The PostgreSQL text: every part as a CTE (empty parts too, so the
    /// text stays the same from batch to batch and is prepared once), and
    /// the fetched parts' rows as one result, each led by its part's place.
    fn postgres_sql(&self) -> String {
        let mut first = 1;
        let mut ctes = Vec::new();
        let mut results = Vec::new();
        for (i, (statement, fetch)) in self.parts.iter().enumerate() {
            ctes.push(format!("p{i} AS ({})", statement.postgres_sql_from(first)));
            first += statement.columns.len();
            if *fetch {
                results.push(format!("SELECT {i}, * FROM p{i}"));
            }
        }
        if results.is_empty() {
            results.push("SELECT 0 WHERE false".into());
        }
        format!("WITH {} {}", ctes.join(", "), results.join(" UNION ALL "))
    }
}

/// A connection that runs [`Bulk`] statements.
pub trait BulkConnection {
    type Row: sqlx::Row;

    /// Runs the statement and returns every row it gives back.
    fn fetch_bulk<'c, R>(
        &'c mut self,
        statement: &'c Bulk,
    ) -> impl Future<Output = Result<Vec<R>, StoreError>> + Send + 'c
    where
        R: for<'r> sqlx::FromRow<'r, Self::Row> + Send + Unpin + 'c;

    /// Runs the statement; the rows it touched.
    fn execute_bulk<'c>(
        &'c mut self,
        statement: &'c Bulk,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send + 'c;

    /// Runs the parts in their order; the rows of each part (none for a part
    /// run for its effect).
    fn run_together<'c>(
        &'c mut self,
        parts: &'c Together<'c>,
    ) -> impl Future<Output = Result<Vec<Vec<PartRow>>, StoreError>> + Send + 'c;
}

impl BulkConnection for SqliteConnection {
    type Row = sqlx::sqlite::SqliteRow;

    async fn fetch_bulk<'c, R>(&'c mut self, statement: &'c Bulk) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, Self::Row> + Send + Unpin + 'c,
    {
        let n = statement.rows()?;
        let mut out = Vec::new();
        for start in (0..n).step_by(SQLITE_ROWS_PER_STATEMENT) {
            let end = (start + SQLITE_ROWS_PER_STATEMENT).min(n);
            let mut qb = sqlite_chunk(statement, start, end);
            out.extend(qb.build_query_as::<R>().fetch_all(&mut *self).await?);
        }
        Ok(out)
    }

    async fn execute_bulk<'c>(&'c mut self, statement: &'c Bulk) -> Result<u64, StoreError> {
        let n = statement.rows()?;
        let mut touched = 0;
        for start in (0..n).step_by(SQLITE_ROWS_PER_STATEMENT) {
            let end = (start + SQLITE_ROWS_PER_STATEMENT).min(n);
            let mut qb = sqlite_chunk(statement, start, end);
            touched += qb.build().execute(&mut *self).await?.rows_affected();
        }
        Ok(touched)
    }

    async fn run_together<'c>(
        &'c mut self,
        parts: &'c Together<'c>,
    ) -> Result<Vec<Vec<PartRow>>, StoreError> {
        let mut out = Vec::with_capacity(parts.parts.len());
        for (statement, fetch) in &parts.parts {
            if *fetch {
                out.push(self.fetch_bulk(statement).await?);
            } else {
                self.execute_bulk(statement).await?;
                out.push(Vec::new());
            }
        }
        Ok(out)
    }
}

fn sqlite_chunk(statement: &Bulk, start: usize, end: usize) -> sqlx::QueryBuilder<sqlx::Sqlite> {
    let mut qb = sqlx::QueryBuilder::new(statement.before);
    qb.push_values(start..end, |mut b, row| {
        for column in &statement.columns {
            match column {
                Column::Text(v) => b.push_bind(v[row].clone()),
                Column::Int(v) => b.push_bind(v[row]),
            };
        }
    });
    qb.push(statement.after);
    qb
}

fn postgres_query(
    statement: &Bulk,
) -> sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(statement.postgres_sql()));
    for column in &statement.columns {
        q = match column {
            Column::Text(v) => q.bind(v.as_slice()),
            Column::Int(v) => q.bind(v.as_slice()),
        };
    }
    q
}

impl BulkConnection for PgConnection {
    type Row = sqlx::postgres::PgRow;

    async fn fetch_bulk<'c, R>(&'c mut self, statement: &'c Bulk) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, Self::Row> + Send + Unpin + 'c,
    {
        if statement.rows()? == 0 {
            return Ok(Vec::new());
        }
        let rows = postgres_query(statement).fetch_all(&mut *self).await?;
        rows.iter()
            .map(|row| R::from_row(row).map_err(StoreError::from))
            .collect()
    }

    async fn execute_bulk<'c>(&'c mut self, statement: &'c Bulk) -> Result<u64, StoreError> {
        if statement.rows()? == 0 {
            return Ok(0);
        }
        Ok(postgres_query(statement)
            .execute(&mut *self)
            .await?
            .rows_affected())
    }

    async fn run_together<'c>(
        &'c mut self,
        parts: &'c Together<'c>,
    ) -> Result<Vec<Vec<PartRow>>, StoreError> {
        let mut out = vec![Vec::new(); parts.parts.len()];
        let mut rows = 0;
        for (statement, _) in &parts.parts {
            rows += statement.rows()?;
        }
        if rows == 0 {
            return Ok(out);
        }
        let mut q = sqlx::query_as::<_, (i32, String, String, String, String, i64, i64)>(
            sqlx::AssertSqlSafe(parts.postgres_sql()),
        );
        for (statement, _) in &parts.parts {
            for column in &statement.columns {
                q = match column {
                    Column::Text(v) => q.bind(v.as_slice()),
                    Column::Int(v) => q.bind(v.as_slice()),
                };
            }
        }
        for (part, a, b, c, d, m, n) in q.fetch_all(&mut *self).await? {
            let slot = out.get_mut(part as usize).ok_or_else(|| {
                StoreError::Invalid(format!("a joint statement gave rows of part {part}"))
            })?;
            slot.push((a, b, c, d, m, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_text_is_the_same_for_every_number_of_rows() {
        let one = Bulk::new("INSERT INTO t (a, n) ", " ON CONFLICT DO NOTHING")
            .text(vec!["x".into()])
            .int(vec![1]);
        let three = Bulk::new("INSERT INTO t (a, n) ", " ON CONFLICT DO NOTHING")
            .text(vec!["x".into(), "y".into(), "z".into()])
            .int(vec![1, 2, 3]);
        assert_eq!(one.postgres_sql(), three.postgres_sql());
        assert_eq!(
            one.postgres_sql(),
            "INSERT INTO t (a, n) SELECT * FROM UNNEST($1::text[], $2::bigint[]) ON CONFLICT DO NOTHING"
        );
    }

    #[test]
    fn parts_together_are_one_postgres_statement_with_their_arrays_numbered_in_turn() {
        let insert = Bulk::new("INSERT INTO t (a, n) ", " RETURNING a, '', '', '', n, n")
            .text(vec!["x".into()])
            .int(vec![1]);
        let delete = Bulk::new("DELETE FROM u WHERE a IN (", ")").text(vec![]);
        let read =
            Bulk::new("SELECT a, '', '', '', n, n FROM v WHERE a IN (", ")").text(vec!["y".into()]);
        let together = Together::new().fetch(&insert).execute(&delete).fetch(&read);
        assert_eq!(
            together.postgres_sql(),
            "WITH p0 AS (INSERT INTO t (a, n) SELECT * FROM UNNEST($1::text[], $2::bigint[]) RETURNING a, '', '', '', n, n), \
             p1 AS (DELETE FROM u WHERE a IN (SELECT * FROM UNNEST($3::text[]))), \
             p2 AS (SELECT a, '', '', '', n, n FROM v WHERE a IN (SELECT * FROM UNNEST($4::text[]))) \
             SELECT 0, * FROM p0 UNION ALL SELECT 2, * FROM p2"
        );
        let effects = Together::new().execute(&delete);
        assert_eq!(
            effects.postgres_sql(),
            "WITH p0 AS (DELETE FROM u WHERE a IN (SELECT * FROM UNNEST($1::text[]))) SELECT 0 WHERE false"
        );
    }

    #[test]
    fn columns_of_different_lengths_are_refused() {
        let s = Bulk::new("INSERT INTO t (a, n) ", "")
            .text(vec!["x".into(), "y".into()])
            .int(vec![1]);
        assert!(s.rows().is_err());
    }
}
