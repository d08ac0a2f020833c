//! One way to run a statement on either database, so that each storage operation is written
//! once: [`Conn`] (a SQLite connection, a PostgreSQL client or transaction) runs SQL written
//! with SQLite's `?N` placeholders (PostgreSQL gets `$N`, see [`placeholders`]), binds any
//! [`Param`] and hands each result row to the caller as a [`Row`].
//!
//! SQLite's connection does its work before its future is first polled (the future is ready),
//! so an operation on SQLite runs to its end in one poll ([`at_once`]) on the thread that owns
//! the connection; on PostgreSQL the same code awaits the server.

use super::{Result, StoreError};
use std::borrow::Cow;
use std::future::Future;
use std::pin::pin;

/// Which SQL a connection speaks, for the few statements the dialects write differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The text for this dialect.
    pub fn pick<'a>(self, sqlite: &'a str, postgres: &'a str) -> &'a str {
        match self {
            Dialect::Sqlite => sqlite,
            Dialect::Postgres => postgres,
        }
    }

    /// A condition: the path in `col` starts with parameter `?n` (a unit's subtree). On
    /// PostgreSQL a `LIKE` the path index serves, so the parameter is a [`Dialect::prefix`].
    pub fn under(self, col: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("substr({col}, 1, length(?{n})) = ?{n}"),
            Dialect::Postgres => format!("{col} LIKE ?{n} || '%'"),
        }
    }

    /// The parameter of [`Dialect::under`] for `path`: LIKE's wildcards escaped on PostgreSQL.
    pub fn prefix(self, path: &str) -> String {
        match self {
            Dialect::Sqlite => path.to_string(),
            Dialect::Postgres => path
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_"),
        }
    }

    /// A condition: text column `col` is one of the list parameter `?n` (a [`Array`]).
    pub fn one_of(self, col: &str, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("{col} IN (SELECT value FROM json_each(?{n}))"),
            Dialect::Postgres => format!("{col} = ANY(?{n}::text[])"),
        }
    }
}

/// `sql` with SQLite's numbered placeholders `?N` written as PostgreSQL's `$N`. The statements
/// hold no `?` of their own (no string literal or operator has one).
pub fn placeholders(sql: &str, dialect: Dialect) -> Cow<'_, str> {
    if dialect == Dialect::Sqlite || !sql.contains('?') {
        return Cow::Borrowed(sql);
    }
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(ch) = chars.next() {
        if ch == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// A value bound to a statement: anything both drivers can bind (text, integers, booleans,
/// blobs, their options), or a [`Array`].
pub trait Param: Sync {
    fn sqlite(&self) -> &dyn rusqlite::ToSql;
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync);
}

impl<T: rusqlite::ToSql + tokio_postgres::types::ToSql + Sync> Param for T {
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self
    }
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        self
    }
}

/// A list as one parameter: a JSON array on SQLite (read with `json_each`), an array on
/// PostgreSQL (`text[]`, `int[]`, ...); see [`Dialect::one_of`].
pub struct Array<T> {
    items: Vec<T>,
    /// The JSON text, made when SQLite binds it.
    json: std::sync::OnceLock<String>,
}

impl<T> Array<T> {
    pub fn new(items: Vec<T>) -> Array<T> {
        Array {
            items,
            json: std::sync::OnceLock::new(),
        }
    }
}

impl<T> Param for Array<T>
where
    T: serde::Serialize + Sync + Send,
    Vec<T>: tokio_postgres::types::ToSql,
{
    fn sqlite(&self) -> &dyn rusqlite::ToSql {
        self.json
            .get_or_init(|| serde_json::to_string(&self.items).unwrap_or_else(|_| "[]".into()))
    }
    fn postgres(&self) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        &self.items
    }
}

/// Rows written per statement in PostgreSQL's bulk writes (roster changes, `sotay db copy`).
pub const CHUNK: usize = 5_000;

/// A PostgreSQL error as a storage error.
pub fn pg_err(e: tokio_postgres::Error) -> StoreError {
    // Constraint violations are the caller's fault; everything else is "try again".
    match e.code() {
        Some(c) if c.code().starts_with("23") => StoreError::Invalid(e.to_string()),
        _ => StoreError::Unavailable(match e.as_db_error() {
            Some(db) => format!("{}: {}", db.code().code(), db.message()),
            None => e.to_string(),
        }),
    }
}

fn bad_column(i: usize, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("column {i}: {e}"))
}

/// A result row, read by column number.
pub trait Row {
    fn str(&self, i: usize) -> Result<&str>;
    fn opt_str(&self, i: usize) -> Result<Option<&str>>;
    fn int(&self, i: usize) -> Result<i64>;
    fn opt_int(&self, i: usize) -> Result<Option<i64>>;
    /// A boolean: PostgreSQL's `boolean`, SQLite's integer 0 or 1.
    fn flag(&self, i: usize) -> Result<bool>;
    fn bytes(&self, i: usize) -> Result<Vec<u8>>;

    fn text(&self, i: usize) -> Result<String> {
        self.str(i).map(str::to_string)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>> {
        Ok(self.opt_str(i)?.map(str::to_string))
    }
    /// An integer as a count (`u32`, negative as 0).
    fn count(&self, i: usize) -> Result<u32> {
        Ok(self.int(i)?.clamp(0, i64::from(u32::MAX)) as u32)
    }
}

impl Row for rusqlite::Row<'_> {
    fn str(&self, i: usize) -> Result<&str> {
        self.get_ref(i)?.as_str().map_err(|e| bad_column(i, e))
    }
    fn opt_str(&self, i: usize) -> Result<Option<&str>> {
        self.get_ref(i)?
            .as_str_or_null()
            .map_err(|e| bad_column(i, e))
    }
    fn int(&self, i: usize) -> Result<i64> {
        Ok(self.get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        Ok(self.get(i)?)
    }
    fn flag(&self, i: usize) -> Result<bool> {
        Ok(self.get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        Ok(self.get(i)?)
    }
}

fn pg_column(i: usize, e: tokio_postgres::Error) -> StoreError {
    bad_column(i, e)
}

impl Row for tokio_postgres::Row {
    fn str(&self, i: usize) -> Result<&str> {
        self.try_get(i).map_err(|e| pg_column(i, e))
    }
    fn opt_str(&self, i: usize) -> Result<Option<&str>> {
        self.try_get(i).map_err(|e| pg_column(i, e))
    }
    fn int(&self, i: usize) -> Result<i64> {
        self.opt_int(i)?
            .ok_or_else(|| bad_column(i, "null where a number was expected"))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        // BIGINT mostly; INTEGER columns (a unit's depth) and counts of other widths too.
        match self.try_get::<_, Option<i64>>(i) {
            Ok(v) => Ok(v),
            Err(_) => Ok(self
                .try_get::<_, Option<i32>>(i)
                .map_err(|e| pg_column(i, e))?
                .map(i64::from)),
        }
    }
    fn flag(&self, i: usize) -> Result<bool> {
        self.try_get(i).map_err(|e| pg_column(i, e))
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        self.try_get(i).map_err(|e| pg_column(i, e))
    }
}

/// What reads a result row by row.
pub type EachRow<'f> = dyn FnMut(&dyn Row) -> Result<()> + Send + 'f;

/// A connection that runs statements: SQLite's (a reader, or the writer's savepoint) or
/// PostgreSQL's (a pooled client or a transaction).
pub trait Conn {
    fn dialect(&self) -> Dialect;
    /// Runs a statement; how many rows it changed.
    fn exec(&self, sql: &str, params: &[&dyn Param]) -> impl Future<Output = Result<u64>> + Send;
    /// Runs a query and gives each row to `f`, as the rows come.
    fn each(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: &mut EachRow<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// Every row of a query, each read by `f`.
pub async fn rows<C: Conn + ?Sized, T: Send>(
    c: &C,
    sql: &str,
    params: &[&dyn Param],
    mut f: impl FnMut(&dyn Row) -> Result<T> + Send,
) -> Result<Vec<T>> {
    let mut out = Vec::new();
    c.each(sql, params, &mut |r| {
        out.push(f(r)?);
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The first row of a query, if any, read by `f`.
pub async fn opt<C: Conn + ?Sized, T: Send>(
    c: &C,
    sql: &str,
    params: &[&dyn Param],
    mut f: impl FnMut(&dyn Row) -> Result<T> + Send,
) -> Result<Option<T>> {
    let mut out = None;
    c.each(sql, params, &mut |r| {
        if out.is_none() {
            out = Some(f(r)?);
        }
        Ok(())
    })
    .await?;
    Ok(out)
}

/// The first row of a query that always has one (`count(*)`, `RETURNING`), read by `f`.
pub async fn one<C: Conn + ?Sized, T: Send>(
    c: &C,
    sql: &str,
    params: &[&dyn Param],
    f: impl FnMut(&dyn Row) -> Result<T> + Send,
) -> Result<T> {
    opt(c, sql, params, f)
        .await?
        .ok_or_else(|| StoreError::Unavailable(format!("no row from: {sql}")))
}

impl Conn for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&self, sql: &str, params: &[&dyn Param]) -> impl Future<Output = Result<u64>> + Send {
        let run = || -> Result<u64> {
            let mut q = self.prepare_cached(sql)?;
            let n = q.execute(rusqlite::params_from_iter(
                params.iter().map(|p| p.sqlite()),
            ))?;
            Ok(n as u64)
        };
        std::future::ready(run())
    }

    fn each(
        &self,
        sql: &str,
        params: &[&dyn Param],
        f: &mut EachRow<'_>,
    ) -> impl Future<Output = Result<()>> + Send {
        let mut run = || -> Result<()> {
            let mut q = self.prepare_cached(sql)?;
            let mut rows = q.query(rusqlite::params_from_iter(
                params.iter().map(|p| p.sqlite()),
            ))?;
            while let Some(r) = rows.next()? {
                f(r)?;
            }
            Ok(())
        };
        std::future::ready(run())
    }
}

/// Runs an operation on a SQLite connection: its futures are ready when made, so one poll
/// finishes it.
pub fn at_once<T>(op: impl Future<Output = Result<T>>) -> Result<T> {
    use futures_util::FutureExt;
    op.now_or_never().unwrap_or_else(|| {
        Err(StoreError::Unavailable(
            "a SQLite operation waited on something".into(),
        ))
    })
}

macro_rules! postgres_conn {
    ($ty:ty) => {
        impl Conn for $ty {
            fn dialect(&self) -> Dialect {
                Dialect::Postgres
            }

            fn exec(
                &self,
                sql: &str,
                params: &[&dyn Param],
            ) -> impl Future<Output = Result<u64>> + Send {
                async move {
                    let sql = placeholders(sql, Dialect::Postgres);
                    self.execute_raw(&*sql, params.iter().map(|p| p.postgres()))
                        .await
                        .map_err(pg_err)
                }
            }

            fn each(
                &self,
                sql: &str,
                params: &[&dyn Param],
                f: &mut EachRow<'_>,
            ) -> impl Future<Output = Result<()>> + Send {
                async move {
                    use futures_util::TryStreamExt;
                    let sql = placeholders(sql, Dialect::Postgres);
                    let stream = self
                        .query_raw(&*sql, params.iter().map(|p| p.postgres()))
                        .await
                        .map_err(pg_err)?;
                    let mut stream = pin!(stream);
                    while let Some(row) = stream.try_next().await.map_err(pg_err)? {
                        f(&row)?;
                    }
                    Ok(())
                }
            }
        }
    };
}

postgres_conn!(tokio_postgres::Client);
postgres_conn!(tokio_postgres::Transaction<'_>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_for_each_dialect() {
        let sql = "SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?12) AND d = 'x'";
        assert_eq!(placeholders(sql, Dialect::Sqlite), sql);
        assert_eq!(
            placeholders(sql, Dialect::Postgres),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $12) AND d = 'x'"
        );
        assert_eq!(
            Dialect::Postgres.prefix("/A_B/%/"),
            "/A\\_B/\\%/",
            "LIKE's wildcards are escaped"
        );
        assert_eq!(Dialect::Sqlite.prefix("/A_B/"), "/A_B/");
    }
}
