//! `sotay db copy`: every row of a SQLite database into a new PostgreSQL database, in one
//! transaction, read in one SQLite snapshot, with the row counts of both sides compared before
//! committing.

use super::postgres::Postgres;
use super::sql::{pg_err, CHUNK};
use tokio_postgres::types::ToSql;

/// A table as `sotay db copy` moves it: its columns with their PostgreSQL types, read from
/// SQLite as text (blobs as hex) and cast on the way in.
struct CopyTable {
    name: &'static str,
    cols: &'static [(&'static str, &'static str)],
}

const COPY_TABLES: &[CopyTable] = &[
    CopyTable {
        name: "units",
        cols: &[
            ("code", "text"),
            ("name", "text"),
            ("parent_code", "text"),
            ("kind", "text"),
            ("path", "text"),
            ("depth", "int"),
            ("active", "bool"),
        ],
    },
    CopyTable {
        name: "members",
        cols: &[
            ("card_number", "text"),
            ("full_name", "text"),
            ("name_key", "text"),
            ("birth_date", "text"),
            ("unit_code", "text"),
            ("status", "text"),
            ("role", "text"),
            ("smartphone", "bool"),
            ("active", "bool"),
            ("updated_at", "bigint"),
            ("smartphone_answered", "bool"),
        ],
    },
    CopyTable {
        name: "devices",
        cols: &[
            ("token_hash", "bytea"),
            ("card_number", "text"),
            ("created_at", "bigint"),
            ("device_id", "text"),
        ],
    },
    CopyTable {
        name: "events",
        cols: &[
            ("id", "uuid"),
            ("card_number", "text"),
            ("unit_code", "text"),
            ("type", "text"),
            ("doc", "text"),
            ("version", "text"),
            ("at", "bigint"),
            ("day", "text"),
            ("ms", "bigint"),
            ("data", "text"),
            ("received_at", "bigint"),
        ],
    },
    CopyTable {
        name: "member_days",
        cols: &[
            ("card_number", "text"),
            ("day", "text"),
            ("unit_code", "text"),
            ("views", "bigint"),
        ],
    },
    CopyTable {
        name: "meetings",
        cols: &[
            ("unit_code", "text"),
            ("month", "text"),
            ("held_on", "text"),
            ("place", "text"),
            ("present", "bigint"),
            ("excused", "bigint"),
            ("members", "bigint"),
            ("present_cards", "text"),
            ("excused_cards", "text"),
            ("docs", "text"),
            ("recorded_by", "text"),
            ("recorded_at", "bigint"),
        ],
    },
    CopyTable {
        name: "meeting_schedules",
        cols: &[
            ("unit_code", "text"),
            ("month", "text"),
            ("starts_at", "text"),
            ("place", "text"),
            ("set_by", "text"),
            ("set_at", "bigint"),
        ],
    },
    CopyTable {
        name: "doc_reads",
        cols: &[("doc", "text"), ("card_number", "text"), ("day", "text")],
    },
    CopyTable {
        name: "notices",
        cols: &[
            ("id", "text"),
            ("unit_code", "text"),
            ("title", "text"),
            ("body", "text"),
            ("expires_on", "text"),
            ("created_at", "bigint"),
            ("posted_by", "text"),
            ("withdrawn_at", "bigint"),
        ],
    },
    CopyTable {
        name: "notice_reads",
        cols: &[
            ("notice_id", "text"),
            ("card_number", "text"),
            ("at", "bigint"),
        ],
    },
    CopyTable {
        name: "push_keys",
        cols: &[
            ("id", "integer"),
            ("private_key", "text"),
            ("created_at", "bigint"),
        ],
    },
    CopyTable {
        name: "push_subscriptions",
        cols: &[
            ("endpoint", "text"),
            ("card_number", "text"),
            ("p256dh", "text"),
            ("auth", "text"),
            ("created_at", "bigint"),
        ],
    },
    CopyTable {
        name: "admin_tokens",
        cols: &[
            ("token_hash", "bytea"),
            ("unit_code", "text"),
            ("created_at", "bigint"),
            ("id", "text"),
            ("holder", "text"),
            ("created_by", "text"),
            ("revoked_at", "bigint"),
            ("revoked_by", "text"),
        ],
    },
    CopyTable {
        name: "admin_token_log",
        cols: &[
            ("at", "bigint"),
            ("action", "text"),
            ("token_id", "text"),
            ("unit_code", "text"),
            ("by_token", "text"),
            ("by_unit", "text"),
        ],
    },
    CopyTable {
        name: "member_moves",
        cols: &[
            ("card_number", "text"),
            ("day", "text"),
            ("from_unit", "text"),
            ("to_unit", "text"),
            ("change_id", "bigint"),
            ("at", "bigint"),
        ],
    },
    CopyTable {
        name: "roster_changes",
        cols: &[
            ("id", "bigint"),
            ("version", "bigint"),
            ("unit_code", "text"),
            ("scope_path", "text"),
            ("whole", "bool"),
            ("who", "text"),
            ("source", "text"),
            ("at", "bigint"),
            ("counts", "text"),
            ("before", "bytea"),
        ],
    },
    CopyTable {
        name: "roster_uploads",
        cols: &[
            ("id", "text"),
            ("unit_code", "text"),
            ("admin", "text"),
            ("file_name", "text"),
            ("created_at", "bigint"),
            ("base_version", "bigint"),
            ("fingerprint", "text"),
            ("data", "bytea"),
            ("applied_change", "bigint"),
        ],
    },
];

type Copied = std::result::Result<Vec<(&'static str, u64)>, String>;

fn pg_text(e: tokio_postgres::Error) -> String {
    pg_err(e).to_string()
}

impl Postgres {
    /// `sotay db copy`: every row of the SQLite database at `path` into this (empty)
    /// database, in one transaction, read in one SQLite snapshot; the row counts of both
    /// sides are compared before committing. Returns (table, rows) copied.
    pub async fn copy_from_sqlite(&self, path: &std::path::Path) -> Copied {
        let src = open_source(path)?;
        let mut c = self.client().await.map_err(|e| e.to_string())?;
        let tx = c.transaction().await.map_err(pg_text)?;
        for t in COPY_TABLES {
            let n: i64 = tx
                .query_one(&format!("SELECT count(*) FROM {}", t.name), &[])
                .await
                .map_err(pg_text)?
                .get(0);
            if n > 0 {
                return Err(format!(
                    "the PostgreSQL database is not empty ({} has {n} rows): copy only into a new database",
                    t.name
                ));
            }
        }
        let mut copied = Vec::new();
        for t in COPY_TABLES {
            copied.push((t.name, copy_table(&src, &tx, t).await?));
        }
        let rv: i64 = src
            .query_row(
                "SELECT value FROM meta WHERE key = 'roster_version'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        tx.execute(
            "UPDATE meta SET value = $1 WHERE key = 'roster_version'",
            &[&rv],
        )
        .await
        .map_err(pg_text)?;
        // The change log's ids were copied as they were: new ones follow them.
        tx.execute(
            "SELECT setval(pg_get_serial_sequence('roster_changes', 'id'), coalesce(max(id), 0) + 1, false) FROM roster_changes",
            &[],
        )
        .await
        .map_err(pg_text)?;
        tx.commit().await.map_err(pg_text)?;
        let _ = src.execute_batch("COMMIT");
        Ok(copied)
    }
}

/// The SQLite database at `path`, read-only, at this build's schema version, in a read
/// transaction (one snapshot for the whole copy).
fn open_source(path: &std::path::Path) -> std::result::Result<rusqlite::Connection, String> {
    let src = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| format!("{}: {e}", path.display()))?;
    let version: i64 = src
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if version as usize != super::sqlite::SCHEMA_VERSION {
        return Err(format!(
            "{} is at schema version {version}, not {}: open it once with this sotay (sotay db migrate --db sqlite://{}) and copy again",
            path.display(),
            super::sqlite::SCHEMA_VERSION,
            path.display()
        ));
    }
    src.execute_batch("BEGIN")
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(src)
}

/// The statements that move table `t`: SQLite's select (every column as text, blobs as hex)
/// and PostgreSQL's insert of a chunk of rows (a text array a column, cast on the way in).
fn copy_statements(t: &CopyTable) -> (String, String) {
    let join =
        |f: &dyn Fn(&(&str, &str)) -> String| t.cols.iter().map(f).collect::<Vec<_>>().join(", ");
    let select = join(&|(c, ty)| match *ty {
        "bytea" => format!("hex({c})"),
        _ => format!("CAST({c} AS TEXT)"),
    });
    let names = join(&|(c, _)| c.to_string());
    let params = (1..=t.cols.len())
        .map(|i| format!("${i}::text[]"))
        .collect::<Vec<_>>()
        .join(", ");
    let casts = join(&|(c, ty)| match *ty {
        "bytea" => format!("decode({c}, 'hex')"),
        "text" => c.to_string(),
        ty => format!("{c}::{ty}"),
    });
    (
        format!("SELECT {select} FROM {}", t.name),
        format!(
            "INSERT INTO {} ({names}) SELECT {casts} FROM unnest({params}) AS x({names})",
            t.name
        ),
    )
}

/// Copies table `t`, [`CHUNK`] rows a statement; the number of rows, checked against SQLite's
/// count.
async fn copy_table(
    src: &rusqlite::Connection,
    tx: &tokio_postgres::Transaction<'_>,
    t: &CopyTable,
) -> std::result::Result<u64, String> {
    let (select, insert) = copy_statements(t);
    let insert = tx.prepare(&insert).await.map_err(pg_text)?;
    let mut q = src.prepare(&select).map_err(|e| e.to_string())?;
    let mut rows = q.query([]).map_err(|e| e.to_string())?;
    let mut total = 0u64;
    let mut cols: Vec<Vec<Option<String>>> = vec![Vec::with_capacity(CHUNK); t.cols.len()];
    loop {
        let row = rows.next().map_err(|e| e.to_string())?;
        if let Some(r) = row {
            for (i, col) in cols.iter_mut().enumerate() {
                col.push(r.get::<_, Option<String>>(i).map_err(|e| e.to_string())?);
            }
        }
        let full = cols[0].len() >= CHUNK;
        if (full || row.is_none()) && !cols[0].is_empty() {
            let params: Vec<&(dyn ToSql + Sync)> =
                cols.iter().map(|c| c as &(dyn ToSql + Sync)).collect();
            total += tx
                .execute(&insert, &params)
                .await
                .map_err(|e| format!("{}: {}", t.name, pg_err(e)))?;
            for c in cols.iter_mut() {
                c.clear();
            }
        }
        if row.is_none() {
            break;
        }
    }
    let want: i64 = src
        .query_row(&format!("SELECT count(*) FROM {}", t.name), [], |r| {
            r.get(0)
        })
        .map_err(|e| e.to_string())?;
    if want as u64 != total {
        return Err(format!(
            "{}: {total} rows copied but SQLite has {want}; nothing was committed",
            t.name
        ));
    }
    Ok(total)
}
