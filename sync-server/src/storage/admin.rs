//! Admin tokens, on either database: a token's unit (what it may see: that unit's subtree),
//! tokens made by `sotay admin create` or by another admin from the dashboard, their
//! revocation, and the log of both (`admin_token_log`). A token is kept as its hash; its public
//! id is the hash's first 8 bytes in hex.

use super::roster::AdminInfo;
use super::sql::{one, opt, rows, Conn, Row};
use super::{AdminLogEntry, AdminToken, Issuer, Result, StoreError, TokenList, OUTSIDE_SCOPE};
use crate::model::UnitCode;

/// A new token: for which unit, its hash, whom it is given to, who makes it (none: the command
/// line).
pub struct NewToken<'a> {
    pub unit: &'a str,
    pub hash: &'a [u8],
    pub holder: Option<&'a str>,
    pub by: Option<&'a Issuer>,
}

/// Stores a token (and logs its creation); returns its public id.
async fn insert<C: Conn + ?Sized>(c: &C, t: &NewToken<'_>, now: i64) -> Result<String> {
    let id = crate::auth::public_id(t.hash);
    let by_token = t.by.map(|b| b.id.as_str());
    let by_unit = t.by.map(|b| b.unit.as_str());
    c.exec(
        "INSERT INTO admin_tokens (token_hash, unit_code, created_at, id, holder, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        &[&t.hash, &t.unit, &now, &id, &t.holder, &by_token],
    )
    .await?;
    c.exec(
        "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES (?1, 'create', ?2, ?3, ?4, ?5)",
        &[&now, &id, &t.unit, &by_token, &by_unit],
    )
    .await?;
    Ok(id)
}

/// The columns [`token`] reads, from `admin_tokens t` joined with its unit `u`.
const COLS: &str = "t.id, t.unit_code, coalesce(u.name, t.unit_code), t.holder, t.created_at, t.created_by, t.revoked_at, t.revoked_by";

fn token(r: &dyn Row) -> Result<AdminToken> {
    Ok(AdminToken {
        id: r.text(0)?,
        unit_code: r.text(1)?,
        unit_name: r.text(2)?,
        holder: r.opt_text(3)?,
        created_at: r.int(4)?,
        created_by: r.opt_text(5)?,
        revoked_at: r.opt_int(6)?,
        revoked_by: r.opt_text(7)?,
    })
}

async fn get<C: Conn + ?Sized>(c: &C, id: &str) -> Result<Option<AdminToken>> {
    opt(
        c,
        &format!("SELECT {COLS} FROM admin_tokens t LEFT JOIN units u ON u.code = t.unit_code WHERE t.id = ?1"),
        &[&id],
        token,
    )
    .await
}

async fn active_path<C: Conn + ?Sized>(c: &C, code: &str) -> Result<Option<String>> {
    opt(
        c,
        "SELECT path FROM units WHERE code = ?1 AND active",
        &[&code],
        |r| r.text(0),
    )
    .await
}

/// A token for an active unit, as `sotay admin create` makes it.
pub async fn create<C: Conn + ?Sized>(c: &C, t: &NewToken<'_>, now: i64) -> Result<()> {
    if active_path(c, t.unit).await?.is_none() {
        return Err(StoreError::Invalid(format!(
            "no unit {} in the roster; import the roster first (sotay roster import)",
            t.unit
        )));
    }
    insert(c, t, now).await?;
    Ok(())
}

/// A token made from the dashboard: `Invalid(OUTSIDE_SCOPE)` unless its unit is active and in
/// the maker's subtree.
pub async fn create_in_scope<C: Conn + ?Sized>(
    c: &C,
    t: &NewToken<'_>,
    now: i64,
) -> Result<AdminToken> {
    let Some(target) = active_path(c, t.unit).await? else {
        return Err(StoreError::Invalid(OUTSIDE_SCOPE.into()));
    };
    if let Some(by) = t.by {
        if !active_path(c, by.unit.as_str())
            .await?
            .is_some_and(|p| target.starts_with(&p))
        {
            return Err(StoreError::Invalid(OUTSIDE_SCOPE.into()));
        }
    }
    let id = insert(c, t, now).await?;
    get(c, &id)
        .await?
        .ok_or_else(|| StoreError::Unavailable("token not stored".into()))
}

/// The tokens of `scope`'s subtree and their log (the newest 500 entries).
pub async fn list<C: Conn + ?Sized>(c: &C, scope: &str) -> Result<TokenList> {
    let Some(path) = super::roster::path(c, scope).await? else {
        return Ok(TokenList {
            tokens: Vec::new(),
            log: Vec::new(),
        });
    };
    let d = c.dialect();
    let prefix = d.prefix(&path);
    let tokens = rows(
        c,
        &format!(
            "SELECT {COLS} FROM admin_tokens t JOIN units u ON u.code = t.unit_code
             WHERE {} ORDER BY t.created_at DESC, t.id",
            d.under("u.path", 1)
        ),
        &[&prefix],
        token,
    )
    .await?;
    let log = rows(
        c,
        &format!(
            "SELECT l.at, l.action, l.token_id, l.unit_code, l.by_token, l.by_unit FROM admin_token_log l JOIN units u ON u.code = l.unit_code
             WHERE {} ORDER BY l.at DESC, {} DESC LIMIT 500",
            d.under("u.path", 1),
            // The order of writing: SQLite's rowid, PostgreSQL's serial.
            d.pick("l.rowid", "l.seq")
        ),
        &[&prefix],
        |r| {
            Ok(AdminLogEntry {
                at: r.int(0)?,
                action: r.text(1)?,
                token_id: r.text(2)?,
                unit_code: r.text(3)?,
                by: r.opt_text(4)?,
                by_unit: r.opt_text(5)?,
            })
        },
    )
    .await?;
    Ok(TokenList { tokens, log })
}

/// Revokes token `id` if it is in `scope`'s subtree (`None` otherwise, or if unknown); a
/// revoked token stays as it was revoked.
pub async fn revoke<C: Conn + ?Sized>(
    c: &C,
    id: &str,
    scope: &str,
    by: &Issuer,
    now: i64,
) -> Result<Option<AdminToken>> {
    let Some(t) = get(c, id).await? else {
        return Ok(None);
    };
    let within = one(
        c,
        "SELECT count(*) FROM units a, units s WHERE a.code = ?1 AND s.code = ?2 AND substr(a.path, 1, length(s.path)) = s.path",
        &[&t.unit_code, &scope],
        |r| r.int(0),
    )
    .await?
        > 0;
    if !within {
        return Ok(None);
    }
    if t.revoked_at.is_none() {
        c.exec(
            "UPDATE admin_tokens SET revoked_at = ?1, revoked_by = ?2 WHERE id = ?3",
            &[&now, &by.id, &id],
        )
        .await?;
        c.exec(
            "INSERT INTO admin_token_log (at, action, token_id, unit_code, by_token, by_unit) VALUES (?1, 'revoke', ?2, ?3, ?4, ?5)",
            &[&now, &id, &t.unit_code, &by.id, &by.unit.as_str()],
        )
        .await?;
    }
    get(c, id).await
}

/// The unit of an admin token that is not revoked.
pub async fn unit_of<C: Conn + ?Sized>(c: &C, token_hash: &[u8]) -> Result<Option<UnitCode>> {
    Ok(info(c, token_hash).await?.map(|a| a.unit))
}

/// An admin token's unit, holder and short id, if it is not revoked.
pub async fn info<C: Conn + ?Sized>(c: &C, hash: &[u8]) -> Result<Option<AdminInfo>> {
    let row = opt(
        c,
        "SELECT unit_code, holder FROM admin_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
        &[&hash],
        |r| Ok((r.text(0)?, r.opt_text(1)?)),
    )
    .await?;
    Ok(row.and_then(|(u, name)| {
        Some(AdminInfo {
            unit: UnitCode::parse(&u)?,
            name,
            id: super::roster::token_id(hash),
        })
    }))
}
