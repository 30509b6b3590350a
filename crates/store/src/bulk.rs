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
        let arrays: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("${}::{}", i + 1, c.pg_array_type()))
            .collect();
        format!(
            "{}SELECT * FROM UNNEST({}){}",
            self.before,
            arrays.join(", "),
            self.after
        )
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
    fn columns_of_different_lengths_are_refused() {
        let s = Bulk::new("INSERT INTO t (a, n) ", "")
            .text(vec!["x".into(), "y".into()])
            .int(vec![1]);
        assert!(s.rows().is_err());
    }
}
